import { StrataError } from '../../errors.js';
import { nelderMead } from '../nelder-mead.js';

/**
 * The shifted-beta-geometric (sBG) model of contract duration, after Fader & Hardie (2007),
 * "How to Project Customer Retention", Journal of Interactive Marketing 21(1).
 *
 * Each customer churns at the end of a period with a constant probability theta of their
 * own; theta varies across customers as Beta(alpha, beta). So a cohort's retention rate
 * rises over time (the churn-prone leave first) even though no customer changes.
 *   P(T = 1) = alpha / (alpha + beta)
 *   P(T = t) = P(T = t - 1) * (beta + t - 2) / (alpha + beta + t - 1)
 *   S(t)     = S(t - 1) * (beta + t - 1) / (alpha + beta + t - 1),  S(0) = 1
 */

/** Survival S(0..horizon): the share of a cohort still a customer after t periods. */
export function sbgSurvival(alpha: number, beta: number, horizon: number): number[] {
  const survival = [1];
  for (let t = 1; t <= horizon; t++) {
    survival.push((survival[t - 1] ?? 0) * ((beta + t - 1) / (alpha + beta + t - 1)));
  }
  return survival;
}

/** Log-likelihood of a cohort's counts `alive[0..n]` (alive[0] = cohort size). */
export function sbgLogLikelihood(alpha: number, beta: number, alive: readonly number[]): number {
  const n = alive.length - 1;
  let churnAt = alpha / (alpha + beta); // P(T = 1)
  let ll = 0;
  for (let t = 1; t <= n; t++) {
    if (t > 1) churnAt *= (beta + t - 2) / (alpha + beta + t - 1);
    const lost = (alive[t - 1] ?? 0) - (alive[t] ?? 0);
    if (lost > 0) ll += lost * Math.log(churnAt);
  }
  const survival = sbgSurvival(alpha, beta, n)[n] ?? 0;
  const stayed = alive[n] ?? 0;
  return stayed > 0 ? ll + stayed * Math.log(survival) : ll;
}

export interface SbgFit {
  readonly alpha: number;
  readonly beta: number;
  readonly logLikelihood: number;
  /** Periods of data the fit used (alive[0..periods]). */
  readonly periods: number;
  /** Mean lifetime in periods, (alpha + beta - 1) / (alpha - 1); null (infinite) when alpha <= 1. */
  readonly expectedLifetime: number | null;
}

/** Checks a survival table: starts above 0, whole non-negative counts that never grow. */
export function checkSurvival(alive: readonly number[], source = 'survival table'): void {
  if (alive.length < 3) {
    throw new StrataError(
      'invalid_survival',
      `${source}: needs alive counts for periods 0, 1 and 2 at least`,
    );
  }
  alive.forEach((n, t) => {
    if (!Number.isFinite(n) || n < 0) {
      throw new StrataError(
        'invalid_survival',
        `${source}: period ${t}: alive must be a number >= 0, got ${n}`,
      );
    }
    if (t > 0 && n > (alive[t - 1] ?? 0)) {
      throw new StrataError(
        'invalid_survival',
        `${source}: period ${t}: ${n} alive is more than the ${alive[t - 1]} of period ${t - 1}; a cohort only shrinks`,
      );
    }
  });
  if ((alive[0] ?? 0) <= 0)
    throw new StrataError('invalid_survival', `${source}: period 0 must have customers`);
}

/**
 * Maximum-likelihood alpha and beta for a cohort's survival counts, by Nelder-Mead on
 * log-parameters (both stay positive) from several starts, keeping the best.
 */
export function fitSbg(alive: readonly number[]): SbgFit {
  checkSurvival(alive);
  // Data with (almost) no churn, or churn that does not slow, push the maximum to the edge
  // of the parameter space (alpha -> 0, or alpha and beta -> infinity with a fixed ratio):
  // parameters stay within e^-12..e^12, where the model is already indistinguishable.
  const bounded = (x: number | undefined) => Math.exp(Math.min(12, Math.max(-12, x ?? 0)));
  const negative = ([a, b]: readonly number[]) => {
    const ll = sbgLogLikelihood(bounded(a), bounded(b), alive);
    return Number.isFinite(ll) ? -ll : Number.MAX_VALUE;
  };
  let best = { x: [0, 0], fx: Number.POSITIVE_INFINITY };
  for (const start of [
    [0, 0],
    [-1, 1],
    [1, 2],
    [-2, -1],
  ]) {
    const found = nelderMead(negative, start, { tolerance: 1e-14 });
    if (found.fx < best.fx) best = found;
  }
  const [alpha, beta] = [bounded(best.x[0]), bounded(best.x[1])];
  return {
    alpha,
    beta,
    logLikelihood: -best.fx,
    periods: alive.length - 1,
    expectedLifetime: alpha > 1 ? (alpha + beta - 1) / (alpha - 1) : null,
  };
}

/**
 * Whether a fit ran into the edge of the range fitSbg searches (log-parameters within
 * -12..12): its alpha and beta are then arbitrary, only their ratio (the rate) is not.
 */
export function sbgAtEdge(alpha: number, beta: number): boolean {
  return [alpha, beta].some((x) => Math.abs(Math.log(x)) >= 11.9);
}

/** Retention rate of period t (t >= 1): the share of those alive at t - 1 still alive at t. */
export function sbgRetentionRate(alpha: number, beta: number, t: number): number {
  return (beta + t - 1) / (alpha + beta + t - 1);
}

/**
 * Discounted expected lifetime of a new customer in periods, sum over t >= 0 of
 * S(t) / (1 + discount)^t (the first period is paid now). Times the value of one
 * period, it is the customer's discounted lifetime value.
 */
export function discountedLifetime(alpha: number, beta: number, discount: number): number {
  if (!(discount > 0))
    throw new StrataError('invalid_argument', `discount rate must be above 0, got ${discount}`);
  let survival = 1;
  let factor = 1;
  let total = 1;
  // Terms shrink at least geometrically by 1 / (1 + discount): stop when they no longer count.
  for (let t = 1; t < 1_000_000; t++) {
    survival *= sbgRetentionRate(alpha, beta, t);
    factor /= 1 + discount;
    const term = survival * factor;
    total += term;
    if (term < 1e-12 * total) break;
  }
  return total;
}
