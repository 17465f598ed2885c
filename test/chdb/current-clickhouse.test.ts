import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseStore } from '../../src/store/clickhouse/clickhouse-store.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { compareStores } from '../parity/parity-harness.js';
import { importAndRun, SEGMENT_CHECKS, segmentWorld } from '../parity/segment-checks.js';
import { ChdbConnection } from './chdb-connection.js';

/*
 * The SQL written for ClickHouse 18.16 (the servers the other tests start) must also run,
 * with the same results, on current ClickHouse: the parity checks on chdb.
 */
const dir = tempDir();
let duckdb: Store;
let current: ClickHouseStore;

beforeAll(async () => {
  // DuckDB's store comes with the world, imported and run (parity/segment-world.ts).
  const world = await segmentWorld(dir);
  duckdb = await DuckDBStore.open(join(dir, 'strata.duckdb'));
  current = await ClickHouseStore.over(
    { url: 'chdb:', database: 'parity' },
    new ChdbConnection(join(dir, 'chdb'), 'parity'),
  );
  await importAndRun(current, world);
});
afterAll(async () => {
  await duckdb?.close();
  await current?.close();
});

describe('current ClickHouse (chdb)', () => {
  it('is a current server, not the 18.16 the other tests use', () => {
    expect(Number(current.version.split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it("gives DuckDB's results for the segment engine", async () => {
    const differences = await compareStores(duckdb, current, SEGMENT_CHECKS);
    expect(differences).toEqual(Object.fromEntries(SEGMENT_CHECKS.map((c) => [c.name, []])));
  });
});
