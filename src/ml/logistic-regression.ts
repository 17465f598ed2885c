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
 * variance does not cancel; one to write the result.
 */
function standardizeObserved(
  x: Float64Array,
  p: number,
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
  const z = new Float64Array(x.length);
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
 * Adds the log-loss gradient over `rows` of the standardised features `z` (from `offset`),
 * and with `hessian` its Hessian's lower triangle, at `beta` (weights, then the intercept). The
 * Hessian goes by blocks of rows copied column-wise, so that its inner loop is a dot product
 * held in a register rather than a read and a write of the matrix per term.
 */
function accumulate(
  z: Float64Array,
  y: Float64Array,
  p: number,
  beta: Float64Array,
  rows: Rows,
  gradient: Float64Array,
  hessian: Float64Array | null,
  offset = 0,
): void {
  const m = p + 1;
  const intercept = beta[p] as number;
  const { stride, count, scale } = rows;
  const columns = hessian ? new Float64Array(m * BLOCK) : null;
  const weighted = hessian ? new Float64Array(m * BLOCK) : null;
  let gradientIntercept = 0;
  for (let r = 0, filled = 0; r < count; r++) {
    const i = stride === 1 ? r : Math.floor(r * stride);
    const at = offset + i * p;
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
      for (let j = 0; j < m; j++) {
        for (let k = 0; k <= j; k++) {
          let sum = 0;
          for (let t = 0; t < filled; t++)
            sum += (weighted[j * BLOCK + t] as number) * (columns[k * BLOCK + t] as number);
          hessian[j * m + k] = (hessian[j * m + k] as number) + sum;
        }
      }
      filled = 0;
    }
  }
  gradient[p] = (gradient[p] as number) + gradientIntercept;
}

/**
 * Adds the log-loss gradient over every row at `beta`: accumulate without a Hessian, four
 * rows at a time so that each gradient term is read and written once per four rows (twice
 * as fast; the pass over every row is most of the time of a large fit).
 */
function addGradient(
  z: Float64Array,
  y: Float64Array,
  p: number,
  beta: Float64Array,
  gradient: Float64Array,
): void {
  const n = y.length;
  const intercept = beta[p] as number;
  let total = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a0 = i * p;
    const [a1, a2, a3] = [a0 + p, a0 + 2 * p, a0 + 3 * p];
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
    const r0 = sigmoid(e0) - (y[i] as number);
    const r1 = sigmoid(e1) - (y[i + 1] as number);
    const r2 = sigmoid(e2) - (y[i + 2] as number);
    const r3 = sigmoid(e3) - (y[i + 3] as number);
    for (let j = 0; j < p; j++)
      gradient[j] =
        (gradient[j] as number) +
        r0 * (z[a0 + j] as number) +
        r1 * (z[a1 + j] as number) +
        r2 * (z[a2 + j] as number) +
        r3 * (z[a3 + j] as number);
    total += r0 + r1 + r2 + r3;
  }
  gradient[p] = (gradient[p] as number) + total;
  if (i < n)
    accumulate(z, y.subarray(i), p, beta, { stride: 1, count: n - i, scale: 1 }, gradient, null, i * p);
}

/**
 * Fits the model to `n` rows of `p` features (`x`, row-major, NaN for missing) and 0 / 1
 * labels `y`. Stops when the largest Newton step is under `tolerance`.
 *
 * On large data the first Newton steps run on evenly spaced samples of rows (8,192, then
 * 65,536), whose optimum is near the full one; the last steps keep that sample's Hessian
 * (scaled to n) but take the gradient over every row, costing O(n p) each instead of
 * O(n p^2). The gradient being exact, the fixed point is the same optimum; convergence is
 * then linear, about 1.5 digits a step, and an exact Newton step steps in should it slow.
 */
export function fitLogistic(
  x: Float64Array,
  y: ArrayLike<number>,
  features: readonly string[],
  options: { l2?: number; maxIterations?: number; tolerance?: number } = {},
): LogisticModel {
  const p = features.length;
  const n = y.length;
  const m = p + 1;
  const l2 = options.l2 ?? 1;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-10;
  const { z, means, scales } = standardizeObserved(x, p);
  const labels = Float64Array.from(y);
  // Weights of the standardised features, then the intercept.
  const beta = new Float64Array(m);
  /** The penalised gradient at beta over `rows`, and the Hessian's Cholesky factor if asked. */
  const derivatives = (rows: Rows, withHessian: boolean) => {
    const gradient = new Float64Array(m);
    const hessian = withHessian ? new Float64Array(m * m) : null;
    if (rows.count === n && !hessian) addGradient(z, labels, p, beta, gradient);
    else accumulate(z, labels, p, beta, rows, gradient, hessian);
    for (let j = 0; j < p; j++) gradient[j] = (gradient[j] as number) + l2 * (beta[j] as number);
    if (!hessian) return { gradient, factor: null };
    for (let j = 0; j < p; j++) hessian[j * m + j] = (hessian[j * m + j] as number) + l2;
    return { gradient, factor: cholesky(hessian, m) };
  };
  /** Moves beta by one Newton step; returns the largest change. */
  const step = (gradient: Float64Array, factor: Float64Array) => {
    const delta = solveCholesky(factor, gradient, m);
    let largest = 0;
    for (let j = 0; j < m; j++) {
      beta[j] = (beta[j] as number) - (delta[j] as number);
      largest = Math.max(largest, Math.abs(delta[j] as number));
    }
    return largest;
  };
  let iterations = 0;
  let factor: Float64Array = new Float64Array(0);
  // Newton's method on each sample, then on all rows: a sample's optimum is only near the
  // full one, so its steps stop sooner.
  const levels = [...SAMPLES.filter((size) => size < n), n];
  for (const size of levels) {
    const rows = { stride: n / size, count: size, scale: n / size };
    // A sample's optimum is some 1e-2 from the full one: no use solving it closer.
    const enough = size === n ? tolerance : Math.max(tolerance, 1e-2);
    // Past the samples, the last sample's Hessian steers (an exact one when the steps slow).
    let exact = size < n || levels.length === 1;
    let previous = Number.POSITIVE_INFINITY;
    for (let largest = previous; iterations < maxIterations && largest >= enough; ) {
      const next = derivatives(rows, exact);
      if (next.factor) factor = next.factor;
      iterations++;
      largest = step(next.gradient, factor);
      exact = size < n || levels.length === 1 || (largest > previous / 4 && largest > 1e3 * tolerance);
      previous = largest;
    }
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
