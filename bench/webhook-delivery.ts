/**
 * Delivering a backlog of webhook events (issue #25, item 3): N events queued in a fresh
 * activation database, then one `WebhookSender.deliverDue()` round to a receiver on loopback
 * in a child process of its own (so that its work is not this process's), until every row
 * is marked delivered. Reports the wall time, POSTs, TCP connections and events the
 * receiver saw (it checks every signature), and the longest a 2xx waited to be marked.
 * Usage: node --import tsx bench/webhook-delivery.ts [MAX_EVENTS=0 (one per POST)] [N=10000]
 * Output: one JSON line, also appended to bench/out/webhook-delivery.jsonl.
 */
import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActivationDb } from '../src/activate/activation-db.js';
import { WebhookSender } from '../src/activate/webhooks.js';
import { loadWorkspace } from '../src/workspace/load-workspace.js';

const SECRET = 'bench-secret';

if (process.argv[2] === 'receiver') {
  // The receiver: verifies each POST's signature, counts POSTs, connections and events.
  const seen = { posts: 0, connections: 0, receivedEvents: 0, badSignatures: 0 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(String(request.headers['strata-signature'])) ?? [];
      if (v1 !== createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')) seen.badSignatures++;
      const parsed = JSON.parse(body) as { events?: unknown[] };
      seen.posts++;
      seen.receivedEvents += parsed.events ? parsed.events.length : 1;
      response.end();
    });
  });
  server.on('connection', () => seen.connections++);
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('message', () => process.send?.(seen, () => process.exit(0)));
} else {
  const maxEvents = Number(process.argv[2] ?? 0);
  const total = Number(process.argv[3] ?? 10_000);
  const child = fork(fileURLToPath(import.meta.url), ['receiver'], { execArgv: ['--import', 'tsx'] });
  const [{ port }] = (await once(child, 'message')) as [{ port: number }];
  const dir = mkdtempSync(join(tmpdir(), 'strata-webhook-bench-'));
  const batch = maxEvents > 0 ? `, batch: { maxEvents: ${maxEvents} }` : '';
  writeFileSync(
    join(dir, 'strata.yaml'),
    `segments:\n  all: { where: { trait: plan, exists: true } }\nwebhooks:\n  bench: { url: "http://127.0.0.1:${port}/", secretEnv: BENCH_HOOK, allowPrivate: true${batch} }\n`,
  );
  const db = await ActivationDb.open(join(dir, 'activation.duckdb'));
  // The events as a trigger queues them (MembershipEvent's JSON), 1,000 a transaction.
  const asOf = new Date().toISOString();
  for (let start = 0; start < total; start += 1000) {
    const events = Array.from({ length: Math.min(1000, total - start) }, (_, i) => {
      const id = `bench-${String(start + i).padStart(6, '0')}`;
      const body = {
        id,
        type: 'segment.entered',
        segment: 'all',
        accountId: `acct-${start + i}`,
        source: 'trigger:t',
        asOf,
      };
      return { id, webhook: 'bench', type: body.type, body: JSON.stringify(body) };
    });
    await db.enqueue(events, Date.now());
  }
  const sender = new WebhookSender(db, loadWorkspace(dir), { env: { BENCH_HOOK: SECRET } });
  const started = performance.now();
  let rounds = 0;
  while ((await db.list({ status: 'pending', limit: 1 })).length > 0) {
    await sender.deliverDue();
    rounds++;
  }
  const seconds = (performance.now() - started) / 1000;
  await sender.stop();
  const delivered = (await db.list({ status: 'delivered', limit: total + 1 })).length;
  child.send('report');
  const [seen] = (await once(child, 'message')) as [Record<string, number>];
  db.close();
  rmSync(dir, { recursive: true, force: true });
  const marks = (sender as { marks?: { longestWaitMs: number } }).marks;
  const result = {
    mode: maxEvents > 0 ? `batch of ${maxEvents}` : 'one per POST',
    events: total,
    delivered,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round(total / seconds),
    rounds,
    ...seen,
    longestMarkWaitMs: marks ? marks.longestWaitMs : null,
    loadAverage: loadavg().map((n) => Number(n.toFixed(2))),
  };
  console.log(JSON.stringify(result));
  mkdirSync('bench/out', { recursive: true });
  appendFileSync('bench/out/webhook-delivery.jsonl', `${JSON.stringify(result)}\n`);
}
