import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../dialect/sql.js';

/**
 * Rows handed to the activation file's statements through temporary tables filled by DuckDB's
 * Appender, not as SQL text: a batch of thousands of accounts or outbox rows costs no literal to
 * write or parse, and a statement joins the table. The tables are emptied after each use, in
 * the same call into DuckDB as the statements that read them.
 */

const sql = duckdbDialect.sql;

/** A cell: text, a whole number (a BIGINT column), or NULL. */
export type StagedCell = string | number | null;

const TYPES = { VARCHAR: sql`VARCHAR`, BIGINT: sql`BIGINT` } as const;

/** The staging tables, each with its columns and their types. */
const COLUMNS = {
  staged_accounts: [['account_id', 'VARCHAR']],
  staged_joined: [
    ['account_id', 'VARCHAR'],
    ['segment', 'VARCHAR'],
  ],
  staged_left: [
    ['account_id', 'VARCHAR'],
    ['segment', 'VARCHAR'],
  ],
  staged_events: [
    ['id', 'VARCHAR'],
    ['webhook', 'VARCHAR'],
    ['type', 'VARCHAR'],
    ['body', 'VARCHAR'],
  ],
  staged_marks: [
    ['id', 'VARCHAR'],
    ['acked_at', 'BIGINT'],
  ],
} as const;

export type StagedTable = keyof typeof COLUMNS;

/** Rows for some of the staging tables. */
export type Staged = Partial<Record<StagedTable, readonly (readonly StagedCell[])[]>>;

/**
 * Up to this many rows, a statement takes them as literals (VALUES): staging costs two calls
 * more, which measured slower up to a few hundred rows (100 accounts' memberships: 10-12 ms as
 * literals, 24-30 ms staged; 100 delivered marks: 8-12 ms, 17-21 ms).
 */
export const INLINE_ROWS = 256;

/**
 * `rows` (in `table`'s columns) as a relation for a statement to read: VALUES of literals
 * when they are few, else `table` itself (the rows to stage in it returned beside).
 */
export function rowsOf(
  table: StagedTable,
  rows: readonly (readonly StagedCell[])[],
): { relation: Sql; staged: Staged } {
  const names = sql.join(COLUMNS[table].map(([column]) => sql.id(column)));
  if (rows.length > INLINE_ROWS)
    return { relation: sql`(SELECT ${names} FROM ${sql.id(table)})`, staged: { [table]: rows } };
  const values = sql.join(rows.map((row) => sql`(${sql.join(row.map((cell) => sql.value(cell)))})`));
  return { relation: sql`(SELECT * FROM (VALUES ${values}) v(${names}))`, staged: {} };
}

/** Creates the staging tables on `connection` (once, when the file is opened). */
export async function createStaged(connection: DuckDBConnection): Promise<void> {
  for (const [name, columns] of Object.entries(COLUMNS)) {
    const definitions = sql.join(columns.map(([column, type]) => sql`${sql.id(column)} ${TYPES[type]}`));
    await connection.run(sql`CREATE OR REPLACE TEMP TABLE ${sql.id(name)} (${definitions})`.text);
  }
}

/**
 * Appends each table's rows (cells in the table's column order) to the staging tables, which
 * are empty; returns the statement that empties them again, for the caller to run with its
 * own (one call into DuckDB, not two). The caller holds the connection meanwhile. When an
 * append fails, the tables are emptied before the error is thrown.
 */
export async function stageRows(connection: DuckDBConnection, rows: Staged): Promise<Sql> {
  const tables = (Object.keys(rows) as StagedTable[]).filter((table) => (rows[table] ?? []).length > 0);
  const emptied = sql.join(
    tables.map((table) => sql`DELETE FROM ${sql.id(table)}`),
    sql`; `,
  );
  try {
    for (const table of tables) await appendTo(connection, table, rows[table] ?? []);
  } catch (error) {
    await connection.run(emptied.text);
    throw error;
  }
  return emptied;
}

async function appendTo(
  connection: DuckDBConnection,
  table: StagedTable,
  rows: readonly (readonly StagedCell[])[],
): Promise<void> {
  const appender = await connection.createAppender(table);
  try {
    for (const row of rows) {
      for (const cell of row)
        if (cell === null) appender.appendNull();
        else if (typeof cell === 'number') appender.appendBigInt(BigInt(cell));
        else appender.appendVarchar(cell);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
