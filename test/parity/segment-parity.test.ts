import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseStore } from '../../src/store/clickhouse/clickhouse-store.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import type { Store } from '../../src/store/store.js';
import { clickhouse } from '../helpers/clickhouse.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import { compareStores } from './parity-harness.js';
import { importAndRun, SEGMENT_CHECKS, segmentWorld } from './segment-checks.js';

/*
 * The template workspace on one generated world, run at two as-of times on DuckDB, on a
 * single ClickHouse server and on a two-shard ClickHouse cluster: memberships, metric
 * values (to 1e-9 relative), primary assignments, sizes and transitions must be the same.
 */
const dir = tempDir();
const database = `parity_${process.pid}`;
const stores: Record<string, Store> = {};

beforeAll(async () => {
  const { cluster, single } = clickhouse();
  // DuckDB's store comes with the world, imported and run (segment-world.ts).
  const world = await segmentWorld(dir);
  stores.duckdb = await DuckDBStore.open(join(dir, 'strata.duckdb'));
  stores.clickhouse = await ClickHouseStore.open({ url: single, database });
  stores.cluster = await ClickHouseStore.open({
    url: cluster.urls[0] ?? '',
    database,
    cluster: cluster.name,
    shards: cluster.urls,
  });
  // The two share nothing (a server, the cluster's two servers), and their imports mostly wait
  // on the servers' DDL and inserts: side by side, they take the time of the slower.
  await Promise.all([stores.clickhouse, stores.cluster].map((store) => importAndRun(store, world)));
});

/** DuckDB's rows of each check, read once for both ClickHouse comparisons. */
const reference = new Map<string, readonly object[]>();

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
    const { cluster } = clickhouse();
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
    const [total] = await (stores.cluster as Store).query<{ n: number }>(
      sql`SELECT count() AS n FROM events`,
    );
    expect(perShard.reduce((a, b) => a + b, 0)).toBe(total?.n);
  });

  for (const engine of ['clickhouse', 'cluster'] as const) {
    it(`${engine === 'cluster' ? 'a two-shard cluster' : 'a single ClickHouse server'} gives DuckDB's results`, async () => {
      const differences = await compareStores(
        stores.duckdb as Store,
        stores[engine] as Store,
        SEGMENT_CHECKS,
        reference,
      );
      expect(differences).toEqual(Object.fromEntries(SEGMENT_CHECKS.map((c) => [c.name, []])));
    });
  }
});
