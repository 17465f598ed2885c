/**
 * The commercial life of an account: trial funnel, first payment, hidden churn causes,
 * seat expansions and contractions, and churn. Causes are drawn before anything else
 * and then raise the churn hazard, so churn is explainable from what the tables show.
 */

import { clamp, type Rng } from '../random.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, MONTH_MS, WORLD_END_MS, wholeSeconds } from './calendar.js';
import {
  ANNUAL_DISCOUNT,
  ANNUAL_SHARE,
  type Billing,
  ENTERPRISE_MIN_SEATS,
  ENTERPRISE_PLATFORM_FEE,
  FEATURES,
  PLAN_MAX_SEATS,
  PLAN_PRICE,
  type Plan,
  TRIAL_DAYS,
} from './catalog.js';
import type { Cause, Lifecycle, Period, Profile } from './story.js';

/** Monthly churn probability of a paying account with no risk cause. */
const BASE_HAZARD = 0.0012;
/** Hazard multiplier of each cause once it is in effect. */
const HAZARD: Readonly<Record<Cause, number>> = {
  falling_usage: 60,
  unresolved_tickets: 4,
  detractor_nps: 4,
  small_size: 1.7,
  low_adoption: 3,
  month_to_month: 1.5,
};
/**
 * Mean days from ONSET_MIN_DAYS after payment to the start of each episodic cause. The wait is
 * exponential (memoryless), so a customer is as likely to run into trouble in any month of its
 * life and the churn rate holds steady over the calendar, as a model trained on past months
 * needs: about 30% of customers see their usage fall within two years, 20% each the others.
 */
const EPISODIC: readonly (readonly [Cause, number])[] = [
  ['falling_usage', 900],
  ['unresolved_tickets', 3000],
  ['detractor_nps', 3000],
];
/**
 * Days from a cause's onset until it raises the hazard: customers leave after trouble has
 * lasted a while (usage fading for a quarter, tickets unresolved or a bad survey answer for a
 * month), so its marks are in the data before the churn, as a model needs them to be.
 */
const LAG_DAYS: Readonly<Record<Cause, number>> = {
  falling_usage: 75,
  unresolved_tickets: 30,
  detractor_nps: 30,
  small_size: 0,
  low_adoption: 0,
  month_to_month: 0,
};
const SMALL_SIZE_EMPLOYEES = 20;
/** The earliest an episodic cause starts after payment (days). */
const ONSET_MIN_DAYS = 45;
/** Mean days until a never-paying account loses interest entirely. */
const FREE_INTEREST_DAYS = 75;

/** When a cause starts to raise the churn hazard. */
function effectiveFrom(cause: Cause, onset: number): number {
  return onset + LAG_DAYS[cause] * DAY_MS;
}

/** The plan a company of this size trials and buys. */
function choosePlan(rng: Rng, employees: number): Plan {
  const u = rng.next();
  if (employees < 25) return u < 0.75 ? 'starter' : 'growth';
  if (employees < 250) return u < 0.3 ? 'starter' : u < 0.9 ? 'growth' : 'enterprise';
  if (employees < 2000) return u < 0.55 ? 'growth' : 'enterprise';
  return u < 0.3 ? 'growth' : 'enterprise';
}

/** Seats a company buys on a plan: a log-normal share of head count within the plan's limits. */
function seatsFor(rng: Rng, employees: number, plan: Plan): number {
  const want = Math.round(employees * rng.logNormal(0.22, 0.5));
  const min = plan === 'enterprise' ? ENTERPRISE_MIN_SEATS : 1;
  return clamp(want, min, PLAN_MAX_SEATS[plan]);
}

/** Monthly recurring revenue of a period (currency units, 2 decimals). */
export function mrrOf(plan: Plan, seats: number, billing: Billing, discount: number): number {
  if (plan === 'free') return 0;
  const perSeat = PLAN_PRICE[plan] * (billing === 'annual' ? ANNUAL_DISCOUNT : 1) * discount;
  const fee = plan === 'enterprise' ? ENTERPRISE_PLATFORM_FEE : 0;
  return Math.round((seats * perSeat + fee) * 100) / 100;
}

/** Draws when each optional feature is first used; low adopters take up at most one. */
function drawAdoption(
  rng: Rng,
  from: number,
  plan: Plan,
  lowAdoption: boolean,
  paying: boolean,
): Float64Array {
  const out = new Float64Array(FEATURES.length).fill(Number.POSITIVE_INFINITY);
  const breadthMean = plan === 'enterprise' ? 4.2 : plan === 'growth' ? 3.2 : 2.2;
  const breadth = lowAdoption
    ? rng.int(0, 1)
    : clamp(Math.round(rng.normal(breadthMean, 1.1)), 1, FEATURES.length);
  let rank = 0;
  for (let f = 0; f < FEATURES.length && rank < breadth; f++) {
    const feature = FEATURES[f];
    if (feature === undefined) continue;
    const allowed = !feature.paidTierOnly || plan === 'growth' || plan === 'enterprise';
    if (!allowed || !rng.bool(Math.min(1, feature.popularity + 0.15))) continue;
    rank++;
    // Trials explore fast; customers take up features over months, later ones later.
    const meanDays = paying ? 20 * rank : 4 * rank;
    out[f] = from + rng.exponential(meanDays * DAY_MS);
  }
  return out;
}

/** Simulates the funnel, subscription history and churn of one account. */
export function drawLifecycle(rng: Rng, p: Profile): Lifecycle {
  const propensity = rng.logNormal(1, 0.6);
  const size = p.employees;
  const sizeLift = Math.log10(size / 50);
  const periods: Period[] = [];
  const causes = new Map<Cause, number>();

  // Most signups are companies evaluating in earnest (a B2B product, sold to teams): most
  // take the trial and most of those who finish it buy, so most accounts end up customers.
  const tookTrial = rng.bool(clamp(0.9 + 0.03 * sizeLift, 0.8, 0.97));
  const plan0 = choosePlan(rng, size);
  if (!tookTrial) {
    periods.push(freePeriod(p.createdAt));
    const activeEnd = Math.min(WORLD_END_MS, p.createdAt + rng.exponential(FREE_INTEREST_DAYS * DAY_MS));
    const adoption = drawAdoption(rng, p.createdAt, 'free', true, false);
    return { ...noTrial(), periods, activeEnd, causes, propensity, adoption };
  }

  const trialStart = wholeSeconds(
    p.createdAt + (rng.bool(0.6) ? rng.uniform(2 * MINUTE_MS, 3 * HOUR_MS) : rng.uniform(3, 96) * HOUR_MS),
  );
  const trialDue = trialStart + TRIAL_DAYS * DAY_MS;
  // Engaged trials finish; engaged, larger finishers pay.
  const completes = rng.bool(clamp(0.85 * propensity ** 0.35, 0.3, 0.97));
  const pays = completes && rng.bool(clamp(0.92 + 0.04 * sizeLift, 0.8, 0.98));
  const abandonAt = completes ? trialDue : wholeSeconds(trialStart + rng.uniform(1, TRIAL_DAYS - 1) * DAY_MS);
  const paidAt = pays ? wholeSeconds(trialDue + rng.uniform(0, 3 * DAY_MS)) : null;
  const trialRow: Period = {
    plan: plan0,
    seats: 1,
    mrr: 0,
    billing: null,
    startsAt: trialStart,
    endsAt: null,
    status: 'trialing',
  };
  periods.push(trialRow);
  const adoption = drawAdoption(rng, trialStart, plan0, rng.bool(0.3), false);

  if (trialDue > WORLD_END_MS || (paidAt !== null && paidAt > WORLD_END_MS)) {
    // Still trialing (or about to pay) at the end of the world: nothing is decided yet.
    const base = {
      trialStart,
      trialEnd: null,
      trialCompleted: false,
      trialPlan: plan0,
      paidAt: null,
      billing: null,
    };
    return { ...base, periods, churnAt: null, activeEnd: WORLD_END_MS, causes, propensity, adoption };
  }
  const trialEnd = abandonAt;
  const trial = { trialStart, trialEnd, trialCompleted: completes, trialPlan: plan0 };
  if (paidAt === null) {
    trialRow.status = 'replaced';
    trialRow.endsAt = trialEnd;
    periods.push(freePeriod(trialEnd));
    const activeEnd = Math.min(WORLD_END_MS, trialEnd + rng.exponential(FREE_INTEREST_DAYS * DAY_MS));
    return {
      ...trial,
      paidAt: null,
      billing: null,
      periods,
      churnAt: null,
      activeEnd,
      causes,
      propensity,
      adoption,
    };
  }

  trialRow.status = 'replaced';
  trialRow.endsAt = paidAt;
  const billing: Billing = rng.bool(ANNUAL_SHARE[plan0]) ? 'annual' : 'monthly';
  const discount =
    plan0 === 'enterprise' ? rng.uniform(0.72, 0.97) : plan0 === 'growth' ? rng.uniform(0.9, 1) : 1;

  // Hidden causes first: structural ones hold from payment, episodic ones start later.
  if (size < SMALL_SIZE_EMPLOYEES) causes.set('small_size', paidAt);
  if (billing === 'monthly') causes.set('month_to_month', paidAt);
  if (rng.bool(size < SMALL_SIZE_EMPLOYEES ? 0.28 : 0.18)) causes.set('low_adoption', paidAt);
  for (const [cause, meanDays] of EPISODIC) {
    causes.set(cause, paidAt + (ONSET_MIN_DAYS + rng.exponential(meanDays)) * DAY_MS);
  }
  const paidAdoption = drawAdoption(rng, paidAt, plan0, causes.has('low_adoption'), true);
  // Low adopters drop what they tried in the trial; others keep it and add more.
  if (causes.has('low_adoption')) adoption.set(paidAdoption);
  else
    for (let f = 0; f < adoption.length; f++)
      adoption[f] = Math.min(adoption[f] ?? Infinity, paidAdoption[f] ?? Infinity);

  let current: Period = {
    plan: plan0,
    seats: Math.max(1, Math.round(seatsFor(rng, size, plan0) * rng.uniform(0.5, 0.9))),
    mrr: 0,
    billing,
    startsAt: paidAt,
    endsAt: null,
    status: 'active',
  };
  if (current.plan === 'enterprise') current.seats = Math.max(current.seats, ENTERPRISE_MIN_SEATS);
  current.mrr = mrrOf(current.plan, current.seats, billing, discount);
  periods.push(current);

  let churnAt: number | null = null;
  let survival = 1;
  for (let m = 1; ; m++) {
    const boundary = paidAt + m * MONTH_MS;
    if (boundary > WORLD_END_MS) break;
    let hazard = BASE_HAZARD;
    let atRisk = false;
    for (const [cause, onset] of causes) {
      if (effectiveFrom(cause, onset) > boundary) continue;
      hazard *= HAZARD[cause];
      if (cause !== 'month_to_month' && cause !== 'small_size') atRisk = true;
    }
    // A seat or plan change some time during this month.
    if (rng.bool(atRisk ? 0.08 : 0.07)) {
      const at = wholeSeconds(boundary - rng.uniform(0.05, 0.95) * MONTH_MS);
      const next = changeSeats(rng, current, rng.bool(atRisk ? 0.3 : 0.78), size, discount, at);
      if (next !== null) {
        current.endsAt = at;
        current.status = 'replaced';
        periods.push(next);
        current = next;
      }
    }
    // Monthly contracts can leave at any renewal; annual ones only at the anniversary.
    survival *= 1 - Math.min(0.95, hazard);
    if (billing === 'monthly' || m % 12 === 0) {
      if (rng.bool(1 - survival)) {
        churnAt = wholeSeconds(boundary);
        break;
      }
      survival = 1;
    }
  }
  if (churnAt !== null) {
    current.endsAt = churnAt;
    current.status = 'canceled';
  }
  // Only causes that were raising the hazard before the end count (and are listed in the ground truth).
  for (const [cause, onset] of causes)
    if (effectiveFrom(cause, onset) > (churnAt ?? WORLD_END_MS)) causes.delete(cause);
  const activeEnd = churnAt ?? WORLD_END_MS;
  return { ...trial, paidAt, billing, periods, churnAt, activeEnd, causes, propensity, adoption };
}

/** An expansion (more seats, maybe a higher plan) or a contraction; null when nothing changes. */
function changeSeats(
  rng: Rng,
  from: Period,
  expand: boolean,
  employees: number,
  discount: number,
  at: number,
): Period | null {
  let plan = from.plan;
  let seats = from.seats;
  if (expand) {
    seats = Math.ceil(seats * rng.uniform(1.1, 1.5));
    if (seats > PLAN_MAX_SEATS[plan] || rng.bool(0.12)) {
      if (plan === 'starter') plan = 'growth';
      else if (plan === 'growth' && employees >= 25) plan = 'enterprise';
    }
    if (plan === 'enterprise') seats = Math.max(seats, ENTERPRISE_MIN_SEATS);
  } else {
    seats = Math.max(1, Math.floor(seats * rng.uniform(0.6, 0.9)));
    if (plan === 'enterprise' && seats < ENTERPRISE_MIN_SEATS) plan = 'growth';
    else if (plan === 'growth' && seats <= PLAN_MAX_SEATS.starter && rng.bool(0.5)) plan = 'starter';
  }
  seats = Math.min(seats, PLAN_MAX_SEATS[plan]);
  if (seats === from.seats && plan === from.plan) return null;
  const billing = from.billing ?? 'monthly';
  const mrr = mrrOf(plan, seats, billing, discount);
  return { plan, seats, mrr, billing, startsAt: at, endsAt: null, status: 'active' };
}

function freePeriod(at: number): Period {
  return { plan: 'free', seats: 1, mrr: 0, billing: null, startsAt: at, endsAt: null, status: 'active' };
}

function noTrial() {
  return {
    trialStart: null,
    trialEnd: null,
    trialCompleted: false,
    trialPlan: null,
    paidAt: null,
    billing: null,
    churnAt: null,
  };
}
