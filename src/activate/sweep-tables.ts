import { statSync } from 'node:fs';
import { duckdbDialect } from '../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../dialect/sql.js';

const sql = duckdbDialect.sql;

/** A sweep's CSV as the activation file's temporary tables (`ActivationDb.sweep` compares them with the live state). */

/** Loads a sweep's CSV (see `sweep`) into `table`, and its long form into `<table>_members`. */
export async function loadSweep(
  run: (statement: Sql) => Promise<void>,
  table: string,
  file: string,
  segments: readonly string[],
): Promise<void> {
  const columns = [sql`'account_id': 'VARCHAR'`, ...segments.map((_, i) => sql`${`s${i}`}: 'INTEGER'`)];
  // An engine may write nothing at all (not even the header) for no rows.
  const empty = statSync(file).size === 0;
  await run(
    sql`CREATE OR REPLACE TEMP TABLE ${sql.id(table)} AS ${
      empty
        ? sql`SELECT NULL::VARCHAR AS account_id WHERE false`
        : sql`SELECT * FROM read_csv(${file}, header = true, auto_detect = false, quote = '"', escape = '"',
              columns = {${sql.join(columns)}})`
    }`,
  );
  // Long form: one row per (account, segment) the account is in.
  const members = segments.map(
    (segment, i) =>
      sql`SELECT account_id, ${segment} AS segment FROM ${sql.id(table)} WHERE ${empty ? sql`false` : sql`${sql.id(`s${i}`)} = 1`}`,
  );
  await run(
    sql`CREATE OR REPLACE TEMP TABLE ${sql.id(`${table}_members`)} AS ${sql.join(members, sql` UNION ALL `)}`,
  );
}
