import { Rng } from '../random.js';

/**
 * k-means on standardised features over typed arrays: k-means++ seeding (Arthur &
 * Vassilvitskii, 2007) from a seeded random stream, Lloyd iterations, several starts, and k
 * chosen by the mean silhouette (on a sample for large n), with the inertia of every k
 * reported for the elbow curve. Deterministic for a seed.
 */

/** A seeded uniform stream in [0, 1). */
export function seededRandom(seed: number): () => number {
  const rng = new Rng(seed >>> 0);
  return () => rng.next();
}

function distance2(x: Float64Array, i: number, c: Float64Array, k: number, p: number): number {
  let d = 0;
  const row = i * p;
  const centre = k * p;
  for (let j = 0; j < p; j++) {
    const diff = (x[row + j] as number) - (c[centre + j] as number);
    d += diff * diff;
  }
  return d;
}

/** Each row's nearest centroid (the lower number on a tie). */
function assign(x: Float64Array, p: number, centroids: Float64Array, k: number, labels: Int32Array): void {
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const d = distance2(x, i, centroids, c, p);
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    labels[i] = best;
  }
}

/**
 * Lloyd's assignment step with Hamerly's bounds (2010): per row, an upper bound on the
 * distance to its centre and a lower bound on the distance to any other, moved by how far
 * the centres moved; a row whose bounds still separate keeps its centre without computing
 * distances. Once centres settle, most rows are skipped. The first call computes everything.
 */
function hamerly(x: Float64Array, p: number, k: number, n: number) {
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const half = new Float64Array(k);
  let started = false;
  const full = (centroids: Float64Array, labels: Int32Array, i: number) => {
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    let second = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const d = distance2(x, i, centroids, c, p);
      if (d < bestDistance) {
        second = bestDistance;
        best = c;
        bestDistance = d;
      } else if (d < second) second = d;
    }
    labels[i] = best;
    upper[i] = Math.sqrt(bestDistance);
    lower[i] = Math.sqrt(second);
  };
  return (centroids: Float64Array, moved: Float64Array, labels: Int32Array): void => {
    if (!started) {
      for (let i = 0; i < n; i++) full(centroids, labels, i);
      started = true;
      return;
    }
    let farthest = 0;
    for (let c = 0; c < k; c++) farthest = Math.max(farthest, moved[c] as number);
    // Half the distance from each centre to its nearest other centre.
    for (let c = 0; c < k; c++) {
      let nearest = Number.POSITIVE_INFINITY;
      for (let o = 0; o < k; o++)
        if (o !== c) nearest = Math.min(nearest, distance2(centroids, c, centroids, o, p));
      half[c] = Math.sqrt(nearest) / 2;
    }
    for (let i = 0; i < n; i++) {
      const own = labels[i] as number;
      const up = (upper[i] as number) + (moved[own] as number);
      const low = (lower[i] as number) - farthest;
      upper[i] = up;
      lower[i] = low;
      const bound = Math.max(half[own] as number, low);
      // Strictly inside the bound: no other centre can be as near (ties are recomputed).
      if (up < bound) continue;
      const exact = Math.sqrt(distance2(x, i, centroids, own, p));
      upper[i] = exact;
      if (exact < bound) continue;
      full(centroids, labels, i);
    }
  };
}

/** scikit-learn's stopping rule: centres moving less than tolerance x the mean variance of the features. */
function tolerance(x: Float64Array, p: number, relative: number): number {
  const n = x.length / p;
  let total = 0;
  for (let j = 0; j < p; j++) {
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i * p + j] as number;
      sum += v;
      squares += v * v;
    }
    const mean = sum / n;
    total += Math.max(0, squares / n - mean * mean);
  }
  return (relative * total) / p;
}

export interface KMeansResult {
  readonly k: number;
  readonly centroids: Float64Array;
  readonly labels: Int32Array;
  /** Sum of squared distances of the rows to their centroid. */
  readonly inertia: number;
  readonly iterations: number;
}

/**
 * Greedy k-means++ seeds (scikit-learn's): each new seed is the best of 2 + ln(k) candidates
 * drawn with probability proportional to the squared distance to the nearest seed so far,
 * the best being the one that leaves the smallest total. Better seeds mean fewer Lloyd
 * iterations.
 */
function seeds(x: Float64Array, p: number, k: number, random: () => number): Float64Array {
  const n = x.length / p;
  const centroids = new Float64Array(k * p);
  const first = Math.floor(random() * n);
  centroids.set(x.subarray(first * p, first * p + p), 0);
  const nearest = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = distance2(x, i, centroids, 0, p);
    nearest[i] = d;
    total += d;
  }
  const trials = 2 + Math.floor(Math.log(k));
  const candidate = new Float64Array(p);
  const trial = new Float64Array(n);
  const best = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let bestTotal = Number.POSITIVE_INFINITY;
    let bestRow = 0;
    for (let t = 0; t < trials; t++) {
      let target = random() * total;
      let row = n - 1;
      for (let i = 0; i < n; i++) {
        target -= nearest[i] as number;
        if (target <= 0) {
          row = i;
          break;
        }
      }
      candidate.set(x.subarray(row * p, row * p + p));
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.min(nearest[i] as number, distance2(x, i, candidate, 0, p));
        trial[i] = d;
        sum += d;
      }
      if (sum < bestTotal) {
        bestTotal = sum;
        bestRow = row;
        best.set(trial);
      }
    }
    centroids.set(x.subarray(bestRow * p, bestRow * p + p), c * p);
    nearest.set(best);
    total = bestTotal;
  }
  return centroids;
}

/** One k-means run from greedy k-means++ seeds. */
function runOnce(
  x: Float64Array,
  p: number,
  k: number,
  random: () => number,
  maxIterations: number,
  stopShift: number,
): KMeansResult {
  const n = x.length / p;
  const centroids = seeds(x, p, k, random);
  const labels = new Int32Array(n);
  const previous = new Int32Array(n).fill(-1);
  const sums = new Float64Array(k * p);
  const counts = new Int32Array(k);
  const moved = new Float64Array(k);
  const assignWithBounds = hamerly(x, p, k, n);
  let iterations = 0;
  // Lloyd iterations until no row changes cluster or the centres move less than stopShift
  // (in total squared distance).
  for (; iterations < maxIterations; iterations++) {
    assignWithBounds(centroids, moved, labels);
    let changed = false;
    for (let i = 0; i < n && !changed; i++) changed = labels[i] !== previous[i];
    if (!changed) break;
    previous.set(labels);
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i] as number;
      counts[c] = (counts[c] as number) + 1;
      const row = i * p;
      const centre = c * p;
      for (let j = 0; j < p; j++) sums[centre + j] = (sums[centre + j] as number) + (x[row + j] as number);
    }
    let shift = 0;
    // An emptied cluster keeps its centroid.
    for (let c = 0; c < k; c++) {
      const count = counts[c] as number;
      let own = 0;
      if (count > 0) {
        for (let j = 0; j < p; j++) {
          const value = (sums[c * p + j] as number) / count;
          own += (value - (centroids[c * p + j] as number)) ** 2;
          centroids[c * p + j] = value;
        }
      }
      moved[c] = Math.sqrt(own);
      shift += own;
    }
    if (shift <= stopShift) {
      iterations++;
      break;
    }
  }
  // The labels returned are exactly each row's nearest centre (the bounds only skip work).
  assign(x, p, centroids, k, labels);
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += distance2(x, i, centroids, labels[i] ?? 0, p);
  return { k, centroids, labels, inertia, iterations };
}

/**
 * The best (lowest inertia) of `starts` runs, each stopped as scikit-learn stops: when no row
 * changes cluster, or the centres move less than `tolerance` (1e-4) x the mean feature variance.
 */
export function kmeans(
  x: Float64Array,
  p: number,
  k: number,
  options: { seed?: number; starts?: number; maxIterations?: number; tolerance?: number } = {},
): KMeansResult {
  const random = seededRandom(options.seed ?? 42);
  const stopShift = tolerance(x, p, options.tolerance ?? 1e-4);
  let best: KMeansResult | null = null;
  for (let s = 0; s < (options.starts ?? 10); s++) {
    const result = runOnce(x, p, k, random, options.maxIterations ?? 300, stopShift);
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best as KMeansResult;
}

/**
 * Mean silhouette of the rows (over a seeded sample of `sample` rows when n is larger):
 * (b - a) / max(a, b), a = mean distance to the own cluster, b = to the nearest other one.
 */
export function silhouette(
  x: Float64Array,
  p: number,
  labels: Int32Array,
  k: number,
  sample = 2000,
  seed = 42,
): number {
  const n = labels.length;
  let rows = Array.from({ length: n }, (_, i) => i);
  if (n > sample) {
    const random = seededRandom(seed);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [rows[i], rows[j]] = [rows[j] as number, rows[i] as number];
    }
    rows = rows.slice(0, sample);
  }
  let total = 0;
  for (const i of rows) {
    const sums = new Float64Array(k);
    const counts = new Int32Array(k);
    for (const j of rows) {
      if (i === j) continue;
      let d = 0;
      for (let f = 0; f < p; f++) d += ((x[i * p + f] ?? 0) - (x[j * p + f] ?? 0)) ** 2;
      const c = labels[j] ?? 0;
      sums[c] = (sums[c] ?? 0) + Math.sqrt(d);
      counts[c] = (counts[c] ?? 0) + 1;
    }
    const own = labels[i] ?? 0;
    if ((counts[own] ?? 0) === 0) continue; // a singleton scores 0
    const a = (sums[own] ?? 0) / (counts[own] ?? 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++)
      if (c !== own && (counts[c] ?? 0) > 0) b = Math.min(b, (sums[c] ?? 0) / (counts[c] ?? 1));
    total += Number.isFinite(b) ? (b - a) / Math.max(a, b) : 0;
  }
  return total / rows.length;
}

/** k-means for every k in the range; the one with the highest silhouette is chosen. */
export function chooseK(
  x: Float64Array,
  p: number,
  options: { kMin?: number; kMax?: number; seed?: number } = {},
) {
  const curve = [];
  let chosen: (KMeansResult & { silhouette: number }) | null = null;
  for (let k = options.kMin ?? 2; k <= (options.kMax ?? 8); k++) {
    const result = kmeans(x, p, k, { seed: options.seed ?? 42 });
    const score = silhouette(x, p, result.labels, k, 2000, options.seed ?? 42);
    curve.push({ k, inertia: result.inertia, silhouette: score });
    if (!chosen || score > chosen.silhouette) chosen = { ...result, silhouette: score };
  }
  return { chosen, curve };
}
