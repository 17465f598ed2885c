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

/** The staging tables, each with its columns (TEMP: this connection's only, never in the file). */
export const STAGED = {
  staged_accounts: sql`account_id VARCHAR`,
  staged_joined: sql`account_id VARCHAR, segment VARCHAR`,
  staged_left: sql`account_id VARCHAR, segment VARCHAR`,
  staged_events: sql`id VARCHAR, webhook VARCHAR, type VARCHAR, body VARCHAR`,
  staged_marks: sql`id VARCHAR, acked_at BIGINT`,
} as const;

export type StagedTable = keyof typeof STAGED;

/** Creates the staging tables on `connection` (once, when the file is opened). */
export async function createStaged(connection: DuckDBConnection): Promise<void> {
  for (const [name, columns] of Object.entries(STAGED))
    await connection.run(sql`CREATE OR REPLACE TEMP TABLE ${sql.id(name)} (${columns})`.text);
}

/**
 * Appends each table's rows (cells in the table's column order) to the staging tables, which
 * are empty; returns the statement that empties them again, for the caller to run with its
 * own (one call into DuckDB, not two). The caller holds the connection meanwhile. When an
 * append fails, the tables are emptied before the error is thrown.
 */
export async function stageRows(
  connection: DuckDBConnection,
  rows: Partial<Record<StagedTable, readonly (readonly StagedCell[])[]>>,
): Promise<Sql> {
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
