import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

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

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Rows of the samples that steer the first Newton steps on large data: a small one, then a larger one. */
const SAMPLES = [1 << 13, 1 << 16];

/**
 * The features standardised (scikit-learn's SimpleImputer, mean, then StandardScaler): each
 * column centred on the mean of its observed values and divided by its population standard
 * deviation (1 for a constant column), a missing value becoming 0. One pass for the moments,
 * two rows at a time, from a shift (the column's first observed value) so that the one-pass
 * variance does not cancel; one to write the result (in shared memory for a helper thread).
 */
function standardizeObserved(
  x: Float64Array,
  p: number,
  shared: boolean,
): { z: Float64Array; means: Float64Array; scales: Float64Array } {
  const n = x.length / p;
  const shifts = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    for (let at = j; at < x.length; at += p) {
      if (!Number.isNaN(x[at] as number)) {
        shifts[j] = x[at] as number;
        break;
      }
    }
  }
  const sums = new Float64Array(p);
  const squares = new Float64Array(p);
  const absent = new Float64Array(p);
  /** Adds one value's deviation from the shift (NaN when missing). */
  const tally = (j: number, d: number) => {
    if (Number.isNaN(d)) absent[j] = (absent[j] as number) + 1;
    else {
      sums[j] = (sums[j] as number) + d;
      squares[j] = (squares[j] as number) + d * d;
    }
  };
  let at = 0;
  for (; at + 2 * p <= x.length; at += 2 * p) {
    for (let j = 0; j < p; j++) {
      const shift = shifts[j] as number;
      const d = (x[at + j] as number) - shift;
      const e = (x[at + p + j] as number) - shift;
      if (Number.isNaN(d + e)) {
        tally(j, d);
        tally(j, e);
      } else {
        sums[j] = (sums[j] as number) + d + e;
        squares[j] = (squares[j] as number) + d * d + e * e;
      }
    }
  }
  for (; at < x.length; at += p)
    for (let j = 0; j < p; j++) tally(j, (x[at + j] as number) - (shifts[j] as number));
  const means = new Float64Array(p);
  const scales = new Float64Array(p);
  const inverse = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const count = n - (absent[j] as number);
    const sum = sums[j] as number;
    means[j] = count > 0 ? (shifts[j] as number) + sum / count : 0;
    const variance = count > 0 ? Math.max(0, (squares[j] as number) - (sum * sum) / count) / n : 0;
    scales[j] = Math.sqrt(variance) || 1;
    inverse[j] = 1 / (scales[j] as number);
  }
  const z = shared ? new Float64Array(new SharedArrayBuffer(x.length * 8)) : new Float64Array(x.length);
  for (let k = 0; k < x.length; k += p) {
    for (let j = 0; j < p; j++) {
      const d = (x[k + j] as number) - (means[j] as number);
      z[k + j] = Number.isNaN(d) ? 0 : d * (inverse[j] as number);
    }
  }
  return { z, means, scales };
}

/** The lower Cholesky factor of a symmetric positive-definite m x m matrix (row-major, lower triangle read). */
function cholesky(a: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * m + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * m + k] as number) * (l[j * m + k] as number);
      l[i * m + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / (l[j * m + j] as number);
    }
  }
  return l;
}

/** Solves L L^T x = b given the Cholesky factor L. */
function solveCholesky(l: Float64Array, b: Float64Array, m: number): Float64Array {
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= (l[i * m + k] as number) * (y[k] as number);
    y[i] = sum / (l[i * m + i] as number);
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let sum = y[i] as number;
    for (let k = i + 1; k < m; k++) sum -= (l[k * m + i] as number) * (x[k] as number);
    x[i] = sum / (l[i * m + i] as number);
  }
  return x;
}

/** Rows 0, stride, 2 stride, ... (count of them, rounded down), each weighted by scale. */
interface Rows {
  readonly stride: number;
  readonly count: number;
  readonly scale: number;
}

/** Rows of a block of the Hessian's accumulation, small enough to stay in the L1 cache. */
const BLOCK = 64;

/**
 * Adds a block's products to the Hessian's lower triangle: entry (j, k) gains the dot
 * product of weighted column j and column k over the block's `filled` rows. Two by two, so
 * that four products share four reads.
 */
function addBlock(
  hessian: Float64Array,
  weighted: Float64Array,
  columns: Float64Array,
  m: number,
  filled: number,
): void {
  const add = (j: number, k: number, sum: number) => {
    hessian[j * m + k] = (hessian[j * m + k] as number) + sum;
  };
  for (let j = 0; j < m; j += 2) {
    const j1 = Math.min(j + 1, m - 1);
    for (let k = 0; k <= j; k += 2) {
      const k1 = Math.min(k + 1, m - 1);
      let [s00, s01, s10, s11] = [0, 0, 0, 0];
      for (let t = 0; t < filled; t++) {
        const a = weighted[j * BLOCK + t] as number;
        const b = weighted[j1 * BLOCK + t] as number;
        const c = columns[k * BLOCK + t] as number;
        const d = columns[k1 * BLOCK + t] as number;
        s00 += a * c;
        s01 += a * d;
        s10 += b * c;
        s11 += b * d;
      }
      add(j, k, s00);
      if (k1 !== k && k1 <= j) add(j, k1, s01);
      if (j1 !== j) add(j1, k, s10);
      if (j1 !== j && k1 !== k) add(j1, k1, s11);
    }
  }
}

/**
 * Adds the log-loss gradient over `rows` of the standardised features `z`, and with
 * `hessian` its Hessian's lower triangle, at `beta` (weights, then the intercept). The
 * Hessian goes by blocks of rows copied column-wise, so that its inner loop is a dot
 * product held in a register rather than a read and a write of the matrix per term.
 */
function accumulate(
  z: Float64Array,
  y: Float64Array,
  p: number,
  beta: Float64Array,
  rows: Rows,
  gradient: Float64Array,
  hessian: Float64Array | null,
): void {
  const m = p + 1;
  const intercept = beta[p] as number;
  const { stride, count, scale } = rows;
  const columns = hessian ? new Float64Array(m * BLOCK) : null;
  const weighted = hessian ? new Float64Array(m * BLOCK) : null;
  let gradientIntercept = 0;
  for (let r = 0, filled = 0; r < count; r++) {
    const i = stride === 1 ? r : Math.floor(r * stride);
    const at = i * p;
    let eta = intercept;
    for (let j = 0; j < p; j++) eta += (beta[j] as number) * (z[at + j] as number);
    const prob = sigmoid(eta);
    const residual = (prob - (y[i] as number)) * scale;
    for (let j = 0; j < p; j++) gradient[j] = (gradient[j] as number) + residual * (z[at + j] as number);
    gradientIntercept += residual;
    if (!hessian || !columns || !weighted) continue;
    const weight = prob * (1 - prob) * scale;
    for (let j = 0; j < p; j++) {
      const value = z[at + j] as number;
      columns[j * BLOCK + filled] = value;
      weighted[j * BLOCK + filled] = weight * value;
    }
    columns[p * BLOCK + filled] = 1;
    weighted[p * BLOCK + filled] = weight;
    filled++;
    if (filled === BLOCK || r === count - 1) {
      addBlock(hessian, weighted, columns, m, filled);
      filled = 0;
    }
  }
  gradient[p] = (gradient[p] as number) + gradientIntercept;
}

/**
 * Adds the log-loss gradient over rows [start, end) at `beta` (weights, then the intercept)
 * to `gradient`: accumulate without a Hessian, four rows at a time so that each gradient
 * term is read and written once per four rows (twice as fast; these passes over every row
 * are most of the time of a large fit). Self-contained: the helper thread runs its source.
 */
function addGradient(
  z: Float64Array,
  y: Float64Array,
  p: number,
  beta: Float64Array,
  start: number,
  end: number,
  gradient: Float64Array,
): void {
  const intercept = beta[p] as number;
  // 1 / (1 + e^-eta) needs no branch: e^-eta overflows to Infinity, giving 0, the limit.
  const residual = (eta: number, label: number) => 1 / (1 + Math.exp(-eta)) - label;
  let total = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const a0 = i * p;
    const a1 = a0 + p;
    const a2 = a1 + p;
    const a3 = a2 + p;
    let e0 = intercept;
    let e1 = intercept;
    let e2 = intercept;
    let e3 = intercept;
    for (let j = 0; j < p; j++) {
      const w = beta[j] as number;
      e0 += w * (z[a0 + j] as number);
      e1 += w * (z[a1 + j] as number);
      e2 += w * (z[a2 + j] as number);
      e3 += w * (z[a3 + j] as number);
    }
    const r0 = residual(e0, y[i] as number);
    const r1 = residual(e1, y[i + 1] as number);
    const r2 = residual(e2, y[i + 2] as number);
    const r3 = residual(e3, y[i + 3] as number);
    for (let j = 0; j < p; j++)
      gradient[j] =
        (gradient[j] as number) +
        r0 * (z[a0 + j] as number) +
        r1 * (z[a1 + j] as number) +
        r2 * (z[a2 + j] as number) +
        r3 * (z[a3 + j] as number);
    total += r0 + r1 + r2 + r3;
  }
  for (; i < end; i++) {
    const at = i * p;
    let eta = intercept;
    for (let j = 0; j < p; j++) eta += (beta[j] as number) * (z[at + j] as number);
    const r = residual(eta, y[i] as number);
    for (let j = 0; j < p; j++) gradient[j] = (gradient[j] as number) + r * (z[at + j] as number);
    total += r;
  }
  gradient[p] = (gradient[p] as number) + total;
}

/** Words of a helper's control array. */
const Word = { JOB: 0, DONE: 1, STOP: 2, START: 3, END: 4, READY: 5, FAILED: 6 };

/** The helper thread's loop: on each job, the gradient over its rows into `out`. */
function serveGradients(
  shared: {
    control: Int32Array;
    z: Float64Array;
    y: Float64Array;
    p: number;
    beta: Float64Array;
    out: Float64Array;
  },
  word: typeof Word,
): void {
  const { control, out } = shared;
  Atomics.store(control, word.READY, 1);
  Atomics.notify(control, word.READY);
  let seen = 0;
  for (;;) {
    Atomics.wait(control, word.JOB, seen);
    const job = Atomics.load(control, word.JOB);
    if (job === seen) continue;
    seen = job;
    if (Atomics.load(control, word.STOP) === 1) return;
    try {
      out.fill(0);
      addGradient(
        shared.z,
        shared.y,
        shared.p,
        shared.beta,
        control[word.START] as number,
        control[word.END] as number,
        out,
      );
    } catch (error) {
      console.error(error);
      Atomics.store(control, word.FAILED, 1);
    }
    Atomics.store(control, word.DONE, job);
    Atomics.notify(control, word.DONE);
  }
}

/**
 * A second thread for the passes over every row (scikit-learn's lbfgs gets one from
 * OpenBLAS). The fit stays synchronous: the main thread posts the rows in shared memory,
 * does its own, and blocks until the helper is done. Not used when it does not start.
 */
class GradientHelper {
  private readonly worker: Worker;
  private readonly control = new Int32Array(new SharedArrayBuffer(7 * 4));
  readonly out: Float64Array;
  private job = 0;
  private usable = true;

  constructor(
    z: Float64Array,
    y: Float64Array,
    p: number,
    readonly beta: Float64Array,
  ) {
    this.out = new Float64Array(new SharedArrayBuffer((p + 1) * 8));
    // esbuild (tsx, vitest) may wrap functions in __name(); the worker has no such helper.
    const source = `"use strict";\nconst __name = (target) => target;\n${addGradient}\n(${serveGradients})(require('node:worker_threads').workerData, ${JSON.stringify(Word)});`;
    const workerData = { control: this.control, z, y, p, beta, out: this.out };
    this.worker = new Worker(source, { eval: true, workerData });
    this.worker.unref();
  }

  /** Starts the gradient over rows [start, end); false when the helper did not start. */
  post(start: number, end: number): boolean {
    const { control } = this;
    if (this.usable && Atomics.load(control, Word.READY) === 0)
      this.usable = Atomics.wait(control, Word.READY, 0, 10_000) !== 'timed-out';
    if (!this.usable) return false;
    control[Word.START] = start;
    control[Word.END] = end;
    Atomics.store(control, Word.JOB, ++this.job);
    Atomics.notify(control, Word.JOB);
    return true;
  }

  /** Waits for the posted rows; their gradient is then in `out`. A failed or stuck job is a bug: it throws. */
  wait(): void {
    const { control } = this;
    for (
      let done = Atomics.load(control, Word.DONE);
      done !== this.job;
      done = Atomics.load(control, Word.DONE)
    )
      if (Atomics.wait(control, Word.DONE, done, 60_000) === 'timed-out')
        throw new Error('logistic regression: the helper thread did not answer in 60 s');
    if (Atomics.load(control, Word.FAILED) === 1)
      throw new Error('logistic regression: the helper thread failed (its error is printed above)');
  }

  stop(): void {
    Atomics.store(this.control, Word.STOP, 1);
    Atomics.store(this.control, Word.JOB, ++this.job);
    Atomics.notify(this.control, Word.JOB);
  }
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
  const m = p + 1;
  const l2 = options.l2 ?? 1;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-10;
  const threads = options.threads ?? (n * p >= 2_000_000 ? availableParallelism() : 1);
  const shared = threads > 1;
  const { z, means, scales } = standardizeObserved(x, p, shared);
  const labels = shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
  labels.set(y);
  // Weights of the standardised features, then the intercept.
  const beta = shared ? new Float64Array(new SharedArrayBuffer(m * 8)) : new Float64Array(m);
  const helper = shared ? new GradientHelper(z, labels, p, beta) : null;
  /**
   * The gradient over every row: its two halves summed in the same order whether the
   * helper thread takes the second or not, so that the model does not depend on it.
   */
  const fullGradient = (gradient: Float64Array) => {
    const half = Math.floor(n / 2);
    const posted = helper?.post(half, n) ?? false;
    addGradient(z, labels, p, beta, 0, half, gradient);
    const second = new Float64Array(m);
    if (helper && posted) {
      helper.wait();
      second.set(helper.out);
    } else addGradient(z, labels, p, beta, half, n, second);
    for (let j = 0; j < m; j++) gradient[j] = (gradient[j] as number) + (second[j] as number);
  };
  /** The penalised gradient at beta over `rows`, and the Hessian's Cholesky factor if asked. */
  const derivatives = (rows: Rows, withHessian: boolean) => {
    const gradient = new Float64Array(m);
    const hessian = withHessian ? new Float64Array(m * m) : null;
    if (rows.count === n && !hessian) fullGradient(gradient);
    else accumulate(z, labels, p, beta, rows, gradient, hessian);
    for (let j = 0; j < p; j++) gradient[j] = (gradient[j] as number) + l2 * (beta[j] as number);
    if (!hessian) return { gradient, factor: null };
    for (let j = 0; j < p; j++) hessian[j * m + j] = (hessian[j * m + j] as number) + l2;
    return { gradient, factor: cholesky(hessian, m) };
  };
  /** The penalised negative log-likelihood at beta over `rows` (log(1 + e^eta) - y eta, stably). */
  const loss = (rows: Rows) => {
    let total = 0;
    for (let r = 0; r < rows.count; r++) {
      const i = rows.stride === 1 ? r : Math.floor(r * rows.stride);
      let eta = beta[p] as number;
      for (let j = 0; j < p; j++) eta += (beta[j] as number) * (z[i * p + j] as number);
      const softplus = eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
      total += (softplus - (labels[i] as number) * eta) * rows.scale;
    }
    for (let j = 0; j < p; j++) total += 0.5 * l2 * (beta[j] as number) ** 2;
    return total;
  };
  /**
   * Moves beta by one Newton step, halved until the loss over `rows` does not rise: a full
   * step may overshoot far from the optimum, or under a sample's Hessian that missed rows far
   * out along some feature (then the loss rises and the fit would run away). Returns the
   * largest change and the loss where beta stops.
   */
  const step = (gradient: Float64Array, factor: Float64Array, rows: Rows, from: number) => {
    const delta = solveCholesky(factor, gradient, m);
    const start = beta.slice();
    let t = 1;
    let reached = from;
    for (let halvings = 0; ; halvings++, t /= 2) {
      for (let j = 0; j < m; j++) beta[j] = (start[j] as number) - t * (delta[j] as number);
      reached = loss(rows);
      // Near the optimum a step changes the loss by less than its rounding: not a rise.
      if (reached <= from + 1e-12 * Math.abs(from) || halvings === 30) break;
    }
    let largest = 0;
    for (let j = 0; j < m; j++) largest = Math.max(largest, Math.abs(t * (delta[j] as number)));
    return { largest, reached };
  };
  let iterations = 0;
  let factor: Float64Array = new Float64Array(0);
  // Newton's method on each sample, then on all rows: a sample's optimum is only near the
  // full one, so its steps stop sooner. The larger sample only on eight times as many rows,
  // where its Hessians cost less than the passes over every row that its better one saves.
  const levels = [...SAMPLES.filter((size, k) => size < n && (k === 0 || 8 * size <= n)), n];
  try {
    for (const size of levels) {
      const rows = { stride: n / size, count: size, scale: n / size };
      // A sample's optimum is some 1e-2 from the full one: no use solving it closer.
      const enough = size === n ? tolerance : Math.max(tolerance, 1e-2);
      // Past the samples, the last sample's Hessian steers (an exact one when the steps slow).
      let exact = size < n || levels.length === 1;
      let previous = Number.POSITIVE_INFINITY;
      let current = loss(rows);
      for (let largest = previous; iterations < maxIterations && largest >= enough; ) {
        const next = derivatives(rows, exact);
        if (next.factor) factor = next.factor;
        iterations++;
        ({ largest, reached: current } = step(next.gradient, factor, rows, current));
        exact = size < n || levels.length === 1 || (largest > previous / 4 && largest > 1e3 * tolerance);
        previous = largest;
      }
    }
  } finally {
    helper?.stop();
  }
  return {
    kind: 'logistic',
    version: 1,
    features: [...features],
    means: Array.from(means),
    scales: Array.from(scales),
    weights: Array.from(beta.subarray(0, p)),
    intercept: beta[p] as number,
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
