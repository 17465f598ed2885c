/**
 * Runs bench/reference-rfm.sql on a workspace's database (read-only, UTC, memory_limit 2GB
 * as Strata's store) and prints JSON: seconds (the query only), accounts per cell and per
 * (R, FM). With a third argument, also writes account_id, recency, frequency, monetary to
 * that CSV for the pandas check (bench/rfm_pandas.py).
 * Usage: node --import tsx bench/reference-rfm.ts <workspace.duckdb> [values.csv]
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const [db, csv] = process.argv.slice(2);
if (!db) throw new Error('usage: reference-rfm.ts <workspace.duckdb> [values.csv]');
const sql = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'reference-rfm.sql'), 'utf8');
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
const connection = await instance.connect();
await connection.run("SET TimeZone = 'UTC'");
await connection.run("SET memory_limit = '2GB'");
const started = performance.now();
await connection.run(`CREATE TEMP TABLE rfm AS ${sql.replace(/;\s*$/, '')}`);
const seconds = (performance.now() - started) / 1000;
const rows = async (query: string) => (await connection.runAndReadAll(query)).getRowObjectsJS();
const cells = await rows('SELECT cell, count(*)::INT AS accounts FROM rfm GROUP BY cell ORDER BY cell');
const grid = await rows(
  'SELECT r, fm, count(*)::INT AS accounts FROM rfm GROUP BY r, fm ORDER BY r DESC, fm DESC',
);
if (csv) {
  await connection.run(
    `COPY (SELECT account_id, recency, frequency, monetary, r, f, m FROM rfm ORDER BY account_id) TO ${quote(csv)} (HEADER)`,
  );
}
console.log(JSON.stringify({ seconds, cells, grid }));
connection.closeSync();
instance.closeSync();
