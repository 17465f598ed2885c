import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapClusters, principalAxes } from '../../src/ml/cluster-map.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { type SavedClusters, saveModel } from '../../src/workspace/model-files.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Four accounts and a clustering saved by hand: features employees and mrr, both with
 * mean 10 and scale 1, so the standardised values are the raw ones less 10:
 *   a (12, 12) -> ( 2,  2)    b (8, 8) -> (-2, -2)    c (11, 9) -> (1, -1)    d (9, 11) -> (-1, 1)
 * Centres 0 = (1.5, 0.5) and 1 = (-1.5, -0.5). Squared distances to 0 and 1:
 *   a 2.5 / 18.5 -> 0;  b 18.5 / 2.5 -> 1;  c 2.5 / 6.5 -> 0;  d 6.5 / 2.5 -> 1.
 * Cluster 0 = {a, c}: mean employees 11.5, mrr 10.5; cluster 1 = {b, d}: 8.5 and 9.5.
 * Standardised means are 0; the population covariance is [[2.5, 1.5], [1.5, 2.5]], with
 * eigenvalues 4 and 1 (variance shares 0.8 and 0.2) along (1, 1)/√2 and (1, -1)/√2.
 * Positions: a (2√2, 0), b (-2√2, 0), c (0, √2), d (0, -√2); centre 0 (√2, 1/√2).
 */
const dir = tempDir();
const r2 = Math.SQRT2;
let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'c.duckdb'));
  await store.execute(
    sql`INSERT INTO accounts (account_id, created_at, employees, mrr) VALUES
     ('a', '2024-01-01', 12, 12), ('b', '2024-01-01', 8, 8), ('c', '2024-01-01', 11, 9), ('d', '2024-01-01', 9, 11)`,
  );
  mkdirSync(join(dir, 'ws'));
  writeFileSync(join(dir, 'ws', 'strata.yaml'), 'segments: {}\n');
  const metrics = {
    employees: { kind: 'trait', trait: 'employees' },
    mrr: { kind: 'trait', trait: 'mrr' },
  } as const;
  saveModel<SavedClusters>(join(dir, 'ws'), {
    name: 'size',
    kind: 'clusters',
    scorer: {
      features: ['employees', 'mrr'],
      metrics,
      means: [10, 10],
      scales: [1, 1],
      centres: [
        [1.5, 0.5],
        [-1.5, -0.5],
      ],
    },
    training: {},
    report: {
      clusters: [
        { cluster: 0, profile: 'high employees' },
        { cluster: 1, profile: 'low employees' },
      ],
    },
  });
});
afterAll(() => store.close());

describe('a clustering on a map', () => {
  it('finds the principal axes of a covariance matrix, largest first, signed the same way', () => {
    const { axes, variances } = principalAxes([
      [2.5, 1.5],
      [1.5, 2.5],
    ]);
    expect(variances[0]).toBeCloseTo(4, 10);
    expect(variances[1]).toBeCloseTo(1, 10);
    expect(axes[0]?.[0]).toBeCloseTo(1 / r2, 10);
    expect(axes[0]?.[1]).toBeCloseTo(1 / r2, 10);
    expect(axes[1]?.[0]).toBeCloseTo(1 / r2, 10);
    expect(axes[1]?.[1]).toBeCloseTo(-1 / r2, 10);
  });

  it('places every account in its cluster and on the two axes, as worked by hand', async () => {
    const map = await mapClusters(store, loadWorkspace(join(dir, 'ws')), 'size', {
      asOf: new Date('2024-06-01T00:00:00Z'),
    });
    expect(map).toMatchObject({ name: 'size', version: 1, accounts: 4, metrics: ['employees', 'mrr'] });
    expect(map.explained[0]).toBeCloseTo(0.8, 10);
    expect(map.explained[1]).toBeCloseTo(0.2, 10);
    expect(map.clusters.map((c) => [c.cluster, c.accounts, c.means, c.profile])).toEqual([
      [0, 2, { employees: 11.5, mrr: 10.5 }, 'high employees'],
      [1, 2, { employees: 8.5, mrr: 9.5 }, 'low employees'],
    ]);
    expect(map.clusters[0]?.centre[0]).toBeCloseTo(r2, 10);
    expect(map.clusters[0]?.centre[1]).toBeCloseTo(1 / r2, 10);
    const at = Object.fromEntries(map.points.map((p) => [p.account_id, [p.cluster, p.x, p.y]]));
    const expected: Record<string, [number, number, number]> = {
      a: [0, 2 * r2, 0],
      b: [1, -2 * r2, 0],
      c: [0, 0, r2],
      d: [1, 0, -r2],
    };
    for (const [id, [cluster, x, y]] of Object.entries(expected)) {
      expect(at[id]?.[0]).toBe(cluster);
      expect(at[id]?.[1]).toBeCloseTo(x, 10);
      expect(at[id]?.[2]).toBeCloseTo(y, 10);
    }
  });

  it('samples the same accounts every time when asked for fewer points', async () => {
    const workspace = loadWorkspace(join(dir, 'ws'));
    const asOf = new Date('2024-06-01T00:00:00Z');
    const [first, second] = [
      await mapClusters(store, workspace, 'size', { asOf, points: 2 }),
      await mapClusters(store, workspace, 'size', { asOf, points: 2 }),
    ];
    expect(first.points).toHaveLength(2);
    expect(first.points).toEqual(second.points);
    expect(first.clusters.map((c) => c.accounts)).toEqual([2, 2]);
  });
});
