/**
 * Product events of one account, generated week by week: a weekly rate (propensity x
 * users x drifting trend x season x hidden causes) gives a Poisson count, spread over
 * working days and hours; milestones (signup, trial, payment, invites) are merged in.
 * This is the hot loop of the generator: no allocation per event beyond the row strings.
 */

import { clamp, type Rng } from '../random.js';
import {
  DAY_MS,
  HOUR_MS,
  usageSeason,
  WEEK_DAY_OFFSET,
  WEEK_MS,
  WORLD_END_MS,
  weekdayOf,
} from './calendar.js';
import { CORE_EVENT, CORE_WEIGHT, FEATURES, SESSION_SHARE, TRIAL_DAYS } from './catalog.js';
import { REGION_HOURS } from './firmographics.js';
import type { RowSink } from './sink.js';
import { causeActive, type Lifecycle, type Profile, type User } from './story.js';
import { eventProperties, FEATURE_SLOT, milestoneEvents, SESSION_SLOT } from './usage-properties.js';

/** Events per week of a median account with one user; calibrated so S/M/L land near 100 events per account. */
const WEEKLY_RATE = 0.36;
/** Usage grows sub-linearly with users: big accounts have many light users. */
const USER_EXPONENT = 0.6;
const TRIAL_BOOST = 1.6;
const FREE_LEVEL = 0.45;
const FREE_DECAY_MS = 30 * DAY_MS;
const FALLING_DECAY_MS = 30 * DAY_MS;
const FALLING_FLOOR = 0.02;
/** Share of api_call events made by an API token rather than a person (user_id NULL). */
const API_TOKEN_SHARE = 0.7;

const tsBuf = { data: new Float64Array(4096) };
const slotWeights = new Float64Array(FEATURES.length + 1);
const slotIds = new Int32Array(FEATURES.length + 1);

/** Writes every event of one account to the sink; returns how many it wrote. */
export function emitEvents(
  rng: Rng,
  p: Profile,
  life: Lifecycle,
  users: readonly User[],
  sink: RowSink,
): number {
  const row: (string | number | null)[] = ['', p.accountId, null, '', 0, null];
  const idPrefix = `e${p.code}_`;
  let seq = 0;
  const write = (event: string, userIndex: number, ts: number, props: string | null): void => {
    row[0] = idPrefix + (seq++).toString(36);
    row[2] = userIndex < 0 ? null : (users[userIndex]?.userId ?? null);
    row[3] = event;
    row[4] = ts;
    row[5] = props;
    sink.push(row);
  };

  const milestones = milestoneEvents(p, life, users);
  let next = 0;
  const hours = REGION_HOURS[p.regionIndex] ?? REGION_HOURS[0];
  if (hours === undefined) throw new Error('no region hours');
  const fallingOnset = life.causes.get('falling_usage') ?? Number.POSITIVE_INFINITY;
  const lowAdoption = life.causes.has('low_adoption');
  const planFactor = life.paidAt === null ? 1 : life.periods.some((q) => q.plan === 'enterprise') ? 1.3 : 1;
  const trialUntil = life.trialStart === null ? -1 : (life.trialEnd ?? life.trialStart + TRIAL_DAYS * DAY_MS);
  const freeFrom = life.trialEnd ?? p.createdAt;
  const end = Math.min(life.activeEnd, WORLD_END_MS);
  const trend = rng.normal(0, 0.0025);
  let drift = 0;
  let known = 0; // users that exist at the start of the week: nobody acts before joining
  let adoptedMask = -1;
  let slots = 0;

  for (let week = Math.floor(p.createdAt / DAY_MS) * DAY_MS; week < end; week += WEEK_MS) {
    while (known < users.length && (users[known]?.createdAt ?? Infinity) <= week) known++;
    const n = Math.max(1, known);
    let rate: number;
    if (life.paidAt !== null && week >= life.paidAt) {
      drift = 0.9 * drift + rng.normal(0, 0.12);
      const weeksPaid = (week - life.paidAt) / WEEK_MS;
      let mult = Math.exp(drift + clamp(trend * weeksPaid, -1, 0.8)) * planFactor;
      if (week >= fallingOnset)
        mult *= Math.max(FALLING_FLOOR, Math.exp(-(week - fallingOnset) / FALLING_DECAY_MS));
      if (lowAdoption) mult *= 0.6;
      if (causeActive(life.causes, 'detractor_nps', week)) mult *= 0.85;
      if (causeActive(life.causes, 'unresolved_tickets', week)) mult *= 0.9;
      rate = WEEKLY_RATE * life.propensity * n ** USER_EXPONENT * mult;
    } else if (week < trialUntil || (life.paidAt !== null && week < life.paidAt)) {
      rate = WEEKLY_RATE * life.propensity * TRIAL_BOOST * n ** USER_EXPONENT;
    } else {
      rate = WEEKLY_RATE * life.propensity * FREE_LEVEL * Math.exp(-(week - freeFrom) / FREE_DECAY_MS);
    }
    rate *= usageSeason(week + 3 * DAY_MS);

    // Feature mix of this week: the core feature plus whatever the account adopted by now.
    let mask = 0;
    for (let f = 0; f < FEATURES.length; f++) if ((life.adoption[f] ?? Infinity) <= week) mask |= 1 << f;
    if (mask !== adoptedMask) {
      adoptedMask = mask;
      slots = buildSlots(mask);
    }

    const count = rng.poisson(rate);
    let kept = 0;
    if (count > 0) {
      if (tsBuf.data.length < count) tsBuf.data = new Float64Array(count * 2);
      const days = WEEK_DAY_OFFSET[weekdayOf(week)];
      for (let i = 0; i < count; i++) {
        const ts =
          week +
          (days?.sample(rng) ?? 0) * DAY_MS +
          hours.sample(rng) * HOUR_MS +
          Math.floor(rng.next() * HOUR_MS);
        if (ts > p.createdAt && ts < end) tsBuf.data[kept++] = ts;
      }
    }
    const times = tsBuf.data.subarray(0, kept).sort();
    for (let i = 0; i < kept; i++) {
      const ts = times[i] ?? week;
      for (let m = milestones[next]; m !== undefined && m.ts <= ts; m = milestones[++next])
        write(m.event, m.user, m.ts, m.props);
      const who = Math.floor(n * rng.next() ** 1.6);
      if (rng.next() < SESSION_SHARE) {
        write('session_start', who, ts, eventProperties(SESSION_SLOT, rng));
        continue;
      }
      const slot = pickSlot(slots, rng.next());
      const event = slot === 0 ? CORE_EVENT : (FEATURES[slot - 1]?.event ?? CORE_EVENT);
      const byToken = event === 'api_call' && rng.next() < API_TOKEN_SHARE;
      write(event, byToken ? -1 : who, ts, eventProperties(FEATURE_SLOT + slot, rng));
    }
  }
  for (let m = milestones[next]; m !== undefined; m = milestones[++next]) {
    if (m.ts <= end) write(m.event, m.user, m.ts, m.props);
  }
  return seq;
}

/** Fills the shared slot tables for an adoption mask; returns how many slots are live. */
function buildSlots(mask: number): number {
  let total = CORE_WEIGHT;
  slotIds[0] = 0;
  slotWeights[0] = total;
  let k = 1;
  for (let f = 0; f < FEATURES.length; f++) {
    if ((mask & (1 << f)) === 0) continue;
    total += FEATURES[f]?.weight ?? 0;
    slotIds[k] = f + 1;
    slotWeights[k] = total;
    k++;
  }
  for (let i = 0; i < k; i++) slotWeights[i] = (slotWeights[i] ?? 0) / total;
  return k;
}

/** The feature slot (0 = core, f + 1 = FEATURES[f]) whose cumulative weight first exceeds u. */
function pickSlot(live: number, u: number): number {
  for (let i = 0; i < live - 1; i++) if (u < (slotWeights[i] ?? 1)) return slotIds[i] ?? 0;
  return slotIds[live - 1] ?? 0;
}
