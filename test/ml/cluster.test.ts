import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterAccounts } from '../../src/ml/cluster.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/* Twelve large accounts (about 1,000 employees, 5,000 MRR) and twelve small ones (10 and 50); one small account has no MRR. */
const dir = tempDir();
let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'c.duckdb'));
  const rows = Array.from({ length: 24 }, (_, i) => {
    const big = i < 12;
    // Spread evenly within each group (no two accounts alike), far less than between the groups.
    const wobble = (i % 12) - 5.5;
    const mrr = i === 23 ? 'NULL' : big ? 5000 + wobble * 40 : 50 + wobble;
    return `('k${String(i).padStart(2, '0')}', '2024-01-01', ${big ? 1000 + wobble * 20 : 10 + wobble}, ${mrr})`;
  });
  await store.execute(
    testSql(`INSERT INTO accounts (account_id, created_at, employees, mrr) VALUES ${rows.join(', ')}`),
  );
  mkdirSync(join(dir, 'ws'));
  writeFileSync(join(dir, 'ws', 'strata.yaml'), 'segments: {}\n');
});
afterAll(() => store.close());

describe('clustering accounts', () => {
  it('finds the two groups, picks k = 2 by silhouette and describes them in words', async () => {
    const report = await clusterAccounts(store, loadWorkspace(join(dir, 'ws')), {
      metrics: ['employees', 'mrr'],
      asOf: new Date('2024-06-01T00:00:00Z'),
    });
    expect(report).toMatchObject({ accounts: 24, k: 2 });
    expect(report.clusters.map((c) => [c.accounts, c.profile]).sort()).toEqual([
      [12, 'high employees, high mrr'],
      [12, 'low employees, low mrr'],
    ]);
    const big = report.clusters.find((c) => c.profile.startsWith('high'));
    expect(big?.means.employees).toBeCloseTo(1000, 6);
    expect(big?.means.mrr).toBeCloseTo(5000, 6);
    // The small account without MRR takes the mean MRR of all accounts, and still lands with the small ones.
    const small = report.clusters.find((c) => c.profile.startsWith('low'));
    expect(small?.accounts).toBe(12);
    expect(report.curve[0]).toMatchObject({ k: 2 });
  });

  it('is the same for the same seed, and takes a given k', async () => {
    const workspace = loadWorkspace(join(dir, 'ws'));
    const options = { metrics: ['employees', 'mrr'], asOf: new Date('2024-06-01T00:00:00Z'), k: 2, seed: 5 };
    const [a, b] = [
      await clusterAccounts(store, workspace, options),
      await clusterAccounts(store, workspace, options),
    ];
    expect(a.k).toBe(2);
    expect(a.curve).toEqual([]);
    expect(a.clusters.map((c) => c.accounts)).toEqual([12, 12]);
    // Two even groups: neither metric is skewed (|skewness| < 1) and the 1st and 99th
    // percentiles of 24 values are the smallest and largest, so nothing is transformed.
    expect(a.transforms.map((t) => t.description.split(';')[0])).toEqual(['unchanged', 'unchanged']);
    expect(a.clusters).toEqual(b.clusters);
    await expect(
      clusterAccounts(store, workspace, { ...options, metrics: ['nps_category'] }),
    ).rejects.toThrow("metric 'nps_category' is text");
  });
});
