import { availableParallelism } from 'node:os';
import { cholesky, solveCholesky } from './cholesky.js';
import { accumulate, addGradient, type Rows, sigmoid, standardizeObserved } from './logistic-kernels.js';
import { WorkerPool } from './worker-pool.js';

/**
 * L2-regularised logistic regression over typed arrays, fitted by Newton's method on
 * standardised features. It minimises sum(log loss) + (l2 / 2) |w|^2 with the intercept
 * unpenalised: scikit-learn's LogisticRegression(C = 1 / l2) objective. Written here because
 * it is the core of the predictive segments and small: the Hessian is p x p, solved by
 * Cholesky factorisation. A missing value (NaN) takes its feature's mean.
 */

export interface LogisticModel {
  readonly kind: 'logistic';
  readonly version: 1;
  readonly features: readonly string[];
  /**
   * Standardisation: (x - mean) / scale per feature (scale 1 for a constant feature). The
   * mean is over the observed values, and a missing value is taken as the mean.
   */
  readonly means: readonly number[];
  readonly scales: readonly number[];
  /** Weights of the standardised features, and the intercept. */
  readonly weights: readonly number[];
  readonly intercept: number;
  readonly l2: number;
  readonly iterations: number;
}

/** Rows of the samples that steer the first Newton steps on large data: a small one, then a larger one. */
const SAMPLES = [1 << 13, 1 << 16];

/** What Newton's method works on: standardised rows, labels, and beta (weights, then the intercept), updated in place. */
interface Problem {
  readonly z: Float64Array;
  readonly labels: Float64Array;
  readonly p: number;
  readonly l2: number;
  readonly beta: Float64Array;
  /** A worker for the second half of the passes over every row, when there are two threads. */
  readonly pool: WorkerPool<'logisticGradient'> | null;
  readonly out: Float64Array;
}

/**
 * The gradient over every row: its two halves summed in the same order whether the worker
 * takes the second or not, so that the model does not depend on it.
 */
function fullGradient(problem: Problem, gradient: Float64Array): void {
  const { z, labels, p, beta, pool } = problem;
  const n = labels.length;
  const half = Math.floor(n / 2);
  const posted = pool?.post(0, [half, n]) ?? false;
  addGradient(z, labels, p, beta, 0, half, gradient);
  const second = new Float64Array(p + 1);
  if (pool && posted) {
    pool.wait(0);
    second.set(problem.out);
  } else addGradient(z, labels, p, beta, half, n, second);
  for (let j = 0; j <= p; j++) gradient[j] = (gradient[j] ?? 0) + (second[j] ?? 0);
}

/** The penalised gradient at beta over `rows`, and the Hessian's Cholesky factor if asked. */
function derivatives(problem: Problem, rows: Rows, withHessian: boolean) {
  const { z, labels, p, l2, beta } = problem;
  const m = p + 1;
  const gradient = new Float64Array(m);
  const hessian = withHessian ? new Float64Array(m * m) : null;
  if (rows.count === labels.length && !hessian) fullGradient(problem, gradient);
  else accumulate(z, labels, p, beta, rows, gradient, hessian);
  for (let j = 0; j < p; j++) gradient[j] = (gradient[j] ?? 0) + l2 * (beta[j] ?? 0);
  if (!hessian) return { gradient, factor: null };
  for (let j = 0; j < p; j++) hessian[j * m + j] = (hessian[j * m + j] ?? 0) + l2;
  return { gradient, factor: cholesky(hessian, m) };
}

/** The penalised negative log-likelihood at beta over `rows` (log(1 + e^eta) - y eta, stably). */
function loss(problem: Problem, rows: Rows): number {
  const { z, labels, p, l2, beta } = problem;
  let total = 0;
  for (let r = 0; r < rows.count; r++) {
    const i = rows.stride === 1 ? r : Math.floor(r * rows.stride);
    let eta = beta[p] ?? 0;
    for (let j = 0; j < p; j++) eta += (beta[j] ?? 0) * (z[i * p + j] ?? 0);
    const softplus = eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
    total += (softplus - (labels[i] ?? 0) * eta) * rows.scale;
  }
  for (let j = 0; j < p; j++) total += 0.5 * l2 * (beta[j] ?? 0) ** 2;
  return total;
}

/**
 * Moves beta by one Newton step, halved until the loss over `rows` does not rise: a full
 * step may overshoot far from the optimum, or under a sample's Hessian that missed rows far
 * out along some feature (then the loss rises and the fit would run away). Returns the
 * largest change and the loss where beta stops.
 */
function step(problem: Problem, gradient: Float64Array, factor: Float64Array, rows: Rows, from: number) {
  const { beta } = problem;
  const m = beta.length;
  const delta = solveCholesky(factor, gradient, m);
  const start = beta.slice();
  let t = 1;
  let reached = from;
  for (let halvings = 0; ; halvings++, t /= 2) {
    for (let j = 0; j < m; j++) beta[j] = (start[j] ?? 0) - t * (delta[j] ?? 0);
    reached = loss(problem, rows);
    // Near the optimum a step changes the loss by less than its rounding: not a rise.
    if (reached <= from + 1e-12 * Math.abs(from) || halvings === 30) break;
  }
  let largest = 0;
  for (let j = 0; j < m; j++) largest = Math.max(largest, Math.abs(t * (delta[j] ?? 0)));
  return { largest, reached };
}

/**
 * Newton's method on each sample, then on all rows (see fitLogistic); returns the
 * iterations taken. A sample's optimum is only near the full one, so its steps stop sooner.
 */
function newton(problem: Problem, maxIterations: number, tolerance: number): number {
  const n = problem.labels.length;
  let iterations = 0;
  let factor: Float64Array = new Float64Array(0);
  // The larger sample only on eight times as many rows, where its Hessians cost less than
  // the passes over every row that its better one saves.
  const levels = [...SAMPLES.filter((size, k) => size < n && (k === 0 || 8 * size <= n)), n];
  for (const size of levels) {
    const rows = { stride: n / size, count: size, scale: n / size };
    // A sample's optimum is some 1e-2 from the full one: no use solving it closer.
    const enough = size === n ? tolerance : Math.max(tolerance, 1e-2);
    // Past the samples, the last sample's Hessian steers (an exact one when the steps slow).
    let exact = size < n || levels.length === 1;
    let previous = Number.POSITIVE_INFINITY;
    let current = loss(problem, rows);
    for (let largest = previous; iterations < maxIterations && largest >= enough; ) {
      const next = derivatives(problem, rows, exact);
      if (next.factor) factor = next.factor;
      iterations++;
      ({ largest, reached: current } = step(problem, next.gradient, factor, rows, current));
      exact = size < n || levels.length === 1 || (largest > previous / 4 && largest > 1e3 * tolerance);
      previous = largest;
    }
  }
  return iterations;
}

/**
 * Fits the model to `n` rows of `p` features (`x`, row-major, NaN for missing) and 0 / 1
 * labels `y`. Stops when the largest Newton step is under `tolerance`.
 *
 * On more than 8,192 rows the first Newton steps run on evenly spaced samples of rows (8,192,
 * then 65,536 from 524,288 rows), whose optimum is near the full one; the last steps keep
 * that sample's Hessian (scaled to n) but take the gradient over every row, costing O(n p)
 * each instead of O(n p^2). The gradient being exact, the fixed point is the same optimum;
 * convergence is then linear, about 1.5 digits a step, and an exact Newton step steps in
 * should it slow.
 */
export function fitLogistic(
  x: Float64Array,
  y: ArrayLike<number>,
  features: readonly string[],
  options: {
    l2?: number;
    maxIterations?: number;
    tolerance?: number;
    /** 2 to share the passes over every row with a second thread (default when rows x features >= 2,000,000 and there are 2 cores); never changes the model. */
    threads?: number;
  } = {},
): LogisticModel {
  const p = features.length;
  const n = y.length;
  const l2 = options.l2 ?? 1;
  const threads = options.threads ?? (n * p >= 2_000_000 ? availableParallelism() : 1);
  const shared = threads > 1;
  const array = (length: number) =>
    shared ? new Float64Array(new SharedArrayBuffer(length * 8)) : new Float64Array(length);
  const { z, means, scales } = standardizeObserved(x, p, shared);
  const labels = array(n);
  labels.set(y);
  const beta = array(p + 1);
  const out = array(p + 1);
  // One worker (scikit-learn's lbfgs gets a second thread from OpenBLAS); a job at 10 million
  // rows takes a second, so one silent for 60 s is stuck.
  const pool = shared
    ? new WorkerPool('logisticGradient', { z, y: labels, p, beta, out }, 1, 'logistic regression', 60_000)
    : null;
  const problem: Problem = { z, labels, p, l2, beta, pool, out };
  let iterations: number;
  try {
    iterations = newton(problem, options.maxIterations ?? 100, options.tolerance ?? 1e-10);
  } finally {
    pool?.close();
  }
  return {
    kind: 'logistic',
    version: 1,
    features: [...features],
    means: Array.from(means),
    scales: Array.from(scales),
    weights: Array.from(beta.subarray(0, p)),
    intercept: beta[p] ?? 0,
    l2,
    iterations,
  };
}

/** A feature's standardised value; a missing value (NaN) is at the mean, 0. */
function standardized(model: LogisticModel, j: number, value: number): number {
  return Number.isNaN(value) ? 0 : (value - (model.means[j] ?? 0)) / (model.scales[j] ?? 1);
}

/** Predicted probabilities for `n` rows of the model's features (row-major, raw units, NaN for missing). */
export function predictLogistic(model: LogisticModel, x: Float64Array): Float64Array {
  const p = model.features.length;
  const n = p === 0 ? 0 : x.length / p;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let eta = model.intercept;
    for (let j = 0; j < p; j++) eta += (model.weights[j] ?? 0) * standardized(model, j, x[i * p + j] ?? 0);
    out[i] = sigmoid(eta);
  }
  return out;
}

/** Each feature's contribution to one row's log-odds (weight x standardised value, 0 when missing), largest first. */
export function explainLogistic(model: LogisticModel, row: ArrayLike<number>) {
  return model.features
    .map((feature, j) => ({
      feature,
      contribution: (model.weights[j] ?? 0) * standardized(model, j, row[j] ?? 0),
    }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
}
