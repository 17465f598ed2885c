/** Feature scaling shared by the models. */

/**
 * Columns of a row-major matrix (p columns) scaled to mean 0 and standard deviation 1
 * (population, as scikit-learn's StandardScaler); a constant column keeps scale 1 and
 * becomes 0.
 */
export function standardize(
  x: Float64Array,
  p: number,
): { z: Float64Array; means: number[]; scales: number[] } {
  const n = x.length / p;
  const means = new Array<number>(p).fill(0);
  const scales = new Array<number>(p).fill(0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) means[j] = (means[j] ?? 0) + (x[i * p + j] ?? 0) / n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++)
      scales[j] = (scales[j] ?? 0) + ((x[i * p + j] ?? 0) - (means[j] ?? 0)) ** 2 / n;
  for (let j = 0; j < p; j++) scales[j] = Math.sqrt(scales[j] ?? 0) || 1;
  const z = new Float64Array(x.length);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) z[i * p + j] = ((x[i * p + j] ?? 0) - (means[j] ?? 0)) / (scales[j] ?? 1);
  return { z, means, scales };
}
