import type { Dialect } from '../../src/dialect/dialect.js';
import type { ColumnType } from '../../src/model/tables.js';
import type { Store } from '../../src/store/store.js';
import { testSql } from '../helpers/sql.js';

/**
 * A UTC instant written as 'YYYY-MM-DD HH:MM:SS[.ffffff]' as an expression of the dialect's
 * timestamp type (columnType('timestamp')): DuckDB's TIMESTAMP, ClickHouse's Int64 of
 * microseconds. Written by hand here, not with literal(), because a Date holds milliseconds
 * and the invariants need the sixth digit.
 */
export function instant(d: Dialect, text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (!match) throw new Error(`not an instant: ${text}`);
  if (d.name === 'duckdb') return `TIMESTAMP '${text}'`;
  const seconds = BigInt(Date.parse(`${match[1]}T${match[2]}Z`) / 1000);
  const micros = seconds * 1_000_000n + BigInt((match[3] ?? '').padEnd(6, '0'));
  return `toInt64(${micros})`;
}

/** A column of a fixture table: its name and logical type; every column but account_id may be NULL. */
export type FixtureColumn = readonly [name: string, type: ColumnType];

/**
 * Creates table `name` with the dialect's column types and inserts `rows` (SQL expressions,
 * in column order). ClickHouse keeps it in memory: the fixtures are a handful of rows.
 */
export async function createFixture(
  store: Store,
  name: string,
  columns: readonly FixtureColumn[],
  rows: readonly (readonly string[])[],
): Promise<void> {
  const d = store.dialect;
  const q = d.quoteIdentifier;
  const onClickHouse = d.name === 'clickhouse';
  const definitions = columns.map(([column, type]) => {
    const sqlType = d.columnType(type);
    return `${q(column)} ${onClickHouse && column !== 'account_id' ? `Nullable(${sqlType})` : sqlType}`;
  });
  await store.execute(
    testSql(`CREATE TABLE ${q(name)} (${definitions.join(', ')})${onClickHouse ? ' ENGINE = Memory' : ''}`),
  );
  const values = rows.map((row) => `(${row.join(', ')})`).join(', ');
  await store.execute(
    testSql(`INSERT INTO ${q(name)} (${columns.map(([c]) => q(c)).join(', ')}) VALUES ${values}`),
  );
}
