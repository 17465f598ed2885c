/**
 * Cholesky factorisation and its solve, for the p x p Newton systems of logistic regression.
 * Not ml-matrix's CholeskyDecomposition: when every prediction saturates, the unpenalised
 * intercept's diagonal sums to 0, and ml-matrix then divides by a zero pivot (NaN steps that
 * the step-halving cannot recover from); here a pivot is at least 1e-150, so the step is huge
 * but finite and the step-halving shortens it.
 */

/** The lower Cholesky factor of a symmetric positive-definite m x m matrix (row-major, lower triangle read). */
export function cholesky(a: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * m + j] ?? 0;
      for (let k = 0; k < j; k++) sum -= (l[i * m + k] ?? 0) * (l[j * m + k] ?? 0);
      l[i * m + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / (l[j * m + j] ?? 0);
    }
  }
  return l;
}

/** Solves L L^T x = b given the Cholesky factor L. */
export function solveCholesky(l: Float64Array, b: Float64Array, m: number): Float64Array {
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = b[i] ?? 0;
    for (let k = 0; k < i; k++) sum -= (l[i * m + k] ?? 0) * (y[k] ?? 0);
    y[i] = sum / (l[i * m + i] ?? 0);
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let sum = y[i] ?? 0;
    for (let k = i + 1; k < m; k++) sum -= (l[k * m + i] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (l[i * m + i] ?? 0);
  }
  return x;
}
