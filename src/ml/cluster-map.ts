import { EigenvalueDecomposition } from 'ml-matrix';
import { compileLayers, metricColumn } from '../compile/compile-workspace.js';
import { standardizedFragments } from '../compile/model-sql.js';
import type { Sql } from '../dialect/sql.js';
import { evaluateLayers } from '../engine/evaluate.js';
import { StrataError } from '../errors.js';
import { accountRows } from '../identity/account-rows.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { readModel, type SavedClusters } from '../workspace/model-files.js';

/**
 * A saved clustering as of a time, for a picture: every account scored by the saved centres
 * in the database, the clusters' sizes and means there too, and a 2-D principal-component
 * projection of the standardised features. The covariance is summed in SQL; only its p x p
 * matrix reaches JavaScript for the eigen decomposition, and only a deterministic sample of
 * projected points (ordered by a hash of account_id) leaves the database.
 */

export interface ClusterMap {
  readonly name: string;
  readonly version: number;
  readonly asOf: string;
  readonly metrics: readonly string[];
  readonly accounts: number;
  /** Share of the standardised features' variance along each axis (0-1), largest first. */
  readonly explained: readonly number[];
  /** Each axis as weights of the standardised features (unit length, largest weight positive). */
  readonly axes: readonly (readonly number[])[];
  /** What was done to each metric before standardising, in words, as the saved report says. */
  readonly transforms: readonly string[];
  readonly clusters: readonly {
    readonly cluster: number;
    readonly accounts: number;
    /** Mean of each metric over the members that have a value, in its own units (null: none has). */
    readonly means: Readonly<Record<string, number | null>>;
    /** The saved clustering's words for it ("high sessions_30d, low mrr"). */
    readonly profile: string;
    /** The centre on the two axes. */
    readonly centre: readonly [number, number];
  }[];
  /** At most `points` accounts, the same ones for the same data: account, cluster, position. */
  readonly points: readonly {
    readonly account_id: string;
    readonly cluster: number;
    readonly x: number;
    readonly y: number;
  }[];
}

/** Reads a saved clustering, refusing a saved churn model with a message that says so. */
export function readClustering(workspace: Workspace, ref: string): SavedClusters {
  const saved = readModel(workspace.dir, ref);
  if (saved.kind !== 'clusters')
    throw new StrataError('unknown_model', `'${ref}' is a predictive model, not a clustering`);
  return saved;
}

/**
 * The principal axes of a covariance matrix (p x p, symmetric): eigenvectors by falling
 * eigenvalue, each signed so that its largest weight (the first, on a tie) is positive.
 */
export function principalAxes(covariance: readonly (readonly number[])[]): {
  axes: number[][];
  variances: number[];
} {
  const p = covariance.length;
  const evd = new EigenvalueDecomposition(
    covariance.map((row) => [...row]),
    { assumeSymmetric: true },
  );
  const vectors = evd.eigenvectorMatrix;
  const order = evd.realEigenvalues
    .map((value, index) => ({ value, index }))
    .sort((a, b) => b.value - a.value);
  const axes = order.map(({ index }) => {
    const axis = Array.from({ length: p }, (_, j) => vectors.get(j, index));
    const largest = axis.reduce(
      (best, v, j) => (Math.abs(v) > Math.abs(axis[best] ?? 0) + 1e-12 ? j : best),
      0,
    );
    return (axis[largest] ?? 0) < 0 ? axis.map((v) => -v) : axis;
  });
  return { axes, variances: order.map(({ value }) => Math.max(0, value)) };
}

/** Every account existing at `asOf` placed in a saved clustering and on its first two principal axes. */
export async function mapClusters(
  store: Store,
  workspace: Workspace,
  ref: string,
  options: { asOf: Date; points?: number },
): Promise<ClusterMap> {
  const saved = readClustering(workspace, ref);
  const { scorer } = saved;
  const d = store.dialect;
  const { sql, fn } = d;
  const q = (name: string) => sql.id(name);
  let clusterName = 'cluster';
  while (scorer.metrics[clusterName]) clusterName = `${clusterName}_`;
  const layers = compileLayers(d, {
    metrics: { ...scorer.metrics, [clusterName]: { kind: 'cluster', ref, scorer } },
    segments: [],
    asOf: options.asOf,
    rows: await accountRows(store, workspace.config.identity),
  });
  const table = await evaluateLayers(store, layers, 'strata_cluster_map');
  try {
    const raw = scorer.features.map((f) => fn.toDouble(q(metricColumn(f))));
    const z = standardizedFragments(d, scorer, raw);
    const p = z.length;
    const cluster = q(metricColumn(clusterName));
    const sums = z.map((zj, j) => sql`sum(${zj}) AS ${q(`s${j}`)}`);
    const products = z.flatMap((zj, j) =>
      z.slice(j).map((zk, k) => sql`sum(${zj} * ${zk}) AS ${q(`p${j}_${j + k}`)}`),
    );
    const [totals] = await store.query<Record<string, number>>(
      sql`SELECT count(*) AS n, ${sql.join([...sums, ...products])} FROM ${table}`,
    );
    const n = Number(totals?.n ?? 0);
    if (n === 0) throw new StrataError('too_few_accounts', `no accounts at ${options.asOf.toISOString()}`);
    const mean = z.map((_, j) => Number(totals?.[`s${j}`] ?? 0) / n);
    // Population covariance from the sums: E[zj zk] - E[zj] E[zk].
    const covariance = z.map((_, j) =>
      z.map((__, k) => {
        const [a, b] = j <= k ? [j, k] : [k, j];
        return Number(totals?.[`p${a}_${b}`] ?? 0) / n - (mean[j] ?? 0) * (mean[k] ?? 0);
      }),
    );
    const { axes, variances } = principalAxes(covariance);
    const total = variances.reduce((s, v) => s + v, 0);
    const shown = [axes[0] ?? [], axes[1] ?? new Array<number>(p).fill(0)];
    const position = (values: readonly Sql[], axis: readonly number[]) =>
      sql.join(
        values.map((v, j) => sql`(${v} - ${mean[j] ?? 0}) * ${axis[j] ?? 0}`),
        sql` + `,
      );
    const groups = await store.query<Record<string, number | null>>(
      sql`SELECT ${cluster} AS cluster, count(*) AS n, ${sql.join(raw.map((f, j) => sql`avg(${f}) AS ${q(`m${j}`)}`))}
       FROM ${table} GROUP BY ${cluster} ORDER BY cluster`,
    );
    const limit = Math.max(0, Math.min(options.points ?? 2000, 20_000));
    const points = await store.query<{ account_id: string; cluster: number; x: number; y: number }>(
      sql`SELECT account_id, ${cluster} AS cluster, ${position(z, shown[0] ?? [])} AS x, ${position(z, shown[1] ?? [])} AS y
       FROM ${table} ORDER BY ${fn.md5Bucket(sql`account_id`)}, account_id LIMIT ${limit}`,
    );
    const report = saved.report as {
      clusters?: { cluster: number; profile: string }[];
      transforms?: { metric: string; description: string }[];
    };
    const profiles = report.clusters ?? [];
    const centre = (c: number): [number, number] => {
      const at = scorer.centres[c] ?? [];
      const project = (axis: readonly number[]) =>
        at.reduce((s, v, j) => s + (v - (mean[j] ?? 0)) * (axis[j] ?? 0), 0);
      return [project(shown[0] ?? []), project(shown[1] ?? [])];
    };
    return {
      name: saved.name,
      version: saved.version,
      asOf: options.asOf.toISOString(),
      metrics: [...scorer.features],
      accounts: n,
      explained: variances.slice(0, 2).map((v) => (total > 0 ? v / total : 0)),
      axes: shown,
      transforms: (report.transforms ?? []).map((t) => `${t.metric}: ${t.description}`),
      clusters: scorer.centres.map((_, c) => {
        const row = groups.find((g) => Number(g.cluster) === c);
        return {
          cluster: c,
          accounts: Number(row?.n ?? 0),
          means: Object.fromEntries(
            scorer.features.map((f, j) => {
              const value = row?.[`m${j}`];
              return [f, value === null || value === undefined ? null : Number(value)];
            }),
          ),
          profile: profiles.find((profile) => profile.cluster === c)?.profile ?? '',
          centre: centre(c),
        };
      }),
      points: points.map((r) => ({
        account_id: String(r.account_id),
        cluster: Number(r.cluster),
        x: Number(r.x),
        y: Number(r.y),
      })),
    };
  } finally {
    await store.dropScratch(table);
  }
}
