import { number } from '../format/numbers.js';
import type { FeatureTransform } from '../language/ast.js';

/**
 * How `strata cluster` reshapes each metric before standardising it, so that a skewed metric
 * (most accounts pay 0, a few pay thousands) or one extreme account does not own a cluster:
 * - `cap` clamps the metric to its 1st and 99th percentiles (nearest rank: the smallest value
 *   at least 1% / 99% of the accounts are at or below), unless that would leave it constant;
 * - `log` takes ln(1 + value) of a metric with no negative value;
 * - `auto` (the default) caps, then logs when the capped values have no negative value and a
 *   skewness above 1 (the usual mark of a strongly right-skewed distribution);
 * - `none` leaves the values as they are (z-scores only).
 * Missing values are left out of every statistic and stay missing.
 */

export const TRANSFORM_CHOICES = ['auto', 'none', 'log', 'cap'] as const;
export type TransformChoice = (typeof TRANSFORM_CHOICES)[number];

/** Percentiles (0-100) the cap clamps to. */
export const CAP_PERCENTILES = [1, 99] as const;
/** Skewness above which `auto` takes the logarithm of a non-negative metric. */
export const SKEWNESS_LIMIT = 1;

/** What was done to one metric, for the report. */
export interface TransformNote extends FeatureTransform {
  readonly metric: string;
  /** Accounts whose value was clamped to a bound. */
  readonly capped: number;
  /** Skewness of the values before and after the transform (population moments, as scipy's skew). */
  readonly skewness: number;
  readonly skewnessAfter: number;
  /** In words: "capped to 0..4,900 (3 accounts), then ln(1 + x); skewness 5.21 -> 0.35". */
  readonly description: string;
}

/** Population skewness m3 / m2^1.5 of the values (0 for fewer than 2 values or a constant). */
export function skewness(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  let [m2, m3] = [0, 0];
  for (const v of values) [m2, m3] = [m2 + (v - mean) ** 2 / n, m3 + (v - mean) ** 3 / n];
  return m2 > 0 ? m3 / m2 ** 1.5 : 0;
}

/** The nearest-rank percentile (0-100) of sorted values: sorted[ceil(q/100 n) - 1]. */
export function nearestRank(sorted: readonly number[], q: number): number {
  const index = Math.max(0, Math.ceil((q / 100) * sorted.length) - 1);
  return sorted[Math.min(index, sorted.length - 1)] ?? Number.NaN;
}

/**
 * One value transformed: NaN (missing) stays NaN. ln(1 + x) rather than Math.log1p, because
 * the SQL scorer computes exactly that (src/compile/model-sql.ts transformedSql).
 */
export function applyTransform(transform: FeatureTransform, value: number): number {
  if (Number.isNaN(value)) return value;
  let v = value;
  if (transform.lower !== null && v < transform.lower) v = transform.lower;
  if (transform.upper !== null && v > transform.upper) v = transform.upper;
  return transform.log ? Math.log(1 + v) : v;
}

/** A bound as people read it: three significant digits (0.833, 4,800), like every figure of the CLI. */
const figure = (v: number) => number(v);

/** The transform of one metric's values (missing values left out) under a choice. */
function transformFor(values: readonly number[], choice: TransformChoice): FeatureTransform {
  const none: FeatureTransform = { lower: null, upper: null, log: false };
  if (values.length === 0 || choice === 'none') return none;
  const sorted = [...values].sort((a, b) => a - b);
  let cap = none;
  if (choice === 'cap' || choice === 'auto') {
    const [lower, upper] = CAP_PERCENTILES.map((q) => nearestRank(sorted, q)) as [number, number];
    // A cap that would make the metric constant (99% of accounts alike) would erase it.
    if (upper > lower)
      cap = {
        lower: lower > (sorted[0] ?? lower) ? lower : null,
        upper: upper < (sorted.at(-1) ?? upper) ? upper : null,
        log: false,
      };
  }
  const capped = values.map((v) => applyTransform(cap, v));
  const nonNegative = (cap.lower ?? sorted[0] ?? 0) >= 0;
  const log = nonNegative && (choice === 'log' || (choice === 'auto' && skewness(capped) > SKEWNESS_LIMIT));
  return { ...cap, log };
}

/** Words for what a transform did. */
function describe(
  t: FeatureTransform,
  capped: number,
  before: number,
  after: number,
  hasNegatives: boolean,
  choice: TransformChoice,
) {
  const steps = [];
  const accounts = `${capped} account${capped === 1 ? '' : 's'}`;
  if (t.lower !== null && t.upper !== null)
    steps.push(`clamped to ${figure(t.lower)}..${figure(t.upper)} (${accounts} outside)`);
  else if (t.upper !== null) steps.push(`capped at ${figure(t.upper)} (${accounts} above)`);
  else if (t.lower !== null) steps.push(`raised to ${figure(t.lower)} (${accounts} below)`);
  if (t.log) steps.push('ln(1 + x)');
  const what = steps.length > 0 ? steps.join(', then ') : 'unchanged';
  const why = choice === 'log' && !t.log && hasNegatives ? ' (has negative values, so not logged)' : '';
  // Rounded first, so that rounding noise never prints as -0.00.
  const two = (v: number) => (Math.round(v * 100) / 100 || 0).toFixed(2);
  const skew = steps.length > 0 ? `skewness ${two(before)} -> ${two(after)}` : `skewness ${two(before)}`;
  return `${what}${why}; ${skew}`;
}

/**
 * The transform of each column of a row-major matrix (p columns, NaN for missing) under a
 * choice, the transformed matrix (missing values still NaN), and a note per metric.
 */
export function transformColumns(
  x: Float64Array,
  p: number,
  metrics: readonly string[],
  choice: TransformChoice,
): { x: Float64Array; transforms: FeatureTransform[]; notes: TransformNote[] } {
  const n = x.length / p;
  const out = new Float64Array(x.length);
  const transforms: FeatureTransform[] = [];
  const notes: TransformNote[] = [];
  for (let j = 0; j < p; j++) {
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = x[i * p + j] ?? Number.NaN;
      if (!Number.isNaN(v)) values.push(v);
    }
    const t = transformFor(values, choice);
    let capped = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i * p + j] ?? Number.NaN;
      if ((t.lower !== null && v < t.lower) || (t.upper !== null && v > t.upper)) capped++;
      out[i * p + j] = applyTransform(t, v);
    }
    const before = skewness(values);
    const after = skewness(values.map((v) => applyTransform(t, v)));
    const hasNegatives = values.some((v) => applyTransform({ ...t, log: false }, v) < 0);
    transforms.push(t);
    notes.push({
      metric: metrics[j] ?? `feature ${j}`,
      ...t,
      capped,
      skewness: before,
      skewnessAfter: after,
      description: describe(t, capped, before, after, hasNegatives, choice),
    });
  }
  return { x: out, transforms, notes };
}
