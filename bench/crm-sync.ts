/**
 * A HubSpot destination on an M workspace (issue #24): the first sync of every account, then,
 * after a run a month later, the incremental one, against a local HubSpot (the tests' fake,
 * test/helpers/fake-crm, in this process) holding a company for every account. The CLI runs
 * as a user runs it (bin/strata.js, its own process). The incremental sync's count is checked
 * against a second reckoning: the accounts whose mapped values differ between the two runs'
 * tables, by SQL of its own here.
 * Usage: node --import tsx bench/crm-sync.ts [WORKSPACE=bench/out/seg-M] [FROM=2026-09-30T23:59:59Z] [TO=2026-10-31T23:59:59Z]
 * (WORKSPACE: an M workspace such as bench/segments.sh M leaves; it is copied.)
 */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckdbDialect } from '../src/dialect/duckdb/duckdb-dialect.js';
import { startFakeHubSpot } from '../test/helpers/fake-crm/hubspot-server.js';

/** Every value and name reaches the bench's SQL through the dialect, as in the product. */
const { sql } = duckdbDialect;

const source = process.argv[2] ?? 'bench/out/seg-M';
const from = process.argv[3] ?? '2026-09-30T23:59:59Z';
const to = process.argv[4] ?? '2026-10-31T23:59:59Z';
const dir = mkdtempSync(join(tmpdir(), 'strata-crm-sync-'));
cpSync(source, dir, {
  recursive: true,
  filter: (path) => !path.includes('/.strata/ingest') && !/activation|sync\.duckdb/.test(path),
});

// A company for every account, found by its domain. The copy's runs from FROM on are dropped
// (runs go forward in time): the two runs compared are made here, a month apart.
const store = await DuckDBInstance.create(join(dir, '.strata', 'strata.duckdb'));
const reader = await store.connect();
const later = (
  await reader.runAndReadAll(
    sql`SELECT run_id FROM strata_runs WHERE as_of >= CAST(${from} AS TIMESTAMPTZ)`.text,
  )
).getRows();
for (const [runId] of later) {
  await reader.run(sql`DROP TABLE IF EXISTS ${sql.id(`strata_run_${runId}`)}`.text);
  for (const table of ['strata_runs', 'strata_changes', 'strata_ab_assignments'])
    await reader.run(sql`DELETE FROM ${sql.id(table)} WHERE run_id = ${Number(runId)}`.text);
}
const accounts = (
  await reader.runAndReadAll('SELECT account_id, domain FROM accounts ORDER BY account_id')
).getRows();
reader.closeSync();
store.closeSync();
const token = 'bench-token';
const hubspot = await startFakeHubSpot({ token });
accounts.forEach(([, domain], i) => {
  hubspot.records.companies.set(String(1000 + i), { domain: String(domain), name: `Company ${i}` });
});
appendFileSync(
  join(dir, 'strata.yaml'),
  `
# Added by bench/crm-sync.ts.
destinations:
  hubspot:
    type: hubspot
    object: companies
    credentials: { token: BENCH_HUBSPOT_TOKEN }
    apiUrl: ${hubspot.url}
    fields:
      strata_segments: segments
      strata_cs_tier: { scheme: cs_tiers }
      strata_at_risk: { segment: at_risk }
      strata_health: { metric: health }
      strata_next_action: next_action
`,
);

/** The CLI in its own process (not waited on synchronously: the fake answers from this one). */
function strata(...args: string[]): Promise<{ ms: number; out: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/strata.js', ...args, '-w', dir], {
      env: { ...process.env, BENCH_HUBSPOT_TOKEN: token, NO_COLOR: '1' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve({ ms: performance.now() - started, out })
        : reject(new Error(`strata ${args.join(' ')} exited ${code}: ${out}`)),
    );
  });
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const updates = () => hubspot.requests.filter((r) => r.path.endsWith('/batch/update')).length;

console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
);
const runA = await strata('run', '--as-of', from, '--json');
console.log(`run as of ${from}: ${seconds(runA.ms)}`);
const first = await strata('sync', 'run', 'hubspot', '--json');
const firstOutcome = JSON.parse(first.out) as { written: number; planned: number };
console.log(
  `first sync: ${firstOutcome.written} of ${firstOutcome.planned} records written in ${seconds(first.ms)}, ${updates()} batch calls, ${hubspot.requests.length} calls in all`,
);
const runB = await strata('run', '--as-of', to, '--json');
console.log(`run as of ${to}: ${seconds(runB.ms)}`);
const plan = await strata('sync', 'plan', 'hubspot', '--limit', '3');
console.log(`plan (${seconds(plan.ms)}):\n${plan.out}`);
const calls = hubspot.requests.length;
const batches = updates();
const second = await strata('sync', 'run', 'hubspot', '--json');
const outcome = JSON.parse(second.out) as { written: number; planned: number; records: number };
console.log(
  `incremental sync: ${outcome.written} of ${outcome.records} records written (${outcome.planned} changed) in ${seconds(second.ms)}, ${updates() - batches} batch calls, ${hubspot.requests.length - calls} calls in all`,
);

// The second reckoning: accounts whose mapped values differ between the two runs' tables.
const check = await DuckDBInstance.create(join(dir, '.strata', 'strata.duckdb'));
const db = await check.connect();
// The two runs made here: the latest two.
const [[a, b]] = (
  await db.runAndReadAll(
    'SELECT min(run_id), max(run_id) FROM (SELECT run_id FROM strata_runs ORDER BY run_id DESC LIMIT 2)',
  )
).getRows() as [[number, number]];
const columns = (
  await db.runAndReadAll(
    sql`SELECT column_name FROM information_schema.columns WHERE table_name = ${`strata_run_${b}`}`.text,
  )
)
  .getRows()
  .map(([name]) => String(name))
  .filter((name) => name.startsWith('segment:') || name === 'scheme:cs_tiers');
const differs = sql.join(
  [
    ...columns.map((c) => sql`x.${sql.id(c)} IS DISTINCT FROM y.${sql.id(c)}`),
    sql`round(x."metric:health", 6) IS DISTINCT FROM round(y."metric:health", 6)`,
  ],
  sql` OR `,
);
const [[changed]] = (
  await db.runAndReadAll(
    sql`SELECT count(*) FROM ${sql.id(`strata_run_${b}`)} y LEFT JOIN ${sql.id(`strata_run_${a}`)} x USING (account_id)
      WHERE x.account_id IS NULL OR ${differs}`.text,
  )
).getRows() as [[bigint]];
db.closeSync();
check.closeSync();
console.log(`accounts whose mapped values differ between runs ${a} and ${b}, by SQL here: ${changed}`);
console.log(outcome.written === Number(changed) ? 'the incremental sync wrote exactly those' : 'MISMATCH');
await hubspot.close();
rmSync(dir, { recursive: true, force: true });
