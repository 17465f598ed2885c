import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateWorld } from '../../src/demo/generate-world.js';
import { compareSnapshots, schemeFlows } from '../../src/engine/membership-diff.js';
import { listRuns, readRun } from '../../src/engine/run-snapshot.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { accountHistory } from '../../src/engine/snapshots.js';
import { TABLE_NAMES } from '../../src/model/tables.js';
import { ClickHouseStore } from '../../src/store/clickhouse/clickhouse-store.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { tempDir } from '../helpers/temp-dir.js';
import { compareStores, type ParityCheck } from './parity-harness.js';

/*
 * The template workspace on one generated world, run at two as-of times on DuckDB, on a
 * single ClickHouse server and on a two-shard ClickHouse cluster: memberships, metric
 * values (to 1e-9 relative), primary assignments, sizes and transitions must be the same.
 */
const AS_OF = [new Date('2026-09-30T00:00:00Z'), new Date('2026-10-31T23:59:59Z')];
const dir = tempDir();
const database = `parity_${process.pid}`;
const stores: Record<string, Store> = {};

/** What the segment engine must agree on. */
const SEGMENT_CHECKS: readonly ParityCheck[] = [
  ...AS_OF.map((_, i) => ({
    name: `run ${i + 1}: every account's segment flags, primary segments and metric values`,
    rows: (store: Store) => store.query(`SELECT * FROM strata_run_${i + 1} ORDER BY account_id`),
  })),
  {
    name: 'run sizes',
    rows: async (store) =>
      (await listRuns(store)).map((r) => ({ run: r.runId, asOf: r.asOf, sizes: r.sizes })),
  },
  {
    name: 'transitions: entered and exited per segment, moved per scheme',
    rows: async (store) => {
      const diff = await compareSnapshots(store, await readRun(store, 1), await readRun(store, 2));
      return [...diff.segments, ...Object.entries(diff.moved).map(([scheme, moved]) => ({ scheme, moved }))];
    },
  },
  {
    name: 'transitions: flows between primary segments',
    rows: async (store) => schemeFlows(store, await readRun(store, 1), await readRun(store, 2)),
  },
  {
    name: 'account history',
    rows: async (store) => {
      const [first] = await store.query<{ account_id: string }>(
        'SELECT account_id FROM strata_run_2 ORDER BY account_id LIMIT 1',
      );
      return accountHistory(store, first?.account_id ?? '');
    },
  },
];

beforeAll(async () => {
  const { cluster, single } = inject('clickhouse');
  const world = await generateWorld({ scale: 'S', seed: 11, outDir: join(dir, 'data'), accounts: 1500 });
  writeFileSync(join(dir, 'strata.yaml'), saasWorkspaceYaml());
  const workspace = loadWorkspace(dir);
  stores.duckdb = await DuckDBStore.open(join(dir, 'strata.duckdb'));
  stores.clickhouse = await ClickHouseStore.open({ url: single, database });
  stores.cluster = await ClickHouseStore.open({
    url: cluster.urls[0] ?? '',
    database,
    cluster: cluster.name,
    shards: cluster.urls,
  });
  for (const store of Object.values(stores)) {
    for (const table of TABLE_NAMES) {
      const file = world.files[table];
      if (file) await store.importFile({ table, file: join(dir, 'data', file) });
    }
    for (const asOf of AS_OF) await runWorkspace(store, workspace, asOf);
  }
}, 240_000);

afterAll(async () => {
  for (const store of Object.values(stores)) await store.close();
});

describe('segment engine parity: DuckDB and ClickHouse', () => {
  it('imports the same rows', async () => {
    const counts = async (store: Store) => (await store.stats()).map((t) => [t.table, t.rows, t.from, t.to]);
    const expected = await counts(stores.duckdb as Store);
    expect(expected.find(([table]) => table === 'events')?.[1]).toBeGreaterThan(50_000);
    expect(await counts(stores.clickhouse as Store)).toEqual(expected);
    expect(await counts(stores.cluster as Store)).toEqual(expected);
  });

  it('spreads the cluster data over both shards by account', async () => {
    const { cluster } = inject('clickhouse');
    const perShard = await Promise.all(
      cluster.urls.map(async (url) => {
        const shard = await fetch(`${url}/?database=${database}`, {
          method: 'POST',
          body: 'SELECT count() FROM events_local',
        });
        return Number(await shard.text());
      }),
    );
    expect(perShard.every((n) => n > 0)).toBe(true);
    const [total] = await (stores.cluster as Store).query<{ n: number }>('SELECT count() AS n FROM events');
    expect(perShard.reduce((a, b) => a + b, 0)).toBe(total?.n);
  });

  for (const engine of ['clickhouse', 'cluster'] as const) {
    it(`${engine === 'cluster' ? 'a two-shard cluster' : 'a single ClickHouse server'} gives DuckDB's results`, async () => {
      const differences = await compareStores(
        stores.duckdb as Store,
        stores[engine] as Store,
        SEGMENT_CHECKS,
      );
      expect(differences).toEqual(Object.fromEntries(SEGMENT_CHECKS.map((c) => [c.name, []])));
    });
  }
});
