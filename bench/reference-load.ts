/**
 * Reference for the import benchmark: the same files loaded into a fresh DuckDB file
 * with a bare `CREATE TABLE AS SELECT * FROM read_parquet(...)`: no validation, no
 * keys, no coercion. It is the floor any validated import is measured against.
 * Usage: node --import tsx bench/reference-load.ts <world-dir> <db-file>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const [worldDir, dbFile] = process.argv.slice(2);
if (!worldDir || !dbFile) throw new Error('usage: reference-load.ts <world-dir> <db-file>');
const manifest = JSON.parse(readFileSync(join(worldDir, 'manifest.json'), 'utf8')) as {
  files: Record<string, string>;
};
const instance = await DuckDBInstance.create(dbFile);
const connection = await instance.connect();
const started = performance.now();
for (const [table, file] of Object.entries(manifest.files)) {
  const path = join(worldDir, file).replaceAll("'", "''");
  await connection.run(`CREATE TABLE "${table}" AS SELECT * FROM read_parquet('${path}')`);
}
process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - started) / 1000 })}\n`);
connection.closeSync();
instance.closeSync();
