import { standardize } from './standardize.js';

/**
 * L2-regularised logistic regression over typed arrays, fitted by Newton's method (IRLS) on
 * standardised features. It minimises sum(log loss) + (l2 / 2) |w|^2 with the intercept
 * unpenalised: scikit-learn's LogisticRegression(C = 1 / l2) objective. Written here because
 * it is the core of the predictive segments and small: the Hessian is p x p, solved by
 * Cholesky factorisation.
 */

export interface LogisticModel {
  readonly kind: 'logistic';
  readonly version: 1;
  readonly features: readonly string[];
  /** Standardisation: (x - mean) / scale per feature (scale 1 for a constant feature). */
  readonly means: readonly number[];
  readonly scales: readonly number[];
  /** Weights of the standardised features, and the intercept. */
  readonly weights: readonly number[];
  readonly intercept: number;
  readonly l2: number;
  readonly iterations: number;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Solves A x = b for a symmetric positive-definite A (m x m, row-major) by Cholesky. */
function solveSpd(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * m + j] ?? 0;
      for (let k = 0; k < j; k++) sum -= (l[i * m + k] ?? 0) * (l[j * m + k] ?? 0);
      l[i * m + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / (l[j * m + j] ?? 1);
    }
  }
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = b[i] ?? 0;
    for (let k = 0; k < i; k++) sum -= (l[i * m + k] ?? 0) * (y[k] ?? 0);
    y[i] = sum / (l[i * m + i] ?? 1);
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let sum = y[i] ?? 0;
    for (let k = i + 1; k < m; k++) sum -= (l[k * m + i] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (l[i * m + i] ?? 1);
  }
  return x;
}

/**
 * Fits the model to `n` rows of `p` features (`x`, row-major) and 0 / 1 labels `y`.
 * Stops when the largest Newton step is under `tolerance`.
 */
export function fitLogistic(
  x: Float64Array,
  y: ArrayLike<number>,
  features: readonly string[],
  options: { l2?: number; maxIterations?: number; tolerance?: number } = {},
): LogisticModel {
  const p = features.length;
  const n = y.length;
  const l2 = options.l2 ?? 1;
  const { z, means, scales } = standardize(x, p);
  // Parameters: weights 0..p-1, intercept at p.
  const m = p + 1;
  const beta = new Float64Array(m);
  let iterations = 0;
  for (; iterations < (options.maxIterations ?? 100); iterations++) {
    const gradient = new Float64Array(m);
    const hessian = new Float64Array(m * m);
    for (let i = 0; i < n; i++) {
      let eta = beta[p] ?? 0;
      for (let j = 0; j < p; j++) eta += (beta[j] ?? 0) * (z[i * p + j] ?? 0);
      const prob = sigmoid(eta);
      const residual = prob - (y[i] ?? 0);
      const weight = prob * (1 - prob);
      for (let j = 0; j < m; j++) {
        const zj = j === p ? 1 : (z[i * p + j] ?? 0);
        gradient[j] = (gradient[j] ?? 0) + residual * zj;
        for (let k = 0; k <= j; k++) {
          const zk = k === p ? 1 : (z[i * p + k] ?? 0);
          hessian[j * m + k] = (hessian[j * m + k] ?? 0) + weight * zj * zk;
        }
      }
    }
    for (let j = 0; j < p; j++) {
      gradient[j] = (gradient[j] ?? 0) + l2 * (beta[j] ?? 0);
      hessian[j * m + j] = (hessian[j * m + j] ?? 0) + l2;
    }
    for (let j = 0; j < m; j++) for (let k = j + 1; k < m; k++) hessian[j * m + k] = hessian[k * m + j] ?? 0;
    const step = solveSpd(hessian, gradient, m);
    let largest = 0;
    for (let j = 0; j < m; j++) {
      beta[j] = (beta[j] ?? 0) - (step[j] ?? 0);
      largest = Math.max(largest, Math.abs(step[j] ?? 0));
    }
    if (largest < (options.tolerance ?? 1e-10)) {
      iterations++;
      break;
    }
  }
  return {
    kind: 'logistic',
    version: 1,
    features: [...features],
    means,
    scales,
    weights: Array.from(beta.subarray(0, p)),
    intercept: beta[p] ?? 0,
    l2,
    iterations,
  };
}

/** Predicted probabilities for `n` rows of the model's features (row-major, raw units). */
export function predictLogistic(model: LogisticModel, x: Float64Array): Float64Array {
  const p = model.features.length;
  const n = p === 0 ? 0 : x.length / p;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let eta = model.intercept;
    for (let j = 0; j < p; j++) {
      eta +=
        (model.weights[j] ?? 0) * (((x[i * p + j] ?? 0) - (model.means[j] ?? 0)) / (model.scales[j] ?? 1));
    }
    out[i] = sigmoid(eta);
  }
  return out;
}

/** Each feature's contribution to one row's log-odds (weight x standardised value), largest first. */
export function explainLogistic(model: LogisticModel, row: ArrayLike<number>) {
  return model.features
    .map((feature, j) => ({
      feature,
      contribution:
        (model.weights[j] ?? 0) * (((row[j] ?? 0) - (model.means[j] ?? 0)) / (model.scales[j] ?? 1)),
    }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
}
