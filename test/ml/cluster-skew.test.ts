import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { clusterAccounts } from '../../src/ml/cluster.js';
import { mapClusters } from '../../src/ml/cluster-map.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { type SavedClusters, saveModel } from '../../src/workspace/model-files.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import { insertTiers, TIERS, TIERS_YAML } from './skewed-tiers.js';

/* The fixture and its hand-worked transforms: skewed-tiers.ts. */
const dir = tempDir();
const asOf = new Date('2024-06-01T00:00:00Z');
let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'c.duckdb'));
  await insertTiers(store);
  mkdirSync(join(dir, 'ws'));
  writeFileSync(join(dir, 'ws', 'strata.yaml'), TIERS_YAML);
});
afterAll(() => store.close());

const metrics = ['mrr', 'employees'];

/** The clusters an assignment (account -> cluster) gives each planted tier. */
function clustersOfTiers(clusterOf: (id: string) => number | undefined) {
  return Object.fromEntries(Object.entries(TIERS).map(([tier, ids]) => [tier, new Set(ids.map(clusterOf))]));
}

describe('clustering skewed metrics with an outlier', () => {
  it('caps and logs the skewed metrics, says so, and recovers the three planted tiers', async () => {
    const report = await clusterAccounts(store, loadWorkspace(join(dir, 'ws')), { metrics, asOf });
    expect(report.transform).toBe('auto');
    expect(report.minClusterSize).toBe(5);
    const [mrr, employees] = report.transforms;
    expect(mrr).toMatchObject({ metric: 'mrr', lower: null, upper: 4800, log: true, capped: 1 });
    expect(mrr?.skewness).toBeCloseTo(9.84513, 4);
    expect(mrr?.skewnessAfter).toBeCloseTo(0.285, 4);
    expect(mrr?.description).toBe('capped at 4,800 (1 account above), then ln(1 + x); skewness 9.85 -> 0.29');
    expect(employees).toMatchObject({ metric: 'employees', lower: null, upper: 950, log: true, capped: 1 });
    expect(employees?.skewness).toBeCloseTo(9.83126, 4);
    expect(employees?.skewnessAfter).toBeCloseTo(0.7634, 4);
    expect(report.scorer.transforms).toEqual([
      { lower: null, upper: 4800, log: true },
      { lower: null, upper: 950, log: true },
    ]);
    expect(report.k).toBe(3);
    expect(report.clusters.map((c) => c.accounts)).toEqual([50, 30, 20]);
    // Means are in the metrics' own units over all members, e19's 900,000 included:
    // (19 x 3,000 + 200 x (45 + 36) + 900,000) / 20 = 48,660.
    expect(report.clusters[2]?.means.mrr).toBeCloseTo(48_660, 8);
    expect(report.clusters[0]?.means.mrr).toBe(0);
    expect(report.clusters[2]?.profile).toMatch(/^high (mrr|employees), high (mrr|employees)$/);
  });

  it('refuses a given k whose solution leaves a cluster near-empty, naming the cluster and the rule', async () => {
    const workspace = loadWorkspace(join(dir, 'ws'));
    const refused = await clusterAccounts(store, workspace, { metrics, asOf, k: 3, transform: 'none' }).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(StrataError);
    expect((refused as StrataError).code).toBe('cluster_too_small');
    expect((refused as StrataError).message).toMatch(
      /^--k 3: cluster \d held 1 account, under the minimum of 5 accounts \(the larger of settings\.minSegmentSize, 5, and 2% of 100 accounts\)\. Try a smaller --k, .*--transform auto/,
    );
    // Searching k skips every solution with e19 alone; with z-scores only, that is all of them.
    const searched = await clusterAccounts(store, workspace, {
      metrics,
      asOf,
      transform: 'none',
      kMax: 4,
    }).catch((error: unknown) => error);
    expect((searched as StrataError).message).toMatch(
      /^no k from 2 to 4 gives clusters of 5 accounts .* at least \(k=2 rejected: cluster \d held 1 account; k=3 rejected: cluster \d held 1 account; k=4 rejected: cluster \d held 1 account\)/,
    );
  });

  it('scores accounts in SQL with the same transform: the saved clustering gives every account the cluster computed here', async () => {
    const workspace = loadWorkspace(join(dir, 'ws'));
    const report = await clusterAccounts(store, workspace, { metrics, asOf });
    const { scorer, ...shown } = report;
    saveModel<SavedClusters>(workspace.dir, {
      name: 'tiers',
      kind: 'clusters',
      scorer,
      training: {},
      report: shown,
    });
    const map = await mapClusters(store, loadWorkspace(join(dir, 'ws')), 'tiers', { asOf, points: 1000 });
    // The map (the dashboard's clusters page) says what was done to each metric.
    expect(map.transforms).toEqual([
      'mrr: capped at 4,800 (1 account above), then ln(1 + x); skewness 9.85 -> 0.29',
      'employees: capped at 950 (1 account above), then ln(1 + x); skewness 9.83 -> 0.76',
    ]);
    const inDatabase = new Map(map.points.map((point) => [point.account_id, point.cluster]));
    expect(inDatabase.size).toBe(100);
    // Nearest centre worked here from the saved file: clamp, ln(1 + x), z-score, squared distance.
    const values = await store.query<{ account_id: string; mrr: number; employees: number }>(
      sql`SELECT account_id, mrr, employees FROM accounts`,
    );
    for (const row of values) {
      const z = [Number(row.mrr), Number(row.employees)].map((raw, j) => {
        const t = scorer.transforms?.[j];
        const capped = Math.min(Math.max(raw, t?.lower ?? raw), t?.upper ?? raw);
        const shaped = t?.log ? Math.log(1 + capped) : capped;
        return (shaped - (scorer.means[j] ?? 0)) / (scorer.scales[j] ?? 1);
      });
      const distances = scorer.centres.map((centre) =>
        centre.reduce((s, c, j) => s + ((z[j] ?? 0) - c) ** 2, 0),
      );
      expect(inDatabase.get(row.account_id), row.account_id).toBe(distances.indexOf(Math.min(...distances)));
    }
    // The tiers each land whole in one cluster, in SQL as in the report.
    const byTier = clustersOfTiers((id) => inDatabase.get(id));
    expect(Object.values(byTier).map((clusters) => clusters.size)).toEqual([1, 1, 1]);
    expect(new Set(Object.values(byTier).map((clusters) => [...clusters][0])).size).toBe(3);
    expect(map.clusters.map((c) => c.accounts).sort((a, b) => b - a)).toEqual(
      report.clusters.map((c) => c.accounts),
    );
  });
});
