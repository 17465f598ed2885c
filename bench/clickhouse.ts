/**
 * ClickHouse benchmark: the template workspace on one world (default M) on a single
 * ClickHouse server and on a two-shard cluster (both on loopback, Debian's
 * clickhouse-server), against the same run on DuckDB. Per target: `strata import` once,
 * then `strata run` REPEAT times (default 3), each timed as a child process; peak memory is
 * the strata process's (GNU time) plus, for ClickHouse, each server's peak RSS during
 * the step (VmHWM, reset before the step through /proc/PID/clear_refs). Segment sizes of
 * every run are checked against DuckDB's.
 * Results: bench/out/clickhouse.tsv and a summary on stdout.
 * Usage: node --import tsx bench/clickhouse.ts [M]   (after bench/segments.sh M made bench/out/seg-M)
 */
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { saasWorkspaceYaml } from '../src/workspace/template.js';
import { startClickHouse } from '../test/helpers/clickhouse-servers.js';

const scale = process.argv[2] ?? 'M';
const repeat = Number(process.env.REPEAT ?? 3);
const out = resolve('bench/out');
const duckdbDir = join(out, `seg-${scale}`);
const data = join(duckdbDir, 'data');
const tsv = join(out, 'clickhouse.tsv');
const asOf = '2026-10-31T23:59:59Z';
if (!existsSync(join(duckdbDir, '.strata', 'strata.duckdb'))) {
  throw new Error(`run bench/segments.sh ${scale} first: it builds ${duckdbDir}`);
}
const manifest = JSON.parse(readFileSync(join(data, 'manifest.json'), 'utf8')) as {
  files: Record<string, string>;
};
writeFileSync(tsv, 'target\tstep\trun\tseconds\tstrata_rss_mib\tserver_peak_mib\n');

/** Peak RSS of the servers since the last reset, in MiB (summed over the servers). */
const serverPeak = (pids: readonly number[]) =>
  pids.reduce((sum, pid) => {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return sum + Number(match?.[1] ?? 0) / 1024;
  }, 0);
const resetPeak = (pids: readonly number[]) => {
  for (const pid of pids) writeFileSync(`/proc/${pid}/clear_refs`, '5');
};

/** Runs a strata command under GNU time; returns seconds, strata's peak RSS and stdout. */
function strata(args: string[]): { seconds: number; rss: number; stdout: string } {
  const timeFile = join(out, 'ch-time.txt');
  const stdout = execFileSync(
    '/usr/bin/time',
    ['-f', '%e %M', '-o', timeFile, 'node', 'bin/strata.js', ...args],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const [seconds, kib] = readFileSync(timeFile, 'utf8').trim().split(' ').map(Number);
  return { seconds: seconds ?? 0, rss: (kib ?? 0) / 1024, stdout };
}

function record(
  target: string,
  step: string,
  run: number | string,
  seconds: number,
  rss: number,
  server: number,
) {
  const line = `${target}\t${step}\t${run}\t${seconds.toFixed(2)}\t${Math.round(rss)}\t${Math.round(server)}`;
  appendFileSync(tsv, `${line}\n`);
  console.log(line);
}

const sizesOf = (stdout: string) =>
  Object.fromEntries(
    (JSON.parse(stdout) as { segments: { segment: string; after: number }[] }).segments.map((s) => [
      s.segment,
      s.after,
    ]),
  );
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const summary: Record<string, { run: number; rss: number; server: number; import?: number }> = {};

// DuckDB: the same command on the database bench/segments.sh imported.
let reference: Record<string, number> = {};
const duckRuns: { seconds: number; rss: number }[] = [];
for (let run = 1; run <= repeat; run++) {
  const r = strata(['run', '-w', duckdbDir, '--as-of', asOf, '--json']);
  reference = sizesOf(r.stdout);
  duckRuns.push(r);
  record('duckdb', 'run', run, r.seconds, r.rss, 0);
}
summary.duckdb = {
  run: median(duckRuns.map((r) => r.seconds)),
  rss: median(duckRuns.map((r) => r.rss)),
  server: 0,
};

for (const target of ['single', 'two-shards'] as const) {
  const servers = await startClickHouse(
    target === 'single' ? { servers: 1 } : { servers: 2, cluster: 'bench' },
  );
  try {
    const dir = join(out, `ch-${target}-${scale}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    symlinkSync(data, join(dir, 'data'));
    const sources = Object.fromEntries(Object.entries(manifest.files).map(([t, f]) => [t, join('data', f)]));
    const store =
      target === 'single'
        ? `store: { engine: clickhouse, url: "${servers.urls[0]}", database: bench }`
        : `store: { engine: clickhouse, url: "${servers.urls[0]}", database: bench, cluster: bench, shards: [${servers.urls.map((u) => `"${u}"`).join(', ')}] }`;
    writeFileSync(join(dir, 'strata.yaml'), saasWorkspaceYaml(sources).replace(/^store:.*$/m, store));
    resetPeak(servers.pids);
    const imported = strata(['import', '-w', dir, '--json']);
    record(target, 'import', 1, imported.seconds, imported.rss, serverPeak(servers.pids));
    const runs: { seconds: number; rss: number; server: number }[] = [];
    for (let run = 1; run <= repeat; run++) {
      resetPeak(servers.pids);
      const r = strata(['run', '-w', dir, '--as-of', asOf, '--json']);
      const server = serverPeak(servers.pids);
      runs.push({ ...r, server });
      record(target, 'run', run, r.seconds, r.rss, server);
      const sizes = sizesOf(r.stdout);
      const differing = Object.keys(reference).filter((s) => sizes[s] !== reference[s]);
      if (differing.length > 0)
        throw new Error(`${target}: sizes differ from DuckDB in ${differing.join(', ')}`);
    }
    summary[target] = {
      import: imported.seconds,
      run: median(runs.map((r) => r.seconds)),
      rss: median(runs.map((r) => r.rss)),
      server: median(runs.map((r) => r.server)),
    };
  } finally {
    await servers.stop();
  }
}

console.log(`\n${scale} world, medians of ${repeat} runs; segment sizes identical to DuckDB on every run`);
for (const [target, s] of Object.entries(summary)) {
  console.log(
    `${target.padEnd(11)} run ${s.run.toFixed(2)} s (${(s.run / (summary.duckdb?.run ?? 1)).toFixed(2)}x DuckDB), strata ${Math.round(s.rss)} MiB, servers ${Math.round(s.server)} MiB${s.import ? `, import ${s.import.toFixed(1)} s` : ''}`,
  );
}
