import type { ClusterScorer } from '../compile/ast.js';
import { StrataError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { extractFeatures, metricFeatures } from './features.js';
import { chooseK, kmeans, silhouette } from './kmeans.js';
import { standardize } from './standardize.js';

export interface ClusterReport {
  readonly asOf: string;
  readonly metrics: readonly string[];
  readonly accounts: number;
  readonly k: number;
  readonly silhouette: number;
  /** Inertia and silhouette of every k tried (the elbow curve), when k was chosen. */
  readonly curve: readonly { readonly k: number; readonly inertia: number; readonly silhouette: number }[];
  readonly clusters: readonly {
    readonly cluster: number;
    readonly accounts: number;
    /** Mean of each metric over the members, in its own units. */
    readonly means: Readonly<Record<string, number>>;
    /** Mean of each metric in standard deviations from the mean of all accounts. */
    readonly z: Readonly<Record<string, number>>;
    /** The metrics furthest from the mean, in words: "high sessions_30d, low mrr". */
    readonly profile: string;
  }[];
  /** What scoring needs (saved by `--save`, compiled to SQL by `{ cluster: name }` metrics). */
  readonly scorer: ClusterScorer;
}

/**
 * Clusters accounts by chosen metrics: k-means on standardised values (a missing value
 * takes the metric's mean), k given or chosen by silhouette, each cluster described by the
 * metrics that set it apart.
 */
export async function clusterAccounts(
  store: Store,
  workspace: Workspace,
  options: { metrics: readonly string[]; asOf: Date; k?: number; kMax?: number; seed?: number },
): Promise<ClusterReport> {
  const spec = metricFeatures(workspace, options.metrics);
  const matrix = await extractFeatures(store, spec, options.asOf);
  const p = matrix.features.length;
  const n = matrix.accountIds.length;
  if (n < 4) throw new StrataError('too_few_accounts', `${n} accounts: clustering needs 4 at least`);
  const means = matrix.features.map((_, j) => {
    let [sum, count] = [0, 0];
    for (let i = 0; i < n; i++) {
      const v = matrix.x[i * p + j] ?? Number.NaN;
      if (!Number.isNaN(v)) [sum, count] = [sum + v, count + 1];
    }
    return count > 0 ? sum / count : 0;
  });
  const filled = matrix.x.map((v, index) => (Number.isNaN(v) ? (means[index % p] ?? 0) : v));
  const { z, means: centre, scales } = standardize(filled, p);
  const seed = options.seed ?? 42;
  let labels: Int32Array;
  let centroids: Float64Array;
  let k: number;
  let score: number;
  let curve: ClusterReport['curve'] = [];
  if (options.k !== undefined) {
    if (!(options.k >= 2 && options.k < n))
      throw new StrataError('invalid_argument', `--k ${options.k}: expected 2 to ${n - 1}`);
    const result = kmeans(z, p, options.k, { seed });
    [labels, centroids, k] = [result.labels, result.centroids, options.k];
    score = silhouette(z, p, labels, k, 2000, seed);
  } else {
    const chosen = chooseK(z, p, { kMin: 2, kMax: Math.min(options.kMax ?? 8, n - 1), seed });
    if (!chosen.chosen) throw new StrataError('too_few_accounts', 'no k could be tried');
    [labels, centroids, k, score, curve] = [
      chosen.chosen.labels,
      chosen.chosen.centroids,
      chosen.chosen.k,
      chosen.chosen.silhouette,
      chosen.curve,
    ];
  }
  const clusters = Array.from({ length: k }, (_, c) => {
    const members: number[] = [];
    labels.forEach((label, i) => {
      if (label === c) members.push(i);
    });
    const meanOf = (j: number, data: Float64Array) =>
      members.reduce((s, i) => s + (data[i * p + j] ?? 0), 0) / (members.length || 1);
    const raw = Object.fromEntries(matrix.features.map((f, j) => [f, meanOf(j, filled)]));
    const zMeans = Object.fromEntries(matrix.features.map((f, j) => [f, meanOf(j, z)]));
    const words = Object.entries(zMeans)
      .filter(([, v]) => Math.abs(v) >= 0.5)
      .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
      .slice(0, 3)
      .map(([f, v]) => `${v > 0 ? 'high' : 'low'} ${f}`);
    return {
      cluster: c,
      accounts: members.length,
      means: raw,
      z: zMeans,
      profile: words.join(', ') || 'close to the average',
    };
  }).sort((a, b) => b.accounts - a.accounts);
  return {
    asOf: options.asOf.toISOString(),
    metrics: matrix.features,
    accounts: n,
    k,
    silhouette: score,
    curve,
    clusters,
    scorer: {
      features: spec.features,
      metrics: spec.metrics,
      means: centre,
      scales,
      centres: Array.from({ length: k }, (_, c) => Array.from(centroids.subarray(c * p, c * p + p))),
    },
  };
}
