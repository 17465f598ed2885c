import { dots } from './kmeans-kernels.js';

/** k-means++ seeding of one start, on its sample of rows. */

/** A start's seeding sample: its rows, their squared norms and their sum, 0..m-1, the squared distance to the nearest seed, each trial's squared distances (trials x m). */
export interface Sample {
  readonly x: Float64Array;
  readonly norms: Float64Array;
  normTotal: number;
  readonly all: Int32Array;
  readonly nearest: Float64Array;
  readonly trial: Float64Array;
}

export function newSample(m: number, p: number, trials: number): Sample {
  const all = new Int32Array(m);
  for (let i = 0; i < m; i++) all[i] = i;
  return {
    x: new Float64Array(m * p),
    norms: new Float64Array(m),
    normTotal: 0,
    all,
    nearest: new Float64Array(m),
    trial: new Float64Array(trials * m),
  };
}

/**
 * Greedy k-means++ seeds (scikit-learn's) into `centroids`, chosen among the sample's rows:
 * the first drawn uniformly, each next seed the best of `trials` candidates drawn with
 * probability proportional to the squared distance to the nearest seed so far, the best
 * being the one that leaves the smallest total. `draws` holds the 1 + (k - 1) x trials
 * uniform numbers used. All candidates are measured in one pass over the sample.
 */
export function seedCentres(
  p: number,
  k: number,
  draws: Float64Array,
  trials: number,
  chunk: number,
  sample: Sample,
  out: Float64Array,
  centroids: Float64Array,
): void {
  const { x, norms, all, nearest, trial } = sample;
  const m = norms.length;
  const first = Math.min(m - 1, Math.floor((draws[0] ?? 0) * m));
  for (let j = 0; j < p; j++) centroids[j] = x[first * p + j] ?? 0;
  let total = 0;
  for (let from = 0; from < m; from += chunk) {
    const to = Math.min(m, from + chunk);
    dots(x, all, from, to, centroids, 1, p, out);
    for (let i = from; i < to; i++) {
      const d = Math.max(0, (norms[i] ?? 0) + (norms[first] ?? 0) - 2 * (out[i - from] ?? 0));
      nearest[i] = d;
      total += d;
    }
  }
  const candidates = new Float64Array(trials * p);
  const candidateNorms = new Float64Array(trials);
  const sums = new Float64Array(trials);
  for (let c = 1; c < k; c++) {
    for (let t = 0; t < trials; t++) {
      let target = (draws[1 + (c - 1) * trials + t] ?? 0) * total;
      let row = m - 1;
      for (let i = 0; i < m; i++) {
        target -= nearest[i] ?? 0;
        if (target <= 0) {
          row = i;
          break;
        }
      }
      for (let j = 0; j < p; j++) candidates[t * p + j] = x[row * p + j] ?? 0;
      candidateNorms[t] = norms[row] ?? 0;
    }
    sums.fill(0);
    for (let from = 0; from < m; from += chunk) {
      const to = Math.min(m, from + chunk);
      dots(x, all, from, to, candidates, trials, p, out);
      for (let t = 0; t < trials; t++) {
        const norm = candidateNorms[t] ?? 0;
        let sum = 0;
        for (let i = from; i < to; i++) {
          const d = Math.max(0, (norms[i] ?? 0) + norm - 2 * (out[(i - from) * trials + t] ?? 0));
          const kept = Math.min(nearest[i] ?? 0, d);
          trial[t * m + i] = kept;
          sum += kept;
        }
        sums[t] = (sums[t] ?? 0) + sum;
      }
    }
    let best = 0;
    for (let t = 1; t < trials; t++) if ((sums[t] ?? 0) < (sums[best] ?? 0)) best = t;
    for (let j = 0; j < p; j++) centroids[c * p + j] = candidates[best * p + j] ?? 0;
    nearest.set(trial.subarray(best * m, best * m + m));
    total = sums[best] ?? 0;
  }
}
