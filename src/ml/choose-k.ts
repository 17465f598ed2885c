import { Rng } from '../random.js';
import { type KMeansResult, kmeans } from './kmeans.js';

/**
 * Choosing k: k-means for each k in a range, scored by the mean silhouette (on a sample for
 * large n), the inertia of every k kept for the elbow curve. A solution with a near-empty
 * cluster (fewer than `minSize` accounts) is rejected, however well it scores: one outlier
 * alone in a cluster has a silhouette of 0 but leaves every other account well separated, so
 * the silhouette alone favours it.
 */

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
    rows = new Rng(seed >>> 0).shuffle(rows).slice(0, sample);
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

/** The smallest cluster of a labelling (the lowest number among equals) and its size. */
export function smallestCluster(labels: Int32Array, k: number): { cluster: number; accounts: number } {
  const sizes = new Array<number>(k).fill(0);
  for (const label of labels) sizes[label] = (sizes[label] ?? 0) + 1;
  let cluster = 0;
  for (let c = 1; c < k; c++) if ((sizes[c] ?? 0) < (sizes[cluster] ?? 0)) cluster = c;
  return { cluster, accounts: sizes[cluster] ?? 0 };
}

export interface KCurvePoint {
  readonly k: number;
  readonly inertia: number;
  readonly silhouette: number;
  /** The smallest cluster of this k's solution. */
  readonly smallest: { readonly cluster: number; readonly accounts: number };
  /** True when the smallest cluster holds fewer than the minimum size: this k is skipped. */
  readonly rejected: boolean;
}

/**
 * Silhouettes closer than this are a tie: the fewer clusters win, being easier to name and to
 * act on (the demo's usage scored 0.594 at k = 3 and 0.615 at k = 8).
 */
export const SILHOUETTE_TIE = 0.03;

/**
 * The k to choose from a curve: of the ks not rejected, the smallest whose silhouette is
 * within SILHOUETTE_TIE of the best; null when every k is rejected.
 */
export function pickK(curve: readonly Pick<KCurvePoint, 'k' | 'silhouette' | 'rejected'>[]): number | null {
  const kept = curve.filter((point) => !point.rejected);
  if (kept.length === 0) return null;
  const best = Math.max(...kept.map((point) => point.silhouette));
  const fewest = kept
    .filter((point) => point.silhouette >= best - SILHOUETTE_TIE)
    .sort((a, b) => a.k - b.k)[0];
  return fewest?.k ?? null;
}

/**
 * k-means for every k in the range; of those whose every cluster holds at least `minSize`
 * rows (default 1), the one `pickK` chooses (null when none qualifies).
 */
export function chooseK(
  x: Float64Array,
  p: number,
  options: { kMin?: number; kMax?: number; seed?: number; minSize?: number } = {},
): { chosen: (KMeansResult & { silhouette: number }) | null; curve: KCurvePoint[] } {
  const curve: KCurvePoint[] = [];
  const solutions = new Map<number, KMeansResult & { silhouette: number }>();
  for (let k = options.kMin ?? 2; k <= (options.kMax ?? 8); k++) {
    const result = kmeans(x, p, k, { seed: options.seed ?? 42 });
    const score = silhouette(x, p, result.labels, k, 2000, options.seed ?? 42);
    const smallest = smallestCluster(result.labels, k);
    const rejected = smallest.accounts < (options.minSize ?? 1);
    curve.push({ k, inertia: result.inertia, silhouette: score, smallest, rejected });
    if (!rejected) solutions.set(k, { ...result, silhouette: score });
  }
  const k = pickK(curve);
  return { chosen: k === null ? null : (solutions.get(k) ?? null), curve };
}
