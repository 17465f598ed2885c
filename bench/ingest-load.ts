/**
 * Ingestion throughput of `strata serve` (issue #7): the server in its own process on
 * loopback, this process the client, sending /v1/batch requests of BATCH track calls from
 * CONNECTIONS concurrent connections for SECONDS. Every acknowledged request is on disk
 * (the write-ahead log fsynced); reports acknowledged events per second, request latency
 * percentiles, and how long the store took to apply everything once the load stopped.
 * Also the server's CPU per event (from /proc, Linux) and the load average when it ends (the
 * machine may be shared).
 * Usage: node --import tsx bench/ingest-load.ts [SECONDS=10] [CONNECTIONS=16] [BATCH=500]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKey } from '../src/server/api-keys.js';

const argument = (index: number, fallback: number) => Number(process.argv[2 + index] ?? fallback);
const [seconds, connections, batchSize] = [argument(0, 10), argument(1, 16), argument(2, 500)];
const dir = mkdtempSync(join(tmpdir(), 'strata-ingest-bench-'));
const cli = (args: string[]) =>
  spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
await once(cli(['init', '-w', dir, '--json']), 'exit');
const { key } = createKey(dir, 'write', 'bench');
const server = cli(['serve', '-w', dir, '--port', '0', '--json']);
let printed = '';
for await (const chunk of server.stdout as AsyncIterable<Buffer>) {
  printed += chunk.toString();
  if (printed.trim().endsWith('}')) break;
}
const { url } = JSON.parse(printed) as { url: string };
const headers = {
  'content-type': 'application/json',
  authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
};
const post = (body: string) => fetch(`${url}/v1/batch`, { method: 'POST', headers, body });
// An account for the events.
await fetch(`${url}/v1/group`, {
  method: 'POST',
  headers,
  body: JSON.stringify({ userId: 'u', groupId: 'acme' }),
});

/**
 * The server's CPU seconds so far (user + system, all its threads, DuckDB's too): from the
 * load's start to everything applied, the figure that depends least on what else the shared
 * machine is doing.
 */
const serverCpu = () => {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const cpuBefore = serverCpu();
let acknowledged = 0;
let failed = 0;
const latencies: number[] = [];
const deadline = performance.now() + seconds * 1000;
let sequence = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: connections }, async (_, worker) => {
    while (performance.now() < deadline) {
      const batch = Array.from({ length: batchSize }, (_, i) => ({
        type: 'track',
        messageId: `b-${worker}-${sequence}-${i}`,
        userId: `u-${worker}`,
        event: i % 3 === 0 ? 'session_start' : 'report_viewed',
        context: { groupId: 'acme' },
        properties: { page: i % 17, plan: 'growth' },
        timestamp: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
      }));
      sequence++;
      const begun = performance.now();
      const response = await post(JSON.stringify({ batch }));
      await response.arrayBuffer();
      latencies.push(performance.now() - begun);
      if (response.status === 200) acknowledged += batchSize;
      else failed++;
    }
  }),
);
const elapsed = (performance.now() - started) / 1000;
const applyStarted = performance.now();
for (;;) {
  const health = (await (await fetch(`${url}/health`)).json()) as {
    log: { segment: number; offset: number };
    applied: { segment: number; offset: number };
  };
  if (health.applied.segment === health.log.segment && health.applied.offset === health.log.offset) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const drain = (performance.now() - applyStarted) / 1000;
const serverCpuSeconds = serverCpu() - cpuBefore;
server.kill('SIGTERM');
await once(server, 'exit');
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
console.log(
  JSON.stringify(
    {
      seconds: elapsed,
      connections,
      batchSize,
      acknowledgedEvents: acknowledged,
      failedRequests: failed,
      eventsPerSecond: acknowledged / elapsed,
      requestMs: { p50: pct(50), p99: pct(99), max: latencies[latencies.length - 1] },
      drainSeconds: drain,
      serverCpuSeconds,
      serverCpuMsPerEvent: (serverCpuSeconds * 1000) / Math.max(1, acknowledged),
      loadAverage: loadavg().map((n) => Number(n.toFixed(2))),
    },
    null,
    2,
  ),
);
rmSync(dir, { recursive: true, force: true });
