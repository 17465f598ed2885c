/**
 * Support tickets and NPS answers of one account. Accounts with the hidden
 * `unresolved_tickets` cause file more, more urgent, slower and more often unresolved
 * tickets with low CSAT once the cause starts; `detractor_nps` pulls scores to 0-6.
 */

import { Categorical, clamp, type Rng } from '../random.js';
import { DAY_MS, HOUR_MS, MONTH_MS, WORLD_END_MS } from './calendar.js';
import type { RowSink } from './sink.js';
import { causeActive, type Lifecycle, type Profile, type User } from './story.js';

const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
const PRIORITY_CALM = new Categorical([0.3, 0.5, 0.15, 0.05]);
const PRIORITY_TROUBLED = new Categorical([0.1, 0.4, 0.35, 0.15]);
/** Median hours to resolve per priority when support works well. */
const RESOLVE_MEDIAN_H = [30, 14, 6, 2.5];
const CSAT_GOOD = new Categorical([0.02, 0.04, 0.1, 0.34, 0.5]);
const CSAT_SLOW = new Categorical([0.08, 0.12, 0.25, 0.3, 0.25]);
const CSAT_TROUBLED = new Categorical([0.3, 0.3, 0.2, 0.12, 0.08]);
const CHANNELS = ['email', 'chat', 'phone'];
const CATEGORIES = ['how_to', 'bug', 'billing', 'feature_request', 'outage'];
const CHANNEL_WEIGHT = [5, 4, 1];
const CATEGORY_WEIGHT = [5, 3, 1.5, 1.5, 0.5];
const TICKET_TRAITS = CHANNELS.flatMap((c) => CATEGORIES.map((k) => `{"channel":"${c}","category":"${k}"}`));
const TICKET_TRAIT_DIST = new Categorical(
  CHANNELS.flatMap((_, i) => CATEGORIES.map((_, j) => (CHANNEL_WEIGHT[i] ?? 1) * (CATEGORY_WEIGHT[j] ?? 1))),
);
const SURVEY_TRAITS = ['{"channel":"in_app"}', '{"channel":"email"}'];

/** Writes the tickets of one account; returns how many. */
export function emitTickets(
  rng: Rng,
  p: Profile,
  life: Lifecycle,
  users: readonly User[],
  sink: RowSink,
): number {
  const row: (string | number | null)[] = ['', p.accountId, 0, null, '', null, null];
  const end = Math.min(life.activeEnd, WORLD_END_MS);
  const paidRate = 0.1 * Math.max(1, users.length) ** 0.35;
  let written = 0;
  const times: number[] = [];
  for (let from = p.createdAt; from < end; from += MONTH_MS) {
    const mid = from + MONTH_MS / 2;
    const paying = life.paidAt !== null && mid >= life.paidAt;
    const trialing = life.trialStart !== null && mid >= life.trialStart && mid < (life.trialEnd ?? end);
    let rate = paying ? paidRate : trialing ? 0.12 : 0.01;
    if (causeActive(life.causes, 'unresolved_tickets', mid)) rate *= 3.5;
    times.length = 0;
    for (let k = rng.poisson(rate); k > 0; k--) {
      const t = from + rng.next() * MONTH_MS;
      if (t < end) times.push(Math.floor(t));
    }
    times.sort((a, b) => a - b);
    for (const createdAt of times) {
      const troubled = causeActive(life.causes, 'unresolved_tickets', createdAt);
      const priority = (troubled ? PRIORITY_TROUBLED : PRIORITY_CALM).sample(rng);
      const hours = rng.logNormal(
        (RESOLVE_MEDIAN_H[priority] ?? 12) * (troubled ? 6 : 1),
        troubled ? 1.2 : 1,
      );
      let resolvedAt: number | null = createdAt + Math.max(0.05, hours) * HOUR_MS;
      if (rng.bool(troubled ? 0.35 : 0.025) || resolvedAt > WORLD_END_MS) resolvedAt = null;
      let csat: number | null = null;
      if (resolvedAt !== null && rng.bool(0.55)) {
        const dist = troubled ? CSAT_TROUBLED : hours > 48 ? CSAT_SLOW : CSAT_GOOD;
        csat = dist.sample(rng) + 1;
      }
      row[0] = `t${p.code}_${(written++).toString(36)}`;
      row[2] = createdAt;
      row[3] = resolvedAt === null ? null : Math.floor(resolvedAt);
      row[4] = PRIORITIES[priority] ?? 'normal';
      row[5] = csat;
      row[6] = TICKET_TRAITS[TICKET_TRAIT_DIST.sample(rng)] ?? null;
      sink.push(row);
    }
  }
  return written;
}

/** Writes the NPS answers of one paying account (quarterly rounds); returns how many. */
export function emitSurveys(
  rng: Rng,
  p: Profile,
  life: Lifecycle,
  users: readonly User[],
  sink: RowSink,
): number {
  if (life.paidAt === null) return 0;
  const row: (string | number | null)[] = [p.accountId, null, 0, 0, null];
  const end = Math.min(life.activeEnd, WORLD_END_MS);
  const satisfaction = rng.normal(0, 1);
  const lowAdoption = life.causes.has('low_adoption');
  let written = 0;
  for (
    let round = life.paidAt + rng.uniform(30, 75) * DAY_MS;
    round < end;
    round += rng.uniform(80, 100) * DAY_MS
  ) {
    if (!rng.bool(0.55)) continue;
    let known = 0;
    while (known < users.length && (users[known]?.createdAt ?? Infinity) <= round) known++;
    const answers = Math.min(Math.max(1, known), 1 + rng.poisson(0.25 * known ** 0.4));
    for (let k = 0; k < answers; k++) {
      const ts = Math.floor(round + rng.uniform(0, 7) * DAY_MS);
      if (ts >= end) continue;
      let score = 8.3 + 1.3 * satisfaction + rng.normal(0, 1.4);
      if (causeActive(life.causes, 'detractor_nps', ts)) score -= 4.6;
      if (causeActive(life.causes, 'unresolved_tickets', ts)) score -= 1.6;
      if (causeActive(life.causes, 'falling_usage', ts)) score -= 1;
      if (lowAdoption) score -= 0.7;
      row[1] = users[Math.floor(rng.next() * Math.max(1, known))]?.userId ?? null;
      row[2] = ts;
      row[3] = clamp(Math.round(score), 0, 10);
      row[4] = SURVEY_TRAITS[rng.bool(0.7) ? 0 : 1] ?? null;
      sink.push(row);
      written++;
    }
  }
  return written;
}
