/**
 * Reference for the segment benchmark: runs the hand-written bench/reference-segments.sql
 * (the template workspace's memberships as of 2026-10-31 23:59:59 UTC) on a workspace's
 * database, attached read-only, into the table `reference_memberships` (segment_id,
 * account_id) of a separate DuckDB file. Same DuckDB settings as Strata's store (UTC,
 * memory_limit 2GB unless given). Prints {seconds, rows} as JSON; seconds covers the query
 * and the write only, not opening the files.
 * Usage: node --import tsx bench/reference-segments.ts <workspace.duckdb> <out.duckdb> [memory_limit]
 * (bench/segments.sh compiles it to plain JavaScript first, so that it runs as Strata's
 * compiled CLI does: the SQL file is then found in the folder above.)
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const [workspaceDb, outDb, memoryLimit = '2GB'] = process.argv.slice(2);
if (!workspaceDb || !outDb) {
  throw new Error('usage: reference-segments.ts <workspace.duckdb> <out.duckdb> [memory_limit]');
}
const here = dirname(fileURLToPath(import.meta.url));
const sqlFile = [join(here, 'reference-segments.sql'), join(here, '..', 'reference-segments.sql')].find((f) =>
  existsSync(f),
);
if (!sqlFile) throw new Error(`reference-segments.sql not found next to ${here} or above it`);
const sql = readFileSync(sqlFile, 'utf8');
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

rmSync(outDb, { force: true });
rmSync(`${outDb}.wal`, { force: true });
// The output file is the main database; the workspace's is attached read-only and made
// the default, so the query names its tables plainly.
const instance = await DuckDBInstance.create(outDb);
const connection = await instance.connect();
await connection.run("SET TimeZone = 'UTC'");
await connection.run(`SET memory_limit = ${quote(memoryLimit)}`);
const out = String(
  (await connection.runAndReadAll('SELECT current_database() AS db')).getRowObjectsJS()[0]?.db,
);
const target = `"${out.replaceAll('"', '""')}".main.reference_memberships`;
await connection.run(`ATTACH ${quote(workspaceDb)} AS ws (READ_ONLY)`);
await connection.run('USE ws');
const started = performance.now();
await connection.run(`CREATE TABLE ${target} AS ${sql.replace(/;\s*$/, '')}`);
const seconds = (performance.now() - started) / 1000;
const reader = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${target}`);
const rows = Number(reader.getRowObjectsJS()[0]?.n ?? 0);
process.stdout.write(`${JSON.stringify({ seconds, rows })}\n`);
connection.closeSync();
instance.closeSync();
