/**
 * The `properties` JSON of events and the milestone events of an account's life.
 * Property strings are assembled from precomputed fragments (a variant plus maybe a
 * number), which measured several times faster than JSON.stringify per event.
 */

import { Categorical, type Rng } from '../random.js';
import { MINUTE_MS } from './calendar.js';
import { FEATURES, TRIAL_DAYS } from './catalog.js';
import type { Lifecycle, Profile, User } from './story.js';

interface PropertyShape {
  readonly variants: readonly string[];
  readonly pick: Categorical;
  /** When set, each variant is an open prefix completed by a duration in seconds (exponential with this mean). */
  readonly durationMean?: number;
}

function shape(
  variants: readonly string[],
  weights: readonly number[],
  durationMean?: number,
): PropertyShape {
  const pick = new Categorical(weights);
  return durationMean === undefined ? { variants, pick } : { variants, pick, durationMean };
}

const withAll = (prefix: string, values: readonly string[], suffix: string) =>
  values.map((v) => `${prefix}${v}${suffix}`);

const API_ENDPOINTS = ['/v1/metrics', '/v1/reports', '/v1/dashboards', '/v1/events', '/v1/users'];
const API_STATUS = [200, 429, 500];

const SHAPE_BY_EVENT: Readonly<Record<string, PropertyShape>> = {
  dashboard_created: shape(
    Array.from({ length: 12 }, (_, k) => `{"feature":"dashboards","widgets":${k + 1}}`),
    Array.from({ length: 12 }, (_, k) => 1 / (k + 2)),
  ),
  report_exported: shape(withAll('{"feature":"reports","format":"', ['csv', 'pdf', 'xlsx'], '"}'), [5, 3, 2]),
  alert_set: shape(
    withAll('{"feature":"alerts","channel":"', ['email', 'slack', 'webhook'], '"}'),
    [5, 4, 1],
  ),
  integration_connected: shape(
    withAll(
      '{"feature":"integrations","integration":"',
      ['salesforce', 'hubspot', 'slack', 'snowflake', 'zendesk', 'jira'],
      '"}',
    ),
    [4, 3, 3, 1.5, 1.5, 2],
  ),
  api_call: shape(
    API_ENDPOINTS.flatMap((e) => API_STATUS.map((s) => `{"feature":"api","endpoint":"${e}","status":${s}}`)),
    API_ENDPOINTS.flatMap((_, i) =>
      API_STATUS.map((s) => (s === 200 ? 0.96 : s === 429 ? 0.03 : 0.01) / (i + 1)),
    ),
  ),
  sso_enabled: shape(
    withAll('{"feature":"sso","provider":"', ['okta', 'azure_ad', 'google'], '"}'),
    [5, 3.5, 1.5],
  ),
};

/** Slot numbers: sessions, then the core feature, then FEATURES in order. */
export const SESSION_SLOT = 0;
export const FEATURE_SLOT = 1;
const SHAPES: readonly PropertyShape[] = [
  shape(withAll('{"platform":"', ['web', 'desktop', 'mobile'], '","duration_s":'), [72, 18, 10], 420),
  shape(['{"feature":"dashboards","duration_s":'], [1], 95),
  ...FEATURES.map((f) => {
    const s = SHAPE_BY_EVENT[f.event];
    if (s === undefined) throw new Error(`no property shape for ${f.event}`);
    return s;
  }),
];

/** The properties JSON text of one event in a slot. */
export function eventProperties(slot: number, rng: Rng): string {
  const s = SHAPES[slot] ?? SHAPES[0];
  if (s === undefined) return '{}';
  const v = s.variants[s.pick.sample(rng)] ?? '{}';
  if (s.durationMean === undefined) return v;
  return `${v}${Math.round(5 + rng.exponential(s.durationMean))}}`;
}

export interface Milestone {
  readonly ts: number;
  readonly event: string;
  /** Index into the account's users (the actor). */
  readonly user: number;
  readonly props: string | null;
}

/** Funnel steps and invitations of one account, sorted by time. */
export function milestoneEvents(p: Profile, life: Lifecycle, users: readonly User[]): Milestone[] {
  const out: Milestone[] = [
    { ts: p.createdAt, event: 'signup', user: 0, props: `{"source":"${p.acquisition}"}` },
  ];
  const plan = life.trialPlan;
  if (life.trialStart !== null && plan !== null) {
    const props = `{"plan":"${plan}","trial_days":${TRIAL_DAYS}}`;
    out.push({ ts: life.trialStart, event: 'trial_started', user: 0, props });
    if (life.trialCompleted && life.trialEnd !== null) {
      out.push({ ts: life.trialEnd, event: 'trial_completed', user: 0, props: `{"plan":"${plan}"}` });
    }
  }
  const paid = life.periods.find((q) => q.startsAt === life.paidAt);
  if (life.paidAt !== null && paid !== undefined) {
    const props = `{"plan":"${paid.plan}","billing":"${paid.billing}","mrr":${paid.mrr}}`;
    // The billing contact pays if they have joined by then; otherwise the founder does.
    const payer = (users[1]?.createdAt ?? Infinity) <= life.paidAt ? 1 : 0;
    out.push({ ts: life.paidAt, event: 'subscription_paid', user: payer, props });
  }
  for (let k = 1; k < users.length; k++) {
    const u = users[k];
    if (u === undefined) continue;
    // The invitation goes out a little before the colleague's account exists.
    const ts = Math.max(p.createdAt + MINUTE_MS, u.createdAt - ((k * 7919) % 1440) * MINUTE_MS);
    out.push({ ts, event: 'invite_sent', user: 0, props: `{"role":"${u.role}"}` });
  }
  return out.sort((a, b) => a.ts - b.ts);
}
