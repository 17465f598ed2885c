import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ActivationDb } from '../../src/activate/activation-db.js';
import { backoff, verifySignature, WebhookSender } from '../../src/activate/webhooks.js';
import { runTableName } from '../../src/engine/run-snapshot.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { createKey } from '../../src/server/api-keys.js';
import { startServer } from '../../src/server/serve.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess } from '../helpers/serve-process.js';
import { testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

interface Received {
  readonly id: string;
  readonly attempt: number;
  readonly signed: boolean;
  readonly body: { type: string; segment: string; accountId: string; source: string };
  readonly at: number;
}

/** A real HTTP receiver that answers `status(id, attempt)` (null: never); it records every try. */
async function receiver(secret: string, status: (id: string, attempt: number) => number | null) {
  const received: Received[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const id = String(request.headers['idempotency-key']);
      const attempt = Number(request.headers['strata-attempt']);
      // The signature recomputed here by hand: HMAC-SHA256 of "<t>.<body>".
      const header = String(request.headers['strata-signature']);
      const t = /t=(\d+)/.exec(header)?.[1] ?? '';
      const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
      received.push({
        id,
        attempt,
        signed: header.endsWith(`v1=${expected}`),
        body: JSON.parse(body),
        at: Date.now(),
      });
      const code = status(id, attempt);
      if (code === null) return;
      response.statusCode = code;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('real-time triggers and webhooks', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('sends entered / exited once per change, signed, retried with backoff, dead-lettered and replayed', async () => {
    const dir = tempDir('strata-hooks-');
    // Receiver "good" fails every delivery's first two tries; "broken" fails until fixed.
    const good = await receiver('secret-good', (_id, attempt) => (attempt <= 2 ? 503 : 200));
    let fixed = false;
    const broken = await receiver('secret-broken', () => (fixed ? 200 : 500));
    closers.push(good.close, broken.close);
    writeFileSync(
      join(dir, 'strata.yaml'),
      `store: { engine: duckdb, path: .strata/strata.duckdb }
metrics:
  sessions_7d: { count: { event: session_start }, within: 7d }
segments:
  active: { where: { metric: sessions_7d, gte: 3 } }
  enterprise: { where: { trait: plan, eq: enterprise } }
triggers:
  usage: { segments: [active], events: [session_start] }
  plans: { segments: [enterprise], traits: [plan] }
webhooks:
  good: { url: "${good.url}", secretEnv: HOOK_GOOD, triggers: [usage, plans], maxAttempts: 5, allowPrivate: true }
  broken: { url: "${broken.url}", secretEnv: HOOK_BROKEN, triggers: [plans], maxAttempts: 3, allowPrivate: true }
`,
    );
    const key = createKey(dir, 'admin').key;
    const workspace = loadWorkspace(dir);
    const store = await openStore(workspace);
    closers.push(() => store.close());
    const server = await startServer({
      workspace,
      store,
      port: 0,
      applyEveryMs: 3_600_000,
      retryBaseMs: 40,
      retryCapMs: 200,
      env: { HOOK_GOOD: 'secret-good', HOOK_BROKEN: 'secret-broken' },
    });
    const send = async (path: string, body: unknown) => {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      return response.json();
    };
    const now = Date.now();
    const at = (hoursAgo: number) => new Date(now - hoursAgo * 3_600_000).toISOString();
    await send('/v1/batch', {
      batch: [
        {
          type: 'group',
          userId: 'u1',
          groupId: 'acme',
          traits: { name: 'Acme', plan: 'growth' },
          timestamp: at(48),
        },
        {
          type: 'group',
          userId: 'u2',
          groupId: 'beta',
          traits: { name: 'Beta', plan: 'enterprise' },
          timestamp: at(48),
        },
        ...[3, 2, 1].map((h) => ({ type: 'track', userId: 'u1', event: 'session_start', timestamp: at(h) })),
        { type: 'track', userId: 'u2', event: 'session_start', timestamp: at(1) },
      ],
    });
    await server.applyNow();
    // acme upgrades, beta downgrades.
    await send('/v1/group', { userId: 'u1', groupId: 'acme', traits: { plan: 'enterprise' } });
    await send('/v1/group', { userId: 'u2', groupId: 'beta', traits: { plan: 'growth' } });
    await server.applyNow();

    const expected = [
      'segment.entered active acme trigger:usage',
      'segment.entered enterprise beta trigger:plans',
      'segment.entered enterprise acme trigger:plans',
      'segment.exited enterprise beta trigger:plans',
    ].sort();
    const delivered = () => good.received.filter((r) => r.attempt === 3);
    await waitFor(() => delivered().length === 4, 'four deliveries to the good receiver');
    const describe = (r: Received) => `${r.body.type} ${r.body.segment} ${r.body.accountId} ${r.body.source}`;
    expect(delivered().map(describe).sort()).toEqual(expected);
    // Each delivery: three tries, one idempotency key, every try signed, later tries further apart.
    for (const { id } of delivered()) {
      const tries = good.received.filter((r) => r.id === id);
      expect(tries.map((r) => r.attempt)).toEqual([1, 2, 3]);
      expect(tries.every((r) => r.signed)).toBe(true);
      const [first, second, third] = tries.map((r) => r.at) as [number, number, number];
      expect(second - first).toBeGreaterThanOrEqual(15); // backoff(1) >= 40 / 2, less timer slack
      expect(third - second).toBeGreaterThanOrEqual(35); // backoff(2) >= 80 / 2
    }

    // "broken" gets the three plan changes, three tries each, then dead letters.
    await waitFor(() => broken.received.length === 9, 'nine failed tries');
    const deadList = (await (
      await fetch(`${server.url}/v1/admin/webhooks/deliveries?status=dead&webhook=broken`, {
        headers: { authorization: `Bearer ${key}` },
      })
    ).json()) as { deliveries: { id: string; attempts: number; lastError: string }[] };
    expect(deadList.deliveries).toHaveLength(3);
    expect(deadList.deliveries.every((d) => d.attempts === 3 && d.lastError === 'HTTP 500')).toBe(true);
    fixed = true;
    // `since` takes what the CLI's --since takes: a date alone too (none of them is that late).
    expect(await send('/v1/admin/webhooks/replay', { webhook: 'broken', since: '2100-01-01' })).toEqual({
      replayed: 0,
    });
    expect(await send('/v1/admin/webhooks/replay', { webhook: 'broken' })).toEqual({ replayed: 3 });
    await waitFor(
      () => broken.received.filter((r) => r.attempt === 1).length === 6,
      'the replayed deliveries',
    );
    expect(broken.received.slice(9).map(describe).sort()).toEqual(
      expected.filter((e) => e.includes('plans')),
    );

    // While the server runs, the CLI points at the admin API.
    const busy = runCli(['webhooks', 'replay', '-w', dir, '--json']);
    expect(busy.code).not.toBe(0);
    expect(busy.stderr + busy.stdout).toMatch(/admin API/);
    await server.stop();
    const listed = runCli(['webhooks', 'deliveries', '-w', dir, '--json']).json<
      { webhook: string; status: string }[]
    >();
    expect(listed.map((d) => `${d.webhook} ${d.status}`).sort()).toEqual([
      ...Array(3).fill('broken delivered'),
      ...Array(4).fill('good delivered'),
    ]);
    expect(
      runCli(['webhooks', 'replay', '--webhook', 'good', '--delivered', '-w', dir, '--json']).json(),
    ).toEqual({
      replayed: 4,
    });
    // The live memberships the triggers keep equal a full run's at the same data.
    const run = await runWorkspace(store, workspace, new Date());
    const members = await store.query<{ account_id: string; active: boolean; enterprise: boolean }>(
      testSql(
        `SELECT account_id, "segment:active" AS active, "segment:enterprise" AS enterprise FROM ${runTableName(run.runId)} ORDER BY account_id`,
      ),
    );
    expect(members.map((m) => m.account_id)).toEqual(['acme', 'beta']);
    const db = await ActivationDb.open(join(dir, '.strata', 'activation.duckdb'));
    const live = await db.memberships(['acme', 'beta']);
    db.close();
    for (const row of members) {
      const mine = live.get(row.account_id) ?? new Set();
      expect([mine.has('active'), mine.has('enterprise')]).toEqual([
        Boolean(row.active),
        Boolean(row.enterprise),
      ]);
    }
  });

  it('after kill -9, sends again only what no receiver acknowledged a second before the kill', async () => {
    const dir = tempDir('strata-hooks-kill-');
    // The first batch (e1-e3) is answered at once; the second (e4-e6) not before the kill.
    // Their ids as documented: b_ and 32 hex digits of SHA-256 over "<id>\n" per event.
    const key = (ids: string) => `b_${createHash('sha256').update(ids).digest('hex').slice(0, 32)}`;
    const [first, second] = [key('e1\ne2\ne3\n'), key('e4\ne5\ne6\n')];
    let killed = false;
    const hook = await receiver('secret-kill', (id) => (id === first || killed ? 200 : null));
    closers.push(hook.close);
    writeFileSync(
      join(dir, 'strata.yaml'),
      `store: { engine: duckdb, path: .strata/strata.duckdb }
segments:
  all: { where: { trait: plan, exists: true } }
webhooks:
  hook: { url: "${hook.url}", secretEnv: HOOK_KILL, allowPrivate: true, batch: { maxEvents: 3 } }
`,
    );
    const path = join(dir, '.strata', 'activation.duckdb');
    mkdirSync(join(dir, '.strata'), { recursive: true });
    const queued = await ActivationDb.open(path);
    const ids = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'];
    await queued.enqueue(
      ids.map((id) => ({
        id,
        webhook: 'hook',
        type: 'segment.entered',
        body: JSON.stringify({ id, type: 'segment.entered', segment: 'all', accountId: id }),
      })),
      Date.now(),
    );
    queued.close();
    const { child } = await serveProcess(dir, { env: { HOOK_KILL: 'secret-kill' } });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(() => hook.received.length === 2, 'both batches to arrive');
    const acknowledgedAt = Date.now();
    // The promise: a receiver's 2xx is written within a second.
    await waitFor(() => Date.now() - acknowledgedAt > 1000, 'a second to pass', 2000);
    child.kill('SIGKILL');
    await exited;
    killed = true;
    const db = await ActivationDb.open(path);
    const sender = new WebhookSender(db, loadWorkspace(dir), { env: { HOOK_KILL: 'secret-kill' } });
    await sender.deliverDue();
    await sender.stop();
    expect((await db.list({})).map((row) => `${row.id} ${row.status}`).sort()).toEqual(
      ids.map((id) => `${id} delivered`),
    );
    db.close();
    // Three POSTs in all: the two before the kill, then only the unanswered one again.
    expect(
      hook.received
        .slice(0, 2)
        .map((r) => r.id)
        .sort(),
    ).toEqual([first, second].sort());
    expect(hook.received.slice(2).map((r) => r.id)).toEqual([second]);
    expect(hook.received.every((r) => r.signed)).toBe(true);
  });

  it('backs off exponentially with equal jitter, up to the cap, and verifies signatures', () => {
    expect(backoff(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoff(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoff(3, 1000, 60_000, () => 0.5)).toBe(3000); // ceiling 4000: 2000 + 0.5 x 2000
    expect(backoff(20, 1000, 60_000, () => 1)).toBe(60_000);
    const body = '{"a":1}';
    const t = 1_800_000_000;
    const mac = createHmac('sha256', 's3cret').update(`${t}.${body}`).digest('hex');
    expect(verifySignature('s3cret', `t=${t},v1=${mac}`, body, t * 1000)).toBe(true);
    expect(verifySignature('other', `t=${t},v1=${mac}`, body, t * 1000)).toBe(false);
    expect(verifySignature('s3cret', `t=${t},v1=${mac}`, '{"a":2}', t * 1000)).toBe(false);
    // Older than five minutes: a replay.
    expect(verifySignature('s3cret', `t=${t},v1=${mac}`, body, (t + 301) * 1000)).toBe(false);
  });
});
