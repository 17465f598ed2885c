/**
 * Reference for the generator benchmark: DuckDB alone writing as many rows of the events
 * table's shape as the generated world has (ids, names, timestamps, a JSON text column)
 * to Parquet from `range()`, with no simulation. It is the floor for producing that
 * many Parquet rows on this machine; the generator's time is reported against it.
 * Usage: node --import tsx bench/reference-write.ts <world-dir> <out.parquet>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckdbDialect } from '../src/dialect/duckdb/duckdb-dialect.js';

const [worldDir, outFile] = process.argv.slice(2);
if (!worldDir || !outFile) throw new Error('usage: reference-write.ts <world-dir> <out.parquet>');
const manifest = JSON.parse(readFileSync(join(worldDir, 'manifest.json'), 'utf8')) as {
  rows: { events: number };
};
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const started = performance.now();
await connection.run(`COPY (
  SELECT 'ev_' || i AS event_id, 'acc_' || (i % 100003) AS account_id, 'usr_' || (i % 500009) AS user_id,
    ['session_start', 'dashboard_created', 'api_call', 'report_exported'][1 + (hash(i) % 4)::INTEGER] AS event,
    TIMESTAMP '2023-11-01' + INTERVAL (hash(i) % 94000000) SECOND AS ts,
    '{"duration_s":' || (hash(i) % 3600) || '}' AS properties
  FROM range(${duckdbDialect.literal(manifest.rows.events)}) r(i)
) TO ${duckdbDialect.literal(outFile)} (FORMAT parquet)`);
process.stdout.write(
  `${JSON.stringify({ rows: manifest.rows.events, seconds: (performance.now() - started) / 1000 })}\n`,
);
connection.closeSync();
instance.closeSync();
