/**
 * The shapes passed between the simulation steps of one account: its profile, its
 * commercial life (funnel, subscription periods, hidden churn causes) and its people.
 * All instants are epoch milliseconds (UTC).
 */
import type { Billing, Plan } from './catalog.js';

/** Hidden churn drivers; the ground-truth file lists them, the tables only show their effects. */
export const CAUSES = [
  'falling_usage',
  'unresolved_tickets',
  'detractor_nps',
  'small_size',
  'low_adoption',
  'month_to_month',
] as const;
export type Cause = (typeof CAUSES)[number];

export interface Profile {
  readonly index: number;
  readonly accountId: string;
  /** Compact base-36 form of the index, the prefix of the account's user, event and ticket ids. */
  readonly code: string;
  readonly name: string;
  readonly domain: string;
  readonly regionIndex: number;
  readonly country: string;
  readonly industryIndex: number;
  /** Head count now (the accounts table) and when the account signed up (first enrichment). */
  readonly employees: number;
  readonly employeesAtSignup: number;
  readonly createdAt: number;
  readonly acquisition: string;
}

export type PeriodStatus = 'trialing' | 'active' | 'replaced' | 'canceled';

/** One row of subscription history. */
export interface Period {
  plan: Plan;
  seats: number;
  mrr: number;
  billing: Billing | null;
  startsAt: number;
  endsAt: number | null;
  status: PeriodStatus;
}

export interface Lifecycle {
  readonly trialStart: number | null;
  /** When the trial ended (completed or abandoned); null without a trial or while it runs. */
  readonly trialEnd: number | null;
  readonly trialCompleted: boolean;
  readonly trialPlan: Plan | null;
  readonly paidAt: number | null;
  readonly billing: Billing | null;
  readonly periods: readonly Period[];
  readonly churnAt: number | null;
  /** Last instant the account can act: churn, the end of a free account's interest, or the world end. */
  readonly activeEnd: number;
  /** Onset instant of each hidden cause the account has (structural causes start at payment). */
  readonly causes: ReadonlyMap<Cause, number>;
  /** Engagement multiplier of this account (log-normal, median 1): drives usage and trial success. */
  readonly propensity: number;
  /** When each entry of FEATURES is first used (Infinity: never). */
  readonly adoption: Float64Array;
}

export interface User {
  readonly userId: string;
  readonly email: string;
  readonly role: 'admin' | 'member' | 'billing';
  readonly createdAt: number;
}

/** Whether a cause is in effect at an instant. */
export function causeActive(causes: ReadonlyMap<Cause, number>, cause: Cause, at: number): boolean {
  const onset = causes.get(cause);
  return onset !== undefined && onset <= at;
}
