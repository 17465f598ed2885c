/**
 * Postgres source benchmark: the events of a generated world (default M, seed 42) loaded
 * into a PostgreSQL server of its own (Debian's postgresql, test/helpers/postgres-server.ts),
 * then `strata import` of a postgres source of that table (a child process under GNU time,
 * into a fresh workspace) against, in the same run, the same rows by hand: `COPY events TO
 * STDOUT` (CSV) into a file, then DuckDB `INSERT INTO events SELECT * FROM read_csv(...)` into
 * a fresh DuckDB file (no validation, no keys: the floor). The load average is read before
 * and after each step (the machine may be shared).
 * Results: bench/out/postgres-import.tsv and a summary on stdout.
 * Usage: node --import tsx bench/postgres-import.ts [M]   (after npm run build)
 */
import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { startPostgres } from '../test/helpers/postgres-server.js';

const scale = process.argv[2] ?? 'M';
const out = resolve('bench/out');
const world = join(out, `pg-${scale}`, 'data');
const tsv = join(out, 'postgres-import.tsv');
mkdirSync(out, { recursive: true });
if (!existsSync(join(world, 'manifest.json')))
  execFileSync(
    'node',
    ['bin/strata.js', 'generate', '--scale', scale, '--seed', '42', '--out', world, '--json'],
    {
      stdio: 'ignore',
    },
  );
const load = () => loadavg()[0]?.toFixed(1) ?? '?';
const lines: string[] = ['step\trows\tseconds\trows_per_s\tload_before\tload_after'];
const record = (step: string, rows: number, seconds: number, before: string) => {
  lines.push(`${step}\t${rows}\t${seconds.toFixed(2)}\t${Math.round(rows / seconds)}\t${before}\t${load()}`);
  process.stdout.write(`${lines.at(-1)}\n`);
};

const server = await startPostgres();
try {
  const duck = await DuckDBInstance.create(':memory:');
  const connection = await duck.connect();
  const eventsCsv = join(out, 'pg-events-in.csv');
  const manifest = JSON.parse(readFileSync(join(world, 'manifest.json'), 'utf8')) as {
    files: Record<string, string>;
  };
  const parquet = join(world, manifest.files.events ?? 'events/*.parquet').replaceAll("'", "''");
  await connection.run(
    `COPY (SELECT event_id, account_id, user_id, event, ts, properties FROM read_parquet('${parquet}')) TO '${eventsCsv}' (HEADER, DELIMITER ',')`,
  );
  connection.closeSync();
  await server.run(`CREATE TABLE events (event_id text PRIMARY KEY, account_id text NOT NULL, user_id text,
    event text NOT NULL, ts timestamp NOT NULL, properties jsonb)`);
  let before = load();
  let started = performance.now();
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  const copyIn = client.query(copyFrom('COPY events FROM STDIN WITH (FORMAT csv, HEADER true)'));
  await pipeline(createReadStream(eventsCsv), copyIn);
  const rows = Number((await client.query('SELECT count(*) AS n FROM events')).rows[0].n);
  await client.query('VACUUM ANALYZE events');
  record('load into postgres (COPY FROM, setup)', rows, (performance.now() - started) / 1000, before);
  rmSync(eventsCsv);

  // strata import of the postgres source, in a fresh workspace.
  const ws = join(out, `pg-ws-${scale}`);
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  writeFileSync(
    join(ws, 'strata.yaml'),
    'store: { engine: duckdb, path: .strata/strata.duckdb }\nsources:\n  events:\n    postgres: { url: env:BENCH_POSTGRES_URL, table: events }\nsegments: {}\n',
  );
  before = load();
  const timeFile = join(out, 'pg-time.txt');
  const stdout = execFileSync(
    '/usr/bin/time',
    ['-f', '%e %M', '-o', timeFile, 'node', 'bin/strata.js', 'import', '-w', ws, '--json'],
    { encoding: 'utf8', env: { ...process.env, BENCH_POSTGRES_URL: server.url }, maxBuffer: 64 << 20 },
  );
  const [seconds = '0', kib = '0'] = execFileSync('cat', [timeFile], { encoding: 'utf8' }).trim().split(' ');
  const imported = (JSON.parse(stdout) as { imports: { inserted: number }[] }).imports[0]?.inserted ?? 0;
  if (imported !== rows) throw new Error(`strata import wrote ${imported} rows of ${rows}`);
  record(
    `strata import (postgres source; peak RSS ${Math.round(Number(kib) / 1024)} MiB)`,
    rows,
    Number(seconds),
    before,
  );

  // By hand: COPY TO STDOUT into a CSV file, then DuckDB INSERT ... SELECT FROM read_csv.
  before = load();
  started = performance.now();
  const csv = join(out, 'pg-events-out.csv');
  await pipeline(
    client.query(copyTo('COPY events TO STDOUT WITH (FORMAT csv, HEADER true)')),
    createWriteStream(csv),
  );
  const copied = (performance.now() - started) / 1000;
  const dbFile = join(out, 'pg-reference.duckdb');
  rmSync(dbFile, { force: true });
  const reference = await DuckDBInstance.create(dbFile);
  const db = await reference.connect();
  await db.run(`CREATE TABLE events (event_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, user_id VARCHAR,
    event VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, properties JSON)`);
  await db.run(
    `INSERT INTO events SELECT * FROM read_csv('${csv}', header = true, columns = {'event_id': 'VARCHAR', 'account_id': 'VARCHAR', 'user_id': 'VARCHAR', 'event': 'VARCHAR', 'ts': 'TIMESTAMP', 'properties': 'JSON'})`,
  );
  const total = (performance.now() - started) / 1000;
  const referenceRows = Number(
    (await db.runAndReadAll('SELECT count(*) AS n FROM events')).getRows()[0]?.[0],
  );
  db.closeSync();
  reference.closeSync();
  if (referenceRows !== rows) throw new Error(`reference wrote ${referenceRows} rows of ${rows}`);
  process.stdout.write(
    `(COPY TO STDOUT alone: ${copied.toFixed(2)} s, ${(statSync(csv).size / 2 ** 20).toFixed(0)} MiB of CSV)\n`,
  );
  record('by hand: COPY TO STDOUT into CSV, DuckDB INSERT SELECT read_csv', rows, total, before);
  rmSync(csv);
  rmSync(dbFile, { force: true });
  await client.end();
} finally {
  await server.stop();
  writeFileSync(tsv, `${lines.join('\n')}\n`);
}
