import { StrataError } from '../errors.js';
import { accountRows } from '../identity/account-rows.js';
import type { ClusterScorer } from '../language/ast.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { chooseK, type KCurvePoint, silhouette, smallestCluster } from './choose-k.js';
import { extractFeatures, metricFeatures } from './features.js';
import { kmeans } from './kmeans.js';
import { type TransformChoice, type TransformNote, transformColumns } from './metric-transform.js';
import { standardize } from './standardize.js';

/** Share of the accounts (0-1) the smallest cluster must hold, unless settings.minSegmentSize asks more. */
export const MIN_CLUSTER_SHARE = 0.02;

export interface ClusterReport {
  readonly asOf: string;
  readonly metrics: readonly string[];
  readonly accounts: number;
  readonly k: number;
  readonly silhouette: number;
  /** The transform asked for, and what it did to each metric before standardising. */
  readonly transform: TransformChoice;
  readonly transforms: readonly TransformNote[];
  /** Fewest accounts a cluster may hold: max(settings.minSegmentSize, 2% of the accounts). */
  readonly minClusterSize: number;
  /** Inertia and silhouette of every k tried (the elbow curve), and which were rejected, when k was chosen. */
  readonly curve: readonly KCurvePoint[];
  /** The solutions skipped for a near-empty cluster, in words: "k=5 rejected: cluster 3 held 4 accounts". */
  readonly rejected: readonly string[];
  readonly clusters: readonly {
    readonly cluster: number;
    readonly accounts: number;
    /** Mean of each metric over the members that have a value, in its own units (untransformed). */
    readonly means: Readonly<Record<string, number>>;
    /** Mean of each metric in standard deviations (of the transformed values) from the mean of all accounts. */
    readonly z: Readonly<Record<string, number>>;
    /** The metrics furthest from the mean, in words: "high sessions_30d, low mrr". */
    readonly profile: string;
  }[];
  /** What scoring needs (saved by `--save`, compiled to SQL by `{ cluster: name }` metrics). */
  readonly scorer: ClusterScorer;
}

const rejection = (point: Pick<KCurvePoint, 'k' | 'smallest'>) =>
  `k=${point.k} rejected: cluster ${point.smallest.cluster} held ${point.smallest.accounts} account${point.smallest.accounts === 1 ? '' : 's'}`;

/**
 * Each cluster's size, its mean of each metric in the metric's units (`x`) and in standard
 * deviations (`z`), and the metrics that set it apart in words; largest cluster first.
 */
function profileClusters(
  labels: Int32Array,
  k: number,
  features: readonly string[],
  x: Float64Array,
  z: Float64Array,
): ClusterReport['clusters'] {
  const p = features.length;
  return Array.from({ length: k }, (_, c) => {
    const members: number[] = [];
    labels.forEach((label, i) => {
      if (label === c) members.push(i);
    });
    const meanOf = (j: number, data: Float64Array) => {
      let [sum, count] = [0, 0];
      for (const i of members) {
        const v = data[i * p + j] ?? Number.NaN;
        if (!Number.isNaN(v)) [sum, count] = [sum + v, count + 1];
      }
      return count > 0 ? sum / count : 0;
    };
    const raw = Object.fromEntries(features.map((f, j) => [f, meanOf(j, x)]));
    const zMeans = Object.fromEntries(features.map((f, j) => [f, meanOf(j, z)]));
    // Half a standard deviation is "high"/"low"; a quarter is "slightly": a cluster holding
    // most accounts sits near the overall mean, yet is still the low one of the clusters.
    const words = Object.entries(zMeans)
      .filter(([, v]) => Math.abs(v) >= 0.25)
      .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
      .slice(0, 3)
      .map(([f, v]) => `${Math.abs(v) < 0.5 ? 'slightly ' : ''}${v > 0 ? 'high' : 'low'} ${f}`);
    return {
      cluster: c,
      accounts: members.length,
      means: raw,
      z: zMeans,
      profile: words.join(', ') || 'close to the average',
    };
  }).sort((a, b) => b.accounts - a.accounts);
}

/**
 * Clusters accounts by chosen metrics: each metric transformed (metric-transform.ts; `auto`
 * unless asked), standardised (a missing value takes the mean), k-means with k given or chosen
 * by silhouette among the solutions without a near-empty cluster, each cluster described by
 * the metrics that set it apart. A given k whose solution has a near-empty cluster is refused.
 */
export async function clusterAccounts(
  store: Store,
  workspace: Workspace,
  options: {
    metrics: readonly string[];
    asOf: Date;
    k?: number;
    kMax?: number;
    seed?: number;
    transform?: TransformChoice;
  },
): Promise<ClusterReport> {
  const spec = metricFeatures(workspace, options.metrics);
  const matrix = await extractFeatures(store, spec, options.asOf, {
    rows: await accountRows(store, workspace.config.identity),
  });
  const p = matrix.features.length;
  const n = matrix.accountIds.length;
  if (n < 4) throw new StrataError('too_few_accounts', `${n} accounts: clustering needs 4 at least`);
  const transform = options.transform ?? 'auto';
  const shaped = transformColumns(matrix.x, p, matrix.features, transform);
  const means = matrix.features.map((_, j) => {
    let [sum, count] = [0, 0];
    for (let i = 0; i < n; i++) {
      const v = shaped.x[i * p + j] ?? Number.NaN;
      if (!Number.isNaN(v)) [sum, count] = [sum + v, count + 1];
    }
    return count > 0 ? sum / count : 0;
  });
  const filled = shaped.x.map((v, index) => (Number.isNaN(v) ? (means[index % p] ?? 0) : v));
  const { z, means: centre, scales } = standardize(filled, p);
  const { minSegmentSize } = workspace.config.settings;
  const minClusterSize = Math.max(minSegmentSize, Math.ceil(MIN_CLUSTER_SHARE * n));
  const sizeRule = `${minClusterSize} accounts (the larger of settings.minSegmentSize, ${minSegmentSize}, and ${MIN_CLUSTER_SHARE * 100}% of ${n.toLocaleString('en-US')} accounts)`;
  const seed = options.seed ?? 42;
  let labels: Int32Array;
  let centroids: Float64Array;
  let k: number;
  let score: number;
  let curve: KCurvePoint[] = [];
  if (options.k !== undefined) {
    if (!(options.k >= 2 && options.k < n))
      throw new StrataError('invalid_argument', `--k ${options.k}: expected 2 to ${n - 1}`);
    const result = kmeans(z, p, options.k, { seed });
    const smallest = smallestCluster(result.labels, options.k);
    if (smallest.accounts < minClusterSize)
      throw new StrataError(
        'cluster_too_small',
        `--k ${options.k}: cluster ${smallest.cluster} held ${smallest.accounts} account${smallest.accounts === 1 ? '' : 's'}, under the minimum of ${sizeRule}. Try a smaller --k, leave --k out to choose k among the solutions without such a cluster${transform === 'auto' ? '' : ', or --transform auto to tame skewed metrics and outliers'}`,
        {},
        { k: options.k, smallest, minClusterSize },
      );
    [labels, centroids, k] = [result.labels, result.centroids, options.k];
    score = silhouette(z, p, labels, k, 2000, seed);
  } else {
    const kMax = Math.min(options.kMax ?? 8, n - 1);
    const chosen = chooseK(z, p, { kMin: 2, kMax, seed, minSize: minClusterSize });
    if (!chosen.chosen) {
      const tried = chosen.curve.map(rejection);
      throw new StrataError(
        'cluster_too_small',
        tried.length === 0
          ? 'no k could be tried'
          : `no k from 2 to ${kMax} gives clusters of ${sizeRule} at least (${tried.join('; ')}). ${transform === 'auto' ? 'Try other metrics, or lower settings.minSegmentSize' : 'Try --transform auto to tame skewed metrics and outliers, or other metrics'}`,
        {},
        { curve: chosen.curve, minClusterSize },
      );
    }
    [labels, centroids, k, score, curve] = [
      chosen.chosen.labels,
      chosen.chosen.centroids,
      chosen.chosen.k,
      chosen.chosen.silhouette,
      chosen.curve,
    ];
  }
  const clusters = profileClusters(labels, k, matrix.features, matrix.x, z);
  return {
    asOf: options.asOf.toISOString(),
    metrics: matrix.features,
    accounts: n,
    k,
    silhouette: score,
    transform,
    transforms: shaped.notes,
    minClusterSize,
    curve,
    rejected: curve.filter((point) => point.rejected).map(rejection),
    clusters,
    scorer: {
      features: spec.features,
      metrics: spec.metrics,
      transforms: shaped.transforms,
      means: centre,
      scales,
      centres: Array.from({ length: k }, (_, c) => Array.from(centroids.subarray(c * p, c * p + p))),
    },
  };
}
