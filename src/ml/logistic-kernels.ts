import type { Task } from './worker-tasks.js';

/** The logistic function 1 / (1 + e^-z), computed without overflow on either side. */
export const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * The passes of logistic regression over every row (logistic-regression.ts fits with them):
 * standardisation, the gradient and Hessian, and the gradient alone, which a worker thread
 * also runs (`gradientTask`).
 */

/**
 * The features standardised (scikit-learn's SimpleImputer, mean, then StandardScaler): each
 * column centred on the mean of its observed values and divided by its population standard
 * deviation (1 for a constant column), a missing value becoming 0. One pass for the moments,
 * two rows at a time, from a shift (the column's first observed value) so that the one-pass
 * variance does not cancel; one to write the result (in shared memory for a worker thread).
 */
export function standardizeObserved(
  x: Float64Array,
  p: number,
  shared: boolean,
): { z: Float64Array; means: Float64Array; scales: Float64Array } {
  const n = x.length / p;
  const shifts = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    for (let at = j; at < x.length; at += p) {
      if (!Number.isNaN(x[at] ?? 0)) {
        shifts[j] = x[at] ?? 0;
        break;
      }
    }
  }
  const sums = new Float64Array(p);
  const squares = new Float64Array(p);
  const absent = new Float64Array(p);
  /** Adds one value's deviation from the shift (NaN when missing). */
  const tally = (j: number, d: number) => {
    if (Number.isNaN(d)) absent[j] = (absent[j] ?? 0) + 1;
    else {
      sums[j] = (sums[j] ?? 0) + d;
      squares[j] = (squares[j] ?? 0) + d * d;
    }
  };
  let at = 0;
  for (; at + 2 * p <= x.length; at += 2 * p) {
    for (let j = 0; j < p; j++) {
      const shift = shifts[j] ?? 0;
      const d = (x[at + j] ?? 0) - shift;
      const e = (x[at + p + j] ?? 0) - shift;
      if (Number.isNaN(d + e)) {
        tally(j, d);
        tally(j, e);
      } else {
        sums[j] = (sums[j] ?? 0) + d + e;
        squares[j] = (squares[j] ?? 0) + d * d + e * e;
      }
    }
  }
  for (; at < x.length; at += p) for (let j = 0; j < p; j++) tally(j, (x[at + j] ?? 0) - (shifts[j] ?? 0));
  const means = new Float64Array(p);
  const scales = new Float64Array(p);
  const inverse = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const count = n - (absent[j] ?? 0);
    const sum = sums[j] ?? 0;
    means[j] = count > 0 ? (shifts[j] ?? 0) + sum / count : 0;
    const variance = count > 0 ? Math.max(0, (squares[j] ?? 0) - (sum * sum) / count) / n : 0;
    const scale = Math.sqrt(variance) || 1;
    scales[j] = scale;
    inverse[j] = 1 / scale;
  }
  const z = shared ? new Float64Array(new SharedArrayBuffer(x.length * 8)) : new Float64Array(x.length);
  for (let k = 0; k < x.length; k += p) {
    for (let j = 0; j < p; j++) {
      const d = (x[k + j] ?? 0) - (means[j] ?? 0);
      z[k + j] = Number.isNaN(d) ? 0 : d * (inverse[j] ?? 0);
    }
  }
  return { z, means, scales };
}

/** Rows 0, stride, 2 stride, ... (count of them, rounded down), each weighted by scale. */
export interface Rows {
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
    hessian[j * m + k] = (hessian[j * m + k] ?? 0) + sum;
  };
  for (let j = 0; j < m; j += 2) {
    const j1 = Math.min(j + 1, m - 1);
    for (let k = 0; k <= j; k += 2) {
      const k1 = Math.min(k + 1, m - 1);
      let [s00, s01, s10, s11] = [0, 0, 0, 0];
      for (let t = 0; t < filled; t++) {
        const a = weighted[j * BLOCK + t] ?? 0;
        const b = weighted[j1 * BLOCK + t] ?? 0;
        const c = columns[k * BLOCK + t] ?? 0;
        const d = columns[k1 * BLOCK + t] ?? 0;
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
export function accumulate(
  z: Float64Array,
  y: Float64Array,
  p: number,
  beta: Float64Array,
  rows: Rows,
  gradient: Float64Array,
  hessian: Float64Array | null,
): void {
  const m = p + 1;
  const intercept = beta[p] ?? 0;
  const { stride, count, scale } = rows;
  const columns = hessian ? new Float64Array(m * BLOCK) : null;
  const weighted = hessian ? new Float64Array(m * BLOCK) : null;
  let gradientIntercept = 0;
  for (let r = 0, filled = 0; r < count; r++) {
    const i = stride === 1 ? r : Math.floor(r * stride);
    const at = i * p;
    let eta = intercept;
    for (let j = 0; j < p; j++) eta += (beta[j] ?? 0) * (z[at + j] ?? 0);
    const prob = sigmoid(eta);
    const residual = (prob - (y[i] ?? 0)) * scale;
    for (let j = 0; j < p; j++) gradient[j] = (gradient[j] ?? 0) + residual * (z[at + j] ?? 0);
    gradientIntercept += residual;
    if (!hessian || !columns || !weighted) continue;
    const weight = prob * (1 - prob) * scale;
    for (let j = 0; j < p; j++) {
      const value = z[at + j] ?? 0;
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
  gradient[p] = (gradient[p] ?? 0) + gradientIntercept;
}

/**
 * Adds the log-loss gradient over rows [start, end) at `beta` (weights, then the intercept)
 * to `gradient`: accumulate without a Hessian, four rows at a time so that each gradient
 * term is read and written once per four rows (twice as fast; these passes over every row
 * are most of the time of a large fit). A worker thread runs it on half the rows (gradientTask).
 */
export function addGradient(
  z: Float64Array,
  y: Float64Array,
  p: number,
  beta: Float64Array,
  start: number,
  end: number,
  gradient: Float64Array,
): void {
  const intercept = beta[p] ?? 0;
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
      const w = beta[j] ?? 0;
      e0 += w * (z[a0 + j] ?? 0);
      e1 += w * (z[a1 + j] ?? 0);
      e2 += w * (z[a2 + j] ?? 0);
      e3 += w * (z[a3 + j] ?? 0);
    }
    const r0 = residual(e0, y[i] ?? 0);
    const r1 = residual(e1, y[i + 1] ?? 0);
    const r2 = residual(e2, y[i + 2] ?? 0);
    const r3 = residual(e3, y[i + 3] ?? 0);
    for (let j = 0; j < p; j++)
      gradient[j] =
        (gradient[j] ?? 0) +
        r0 * (z[a0 + j] ?? 0) +
        r1 * (z[a1 + j] ?? 0) +
        r2 * (z[a2 + j] ?? 0) +
        r3 * (z[a3 + j] ?? 0);
    total += r0 + r1 + r2 + r3;
  }
  for (; i < end; i++) {
    const at = i * p;
    let eta = intercept;
    for (let j = 0; j < p; j++) eta += (beta[j] ?? 0) * (z[at + j] ?? 0);
    const r = residual(eta, y[i] ?? 0);
    for (let j = 0; j < p; j++) gradient[j] = (gradient[j] ?? 0) + r * (z[at + j] ?? 0);
    total += r;
  }
  gradient[p] = (gradient[p] ?? 0) + total;
}

/** What the gradient's worker shares with the fit: the standardised rows, labels, coefficients, and its output. */
export interface GradientState {
  readonly z: Float64Array;
  readonly y: Float64Array;
  readonly p: number;
  readonly beta: Float64Array;
  readonly out: Float64Array;
}

/** The worker's job: the gradient over rows [args[0], args[1]) at the current beta, into `out`. */
export const gradientTask: Task<GradientState> = (state) => (args) => {
  state.out.fill(0);
  addGradient(state.z, state.y, state.p, state.beta, args[0] ?? 0, args[1] ?? 0, state.out);
  return 0;
};
