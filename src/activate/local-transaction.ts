import { duckdbDialect } from '../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../dialect/sql.js';

const sql = duckdbDialect.sql;

/**
 * `work` between BEGIN and COMMIT on one of the workspace's own DuckDB files (activation.duckdb,
 * sync.duckdb), rolled back when it throws: `run` is the file's one statement runner.
 */
export async function inTransaction(
  run: (statement: Sql) => Promise<void>,
  work: () => Promise<void>,
): Promise<void> {
  await run(sql`BEGIN TRANSACTION`);
  try {
    await work();
    await run(sql`COMMIT`);
  } catch (error) {
    await run(sql`ROLLBACK`);
    throw error;
  }
}
