/**
 * Latencies of `strata serve` on an M workspace (issue #7), the server in its own process,
 * this process the client and the webhook receiver, on loopback:
 * - profile API: GET /v1/accounts/:id of random accounts, 500 requests/s for SECONDS
 *   (open loop: a request every 2 ms whether or not the last one answered);
 * - trigger latency: 1,000 track events/s for SECONDS, each the first `ping` of an account,
 *   which enters the segment `pinged` (added to a copy of the workspace with a trigger and
 *   a webhook): from sending the event to the webhook's POST arriving here.
 * Both loads run at once, after a warm-up; the server's CPU time over them is reported per event.
 * Usage: node --import tsx bench/serve-latency.ts [WORKSPACE=bench/out/seg-M] [SECONDS=10]
 * (WORKSPACE: a workspace with a run, such as bench/segments.sh M leaves; it is copied.)
 * WATCH=at_risk (a comma-separated list) has the trigger watch those segments of the
 * workspace too, so each ping also evaluates them (a health score, for at_risk). BATCH=100
 * has the webhook take up to 100 events a POST (its documented batch format). PROFILES=0 sends
 * no profile requests during the load, so the CPU per event is the trigger path's alone.
 * GROUPS=N adds N group calls to each batch of 10 pings (a trait change of another account, by
 * a user new to it: that account's trigger state is read again). PASS_EVERY=MS sets the server's --pass-every. The server's event-loop delay (from /health)
 * is reported beside the latencies: a request waits at least that long.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKey } from '../src/server/api-keys.js';
import { openStore } from '../src/store/open-store.js';
import { loadWorkspace } from '../src/workspace/load-workspace.js';

const source = process.argv[2] ?? 'bench/out/seg-M';
const seconds = Number(process.argv[3] ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'strata-latency-'));
cpSync(source, dir, {
  recursive: true,
  filter: (path) => !path.includes('/.strata/ingest') && !path.endsWith('activation.duckdb'),
});

// The webhook receiver: when each account's entered event arrives.
const arrived = new Map<string, number>();
const receiver = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => {
    body += chunk.toString();
  });
  request.on('end', () => {
    type Event = { type: string; accountId: string; segment: string };
    // One event a POST, or with BATCH=N a batch of them (`{"events": [...]}`).
    const parsed = JSON.parse(body) as Event | { events: Event[] };
    const now = performance.now();
    for (const event of 'events' in parsed ? parsed.events : [parsed])
      if (event.segment === 'pinged' && event.type === 'segment.entered') arrived.set(event.accountId, now);
    response.end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
appendFileSync(
  join(dir, 'strata.yaml'),
  `
# Added by bench/serve-latency.ts.
triggers:
  ping: { segments: [pinged${(process.env.WATCH ?? '')
    .split(',')
    .filter(Boolean)
    .map((segment) => `, ${segment}`)
    .join('')}], events: [ping] }
webhooks:
  bench: { url: "${hook}", secretEnv: BENCH_HOOK, triggers: [ping], allowPrivate: true${
    process.env.BATCH ? `, batch: { maxEvents: ${Number(process.env.BATCH)} }` : ''
  } }
`,
);
// The metric and segment the trigger watches, merged into the workspace's own sections.
const yaml = (await import('node:fs')).readFileSync(join(dir, 'strata.yaml'), 'utf8');
(await import('node:fs')).writeFileSync(
  join(dir, 'strata.yaml'),
  yaml
    .replace(/^metrics:\n/m, 'metrics:\n  pings_1d: { count: { event: ping }, within: 1d }\n')
    .replace(/^segments:\n/m, 'segments:\n  pinged: { where: { metric: pings_1d, gte: 1 } }\n'),
);

// Accounts to ask for and to ping, read before the server takes the store.
const workspace = loadWorkspace(dir);
const store = await openStore(workspace);
const accounts = (
  await store.query<{ account_id: string }>(
    store.dialect.sql`SELECT account_id FROM accounts ORDER BY hash(account_id) LIMIT 20000`,
  )
).map((row) => row.account_id);
await store.close();
const read = createKey(dir, 'read').key;
const write = createKey(dir, 'write').key;

// The compiled CLI, as users run it (npm run build first).
const server = spawn(
  process.execPath,
  [
    // SERVER_PROF=DIR: a V8 CPU profile of the server, written there when it stops.
    ...(process.env.SERVER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SERVER_PROF}`] : []),
    'bin/strata.js',
    'serve',
    '-w',
    dir,
    '--port',
    '0',
    '--apply-every',
    '50',
    // PASS_EVERY=MS: how often apply passes may start under the load (the server's default else).
    ...(process.env.PASS_EVERY ? ['--pass-every', process.env.PASS_EVERY] : []),
    // The open loops keep sending while the server is slow: do not refuse the connections.
    '--max-connections',
    '20000',
    '--json',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_HOOK: 'bench-secret' } },
);
let printed = '';
for await (const chunk of server.stdout as AsyncIterable<Buffer>) {
  printed += chunk.toString();
  if (printed.trim().endsWith('}')) break;
}
const { url } = JSON.parse(printed) as { url: string };

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const round = (value: number) => Math.round(value * 100) / 100;

/** Calls `send` every `intervalMs` for `seconds` (open loop); resolves when every call has settled. */
async function openLoop(intervalMs: number, send: (i: number) => Promise<void>): Promise<number> {
  const calls: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; performance.now() - started < seconds * 1000; i++) {
    calls.push(send(i));
    const next = started + (i + 1) * intervalMs;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.all(calls);
  return calls.length;
}

/** User and system CPU seconds the server has used (Linux /proc): every thread, or its main (JavaScript) thread. */
const cpuOf = (stat: string) => {
  const fields = readFileSync(stat, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const serverCpu = () => cpuOf(`/proc/${server.pid}/stat`);
const mainThreadCpu = () => cpuOf(`/proc/${server.pid}/task/${server.pid}/stat`);

// 1. Profiles at 500 requests/s (after a second of warm-up).
const profileMs: number[] = [];
let profileErrors = 0;
let socketRetries = 0;
/**
 * fetch, tried again when the server closed a kept-alive socket as the request went out (a
 * race every HTTP client meets: the request never reached the server, so sending it again
 * is safe; the batch's messageIds make a replay harmless anyway). Counted in the result.
 */
async function send(target: string, init: RequestInit): Promise<Response> {
  for (let attempt = 0; ; attempt++)
    try {
      return await fetch(target, init);
    } catch (error) {
      if (attempt >= 2) throw error;
      socketRetries++;
    }
}
const profile = async (i: number, record: boolean) => {
  const begun = performance.now();
  const response = await send(
    `${url}/v1/accounts/${encodeURIComponent(accounts[i % accounts.length] as string)}`,
    { headers: { authorization: `Bearer ${read}` } },
  );
  await response.arrayBuffer();
  if (response.status !== 200) profileErrors++;
  if (record) profileMs.push(performance.now() - begun);
};
// The first request loads the run's view (seconds at M); then a warm-up.
const step = (what: string) => process.stderr.write(`serve-latency: ${what}\n`);
step('server up; loading the run view');
await profile(0, false);
for (let i = 0; i < 500; i++) await profile(i, false);
// 2. Trigger latency at 1,000 events/s: batches of 10 events every 10 ms, each the first ping of its account.
const sentAt = new Map<string, number>();
let next = 0;
let grouped = 0;
const headers = { 'content-type': 'application/json', authorization: `Bearer ${write}` };
// The server reads the triggers' state after it listens (10 s at M): one ping's webhook says
// the first apply, which waits for that read, is done, so the load measures the running server.
const warmAccount = accounts.pop() as string;
await send(`${url}/v1/batch`, {
  method: 'POST',
  headers,
  body: JSON.stringify({
    batch: [
      {
        messageId: 'bench-warm',
        type: 'track',
        userId: 'bench-warm',
        event: 'ping',
        context: { groupId: warmAccount },
      },
    ],
  }),
});
for (const until = performance.now() + 600_000; !arrived.has(warmAccount) && performance.now() < until; )
  await new Promise((resolve) => setTimeout(resolve, 50));
arrived.clear();
step(`warm; ${seconds} s of profiles at 500/s and pings at 1,000/s`);
// Where the server's apply loop spends its time: /health's last apply, trigger and sweep,
// sampled every 50 ms during the load (a pass shorter than that may be missed).
const passes = new Map<
  string,
  { apply: number; events: number; evaluate: number; record: number; inMemory: number }
>();
const sweeps = new Map<string, number>();
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    const health = (await (await send(`${url}/health`, {})).json()) as {
      lastApply: { seconds: number; events: number } | null;
      lastTrigger: { evaluateSeconds: number; recordSeconds: number; inMemory: number } | null;
      lastSweep: { asOf: string; seconds: number } | null;
    };
    if (health.lastApply && health.lastTrigger)
      passes.set(JSON.stringify([health.lastApply, health.lastTrigger]), {
        apply: health.lastApply.seconds,
        events: health.lastApply.events,
        evaluate: health.lastTrigger.evaluateSeconds,
        record: health.lastTrigger.recordSeconds,
        inMemory: health.lastTrigger.inMemory,
      });
    if (health.lastSweep) sweeps.set(health.lastSweep.asOf, health.lastSweep.seconds);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
})();
const sweepsBefore = new Set(sweeps.keys());
const [cpuBefore, mainBefore] = [serverCpu(), mainThreadCpu()];
const [profiles, batches] = await Promise.all([
  // PROFILES=0: the trigger load alone (its CPU per event without the profile API's).
  process.env.PROFILES === '0' ? Promise.resolve(0) : openLoop(2, (i) => profile(i, true)),
  openLoop(10, async () => {
    const batch = Array.from({ length: 10 }, () => {
      const account = accounts[next++ % accounts.length] as string;
      return {
        messageId: `bench-${next}`,
        type: 'track',
        userId: `bench-${account}`,
        event: 'ping',
        context: { groupId: account },
      };
    });
    // GROUPS=N: N group calls a batch beside the pings, each a trait change of an account not
    // pinged, by a user new to it (the account's state is read again from the store).
    const groups = Array.from({ length: Number(process.env.GROUPS ?? 0) }, () => {
      const account = accounts[accounts.length - 1 - (grouped++ % 5_000)] as string;
      return {
        messageId: `bench-group-${grouped}`,
        type: 'group',
        userId: `bench-member-${grouped}`,
        groupId: account,
        traits: { bench_note: `note ${grouped}` },
      };
    });
    const begun = performance.now();
    for (const event of batch)
      if (!sentAt.has(event.context.groupId)) sentAt.set(event.context.groupId, begun);
    const response = await send(`${url}/v1/batch`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ batch: [...batch, ...groups] }),
    });
    await response.arrayBuffer();
  }),
]);
const cpuSeconds = serverCpu() - cpuBefore;
const mainSeconds = mainThreadCpu() - mainBefore;
sampling = false;
await sampler;
// How late the server ran callbacks over its last 5-10 s, which lie within the load.
const { eventLoop } = (await (await send(`${url}/health`, {})).json()) as {
  eventLoop: { p99Ms: number; maxMs: number; seconds: number };
};
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
const sampled = [...passes.values()];
step('sent; waiting for the webhooks');
const deadline = performance.now() + 15_000;
while (arrived.size < sentAt.size && performance.now() < deadline)
  await new Promise((resolve) => setTimeout(resolve, 50));
const triggerMs = [...sentAt]
  .filter(([account]) => arrived.has(account))
  .map(([account, at]) => (arrived.get(account) as number) - at);

server.kill('SIGTERM');
await once(server, 'exit');
receiver.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify(
    {
      workspace: source,
      seconds,
      profile: {
        requests: profiles,
        perSecond: round(profiles / seconds),
        errors: profileErrors,
        socketRetries,
        p50Ms: round(percentile(profileMs, 50)),
        p99Ms: round(percentile(profileMs, 99)),
        maxMs: round(Math.max(...profileMs)),
      },
      trigger: {
        events: batches * 10,
        perSecond: round((batches * 10) / seconds),
        accounts: sentAt.size,
        webhooksReceived: arrived.size,
        p50Ms: round(percentile(triggerMs, 50)),
        p99Ms: round(percentile(triggerMs, 99)),
        maxMs: round(Math.max(...triggerMs)),
      },
      applyLoop: {
        passesSampled: sampled.length,
        meanEventsPerPass: round(mean(sampled.map((p) => p.events))),
        meanApplyMs: round(mean(sampled.map((p) => p.apply * 1000))),
        meanEvaluateMs: round(mean(sampled.map((p) => p.evaluate * 1000))),
        meanRecordMs: round(mean(sampled.map((p) => p.record * 1000))),
        inMemoryShare: round(
          mean(sampled.map((p) => p.inMemory)) / Math.max(1, mean(sampled.map((p) => p.events))),
        ),
        sweepsSeconds: [...sweeps].filter(([at]) => !sweepsBefore.has(at)).map(([, s]) => round(s)),
      },
      webhookBatch: Number(process.env.BATCH ?? 1),
      groupCallsPerSecond: Number(process.env.GROUPS ?? 0) * 100,
      watching: ['pinged', ...(process.env.WATCH ?? '').split(',').filter(Boolean)],
      // How late the server ran callbacks (requests wait as long) over the load's last 5-10 s.
      eventLoop,
      server: {
        cpuSeconds: round(cpuSeconds),
        // Profile requests share it: the per-event figure is an upper bound.
        cpuMsPerEvent: round((cpuSeconds * 1000) / (batches * 10)),
        // The JavaScript thread's share; the rest is DuckDB's threads, libuv's pool and V8's helpers.
        mainThreadCpuMsPerEvent: round((mainSeconds * 1000) / (batches * 10)),
        loadAverage: loadavg().map(round),
      },
    },
    null,
    2,
  ),
);
