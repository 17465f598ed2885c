/**
 * Turns one simulated account into rows of the slow-moving tables: accounts (current
 * state), users, subscriptions (history), trait_history (plan, MRR and head-count
 * changes), plus its line of the ground-truth file. The current row always agrees with
 * the last subscription period, so MRR movements are derivable from history.
 */
import { DAY_MS, isoSeconds, WORLD_END_MS, YEAR_MS } from './calendar.js';
import { INDUSTRIES, REGIONS } from './catalog.js';
import type { Sinks } from './sink.js';
import { CAUSES, type Lifecycle, type Profile, type User } from './story.js';

/** Typical days between two enrichment refreshes of head count. */
const ENRICHMENT_EVERY_DAYS = 270;

/** Writes the accounts, users, subscriptions and trait_history rows of one account. */
export function emitAccountRows(p: Profile, life: Lifecycle, users: readonly User[], sinks: Sinks): void {
  const last = life.periods[life.periods.length - 1];
  if (last === undefined) throw new Error(`account ${p.accountId} has no subscription period`);
  const live = life.churnAt === null;
  const mrr = live ? last.mrr : 0;
  const renewalAt =
    live && last.billing === 'annual' && life.paidAt !== null
      ? life.paidAt + Math.ceil((WORLD_END_MS - life.paidAt) / YEAR_MS) * YEAR_MS
      : null;
  const lifecycle = !live
    ? 'churned'
    : life.paidAt !== null
      ? 'customer'
      : last.status === 'trialing'
        ? 'trialing'
        : 'free';
  const billing = life.billing === null ? 'null' : `"${life.billing}"`;
  sinks.accounts.push([
    p.accountId,
    p.name,
    p.domain,
    p.createdAt,
    p.employees,
    INDUSTRIES[p.industryIndex]?.name ?? null,
    REGIONS[p.regionIndex]?.code ?? null,
    p.country,
    last.plan,
    mrr,
    Math.round(mrr * 1200) / 100,
    renewalAt === null ? null : Math.floor(renewalAt),
    `{"seats":${last.seats},"billing":${billing},"lifecycle":"${lifecycle}","acquisition":"${p.acquisition}"}`,
  ]);

  const userRow: (string | number | null)[] = ['', p.accountId, '', '', 0, null];
  for (const u of users) {
    userRow[0] = u.userId;
    userRow[2] = u.email;
    userRow[3] = u.role;
    userRow[4] = Math.floor(u.createdAt);
    sinks.users.push(userRow);
  }

  const subRow: (string | number | null)[] = [p.accountId, '', 0, null, 0, null, '', null];
  const traitRow: (string | number | null)[] = [p.accountId, '', '', 0, '', null];
  const trait = (name: string, value: string, ts: number, source: string) => {
    traitRow[1] = name;
    traitRow[2] = value;
    traitRow[3] = Math.floor(ts);
    traitRow[4] = source;
    sinks.trait_history.push(traitRow);
  };
  let prevPlan = '';
  let prevMrr = -1;
  for (const q of life.periods) {
    subRow[1] = q.plan;
    subRow[2] = q.mrr;
    subRow[3] = q.billing;
    subRow[4] = Math.floor(q.startsAt);
    subRow[5] = q.endsAt === null ? null : Math.floor(q.endsAt);
    subRow[6] = q.status;
    subRow[7] = `{"seats":${q.seats}}`;
    sinks.subscriptions.push(subRow);
    if (q.plan !== prevPlan) trait('plan', q.plan, q.startsAt, 'billing');
    if (q.mrr !== prevMrr) trait('mrr', String(q.mrr), q.startsAt, 'billing');
    prevPlan = q.plan;
    prevMrr = q.mrr;
  }
  if (life.churnAt !== null) trait('mrr', '0', life.churnAt, 'billing');
  // The billing term is chosen at the first payment and kept: with its history, a model
  // trained on past snapshots may use it (a trait without history would leak the present).
  if (life.paidAt !== null && life.billing !== null) trait('billing', life.billing, life.paidAt, 'billing');

  // Head count: first seen at signup, refreshed by enrichment until it reaches today's value.
  trait('employees', String(p.employeesAtSignup), p.createdAt, 'enrichment');
  const span = WORLD_END_MS - p.createdAt;
  const refreshes = Math.max(1, Math.floor(span / (ENRICHMENT_EVERY_DAYS * DAY_MS)));
  let prev = p.employeesAtSignup;
  for (let k = 1; k <= refreshes && p.employees !== p.employeesAtSignup; k++) {
    const value = Math.round(p.employeesAtSignup * (p.employees / p.employeesAtSignup) ** (k / refreshes));
    if (value !== prev)
      trait('employees', String(value), p.createdAt + (k * span) / (refreshes + 1), 'enrichment');
    prev = value;
  }
}

/** Header of ground_truth.csv. */
export const GROUND_TRUTH_HEADER = 'account_id,churned,churn_at,causes\n';

/** One line of ground_truth.csv: churn outcome and the hidden causes the account had (in effect before the end or churn). */
export function groundTruthLine(p: Profile, life: Lifecycle): string {
  const causes = CAUSES.filter((c) => life.causes.has(c)).join(';');
  const churnAt = life.churnAt === null ? '' : isoSeconds(life.churnAt);
  return `${p.accountId},${life.churnAt !== null},${churnAt},${causes}\n`;
}
