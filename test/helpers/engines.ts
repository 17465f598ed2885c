import { join } from 'node:path';
import type { SqlValue } from '../../src/dialect/dialect.js';
import { ClickHouseStore } from '../../src/store/clickhouse/clickhouse-store.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import type { Store } from '../../src/store/store.js';
import { ChdbConnection } from '../chdb/chdb-connection.js';
import { clickhouse } from './clickhouse.js';
import { testSql } from './sql.js';

/**
 * The three engines the dialect invariants and the hand-worked fixtures run on: embedded
 * DuckDB, the ClickHouse 18.16 server of the integration project's global setup (one
 * database per test file), and current ClickHouse in-process (chdb). The two ClickHouse
 * engines share one dialect, so SQL that only one of them reads fails there.
 */
export const ENGINES = ['duckdb', 'clickhouse', 'chdb'] as const;
export type Engine = (typeof ENGINES)[number];

/** Opens `engine`'s store in `dir` (DuckDB file, chdb folder) or in `database` on the shared server. */
export async function openEngine(engine: Engine, dir: string, database: string): Promise<Store> {
  switch (engine) {
    case 'duckdb':
      return DuckDBStore.open(join(dir, 'strata.duckdb'));
    case 'clickhouse':
      return ClickHouseStore.open({ url: clickhouse().single, database });
    case 'chdb':
      return ClickHouseStore.over(
        { url: 'chdb:', database },
        new ChdbConnection(join(dir, 'chdb'), database),
      );
  }
}

/**
 * Inserts `rows` (values in `columns` order) into `table` of the store's own schema, every
 * value through the dialect's literal(): the same statement on every engine.
 */
export async function insertRows(
  store: Store,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly SqlValue[])[],
): Promise<void> {
  const { literal, quoteIdentifier: q } = store.dialect;
  const values = rows.map((row) => `(${row.map(literal).join(', ')})`).join(', ');
  await store.execute(testSql(`INSERT INTO ${q(table)} (${columns.map(q).join(', ')}) VALUES ${values}`));
}
