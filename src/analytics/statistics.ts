import jstat from 'jstat';
import { StrataError } from '../errors.js';

const { jStat } = jstat;

/**
 * The statistical tests and intervals the analyses share, on top of jStat's distributions.
 */

/** Standard normal quantile. */
const z = (p: number) => jStat.normal.inv(p, 0, 1);

/**
 * Accounts needed per variant to detect an absolute change `mde` from a `baseline`
 * conversion rate with a two-sided test at `alpha` and the given power (the normal
 * approximation without continuity correction, as R's power.prop.test).
 */
export function sampleSizePerVariant(options: {
  baseline: number;
  mde: number;
  alpha?: number;
  power?: number;
}) {
  const { baseline: p1, mde } = options;
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  const p2 = p1 + mde;
  if (!(p1 > 0 && p1 < 1 && p2 > 0 && p2 < 1 && mde !== 0)) {
    throw new StrataError(
      'invalid_argument',
      `baseline ${p1} and baseline + mde ${p2} must both lie strictly between 0 and 1`,
    );
  }
  if (!(alpha > 0 && alpha < 1 && power > 0 && power < 1)) {
    throw new StrataError('invalid_argument', 'alpha and power must lie strictly between 0 and 1');
  }
  const mean = (p1 + p2) / 2;
  const n =
    (z(1 - alpha / 2) * Math.sqrt(2 * mean * (1 - mean)) +
      z(power) * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) **
      2 /
    mde ** 2;
  return Math.ceil(n);
}

export interface Comparison {
  /** treatment minus control. */
  readonly difference: number;
  readonly confidenceInterval: readonly [number, number];
  readonly pValue: number;
  readonly statistic: number;
  readonly degreesOfFreedom: number | null;
}

/** Two-proportion z-test (pooled, two-sided) and a Wald interval for the difference. */
export function compareProportions(
  control: { n: number; successes: number },
  treatment: { n: number; successes: number },
  confidence = 0.95,
): Comparison {
  const [p0, p1] = [control.successes / control.n, treatment.successes / treatment.n];
  const pooled = (control.successes + treatment.successes) / (control.n + treatment.n);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n));
  const statistic = se > 0 ? (p1 - p0) / se : 0;
  const wald = Math.sqrt((p0 * (1 - p0)) / control.n + (p1 * (1 - p1)) / treatment.n);
  const q = z(1 - (1 - confidence) / 2);
  return {
    difference: p1 - p0,
    confidenceInterval: [p1 - p0 - q * wald, p1 - p0 + q * wald],
    pValue: se > 0 ? 2 * (1 - jStat.normal.cdf(Math.abs(statistic), 0, 1)) : 1,
    statistic,
    degreesOfFreedom: null,
  };
}

/** Welch's t-test (two-sided) on two samples given by count, mean and sample variance. */
export function welchTest(
  control: { n: number; mean: number; variance: number },
  treatment: { n: number; mean: number; variance: number },
  confidence = 0.95,
): Comparison {
  const [a, b] = [control.variance / control.n, treatment.variance / treatment.n];
  const se = Math.sqrt(a + b);
  const df = (a + b) ** 2 / (a ** 2 / (control.n - 1) + b ** 2 / (treatment.n - 1));
  const difference = treatment.mean - control.mean;
  const statistic = se > 0 ? difference / se : 0;
  const q = jStat.studentt.inv(1 - (1 - confidence) / 2, df);
  return {
    difference,
    confidenceInterval: [difference - q * se, difference + q * se],
    pValue: se > 0 ? 2 * (1 - jStat.studentt.cdf(Math.abs(statistic), df)) : 1,
    statistic,
    degreesOfFreedom: df,
  };
}

/** Pooled two-proportion z statistic of x1/n1 against x2/n2 (0 when it is undefined). */
export function pooledZ(x1: number, n1: number, x2: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 0;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  return se > 0 ? (x1 / n1 - x2 / n2) / se : 0;
}

/** One-sided p-value that x1/n1 is below x2/n2 (pooled z-test); 1 when there is nothing to test. */
export function pBelow(x1: number, n1: number, x2: number, n2: number): number {
  const zValue = pooledZ(x1, n1, x2, n2);
  return n1 > 0 && n2 > 0 && zValue !== 0 ? jStat.normal.cdf(zValue, 0, 1) : 1;
}

/** Cohen's h: the difference of two proportions on the arcsine scale. */
export const cohensH = (p1: number, p2: number) =>
  2 * Math.asin(Math.sqrt(p1)) - 2 * Math.asin(Math.sqrt(p2));

/** Benjamini-Hochberg adjusted p-values (same order as given). */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(pValues.length);
  let running = 1;
  for (let rank = order.length; rank >= 1; rank--) {
    const [p, i] = order[rank - 1] as readonly [number, number];
    running = Math.min(running, (p * order.length) / rank);
    adjusted[i] = running;
  }
  return adjusted;
}

/** A share with its 95% Wilson interval. */
export interface Rate {
  readonly successes: number;
  readonly n: number;
  readonly rate: number | null;
  readonly low: number | null;
  readonly high: number | null;
}

/** Wilson score interval (95%) of a share. */
export function wilson(successes: number, n: number): Rate {
  if (n === 0) return { successes, n, rate: null, low: null, high: null };
  const q = z(0.975);
  const p = successes / n;
  const centre = (p + (q * q) / (2 * n)) / (1 + (q * q) / n);
  const half = (q * Math.sqrt((p * (1 - p)) / n + (q * q) / (4 * n * n))) / (1 + (q * q) / n);
  return { successes, n, rate: p, low: centre - half, high: centre + half };
}

/** A mean with its 95% t interval. */
export interface Mean {
  readonly n: number;
  readonly mean: number | null;
  readonly low: number | null;
  readonly high: number | null;
}

/** The mean and its 95% t interval of n values given by their sum and sum of squares. */
export function meanInterval(n: number, total: number, squares: number): Mean {
  if (n === 0) return { n, mean: null, low: null, high: null };
  const mean = total / n;
  if (n < 2) return { n, mean, low: null, high: null };
  const variance = Math.max(0, (squares - n * mean * mean) / (n - 1));
  const half = jStat.studentt.inv(0.975, n - 1) * Math.sqrt(variance / n);
  return { n, mean, low: mean - half, high: mean + half };
}
