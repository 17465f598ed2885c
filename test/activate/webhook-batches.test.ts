import { createHash, createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ActivationDb } from '../../src/activate/activation-db.js';
import { WebhookSender } from '../../src/activate/webhooks.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Batched deliveries and kept-alive connections against real receivers on loopback: the
 * exact bodies, headers and signatures a receiver gets (recomputed here with node:crypto
 * from the documented format, not by Strata's code), batch sizes by count and by bytes,
 * a failed batch retried whole, TCP connections fewer than POSTs, and successes written
 * to the outbox while a round is still running.
 */

const SECRET = 'batch-secret';

interface Post {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Receiver {
  readonly url: string;
  readonly posts: Post[];
  /** TCP connections the server accepted. */
  connections: number;
}

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** A receiver answering `answer(post, index)` (a status, or a promise of one). */
async function receiver(answer: (post: Post, index: number) => number | Promise<number> = () => 200) {
  const server = createServer((request, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', async () => {
      const post = { headers: request.headers, body };
      self.posts.push(post);
      response.statusCode = await answer(post, self.posts.length - 1);
      response.end('ok');
    });
  });
  server.on('connection', () => {
    self.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const self: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    posts: [],
    connections: 0,
  };
  closers.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return self;
}

/** An event as the outbox stores it, `pad` characters of padding in its account id. */
function event(n: number, pad = 0) {
  return {
    id: `e${String(n).padStart(2, '0')}`,
    type: 'segment.entered',
    segment: 'all',
    accountId: `acme${'x'.repeat(pad)}`,
    source: 'trigger:t',
    asOf: '2026-12-07T00:00:00.000Z',
  };
}

/** A workspace whose webhook `hook` (options in `extra`) goes to `url`, with `events` queued. */
async function sender(url: string, extra: string, events: ReturnType<typeof event>[]) {
  const dir = tempDir('strata-batches-');
  writeFileSync(
    join(dir, 'strata.yaml'),
    `segments:\n  all: { where: { trait: plan, exists: true } }\nwebhooks:\n  hook: { url: "${url}", secretEnv: HOOK, allowPrivate: true${extra} }\n`,
  );
  const db = await ActivationDb.open(join(dir, 'activation.duckdb'));
  // Queued at one time, so in the outbox's order (created_at, then id) by their ids.
  await db.enqueue(
    events.map((e) => ({ id: e.id, webhook: 'hook', type: e.type, body: JSON.stringify(e) })),
    Date.now() - 60_000,
  );
  const webhooks = new WebhookSender(db, loadWorkspace(dir), {
    retryBaseMs: 1,
    retryCapMs: 1,
    env: { HOOK: SECRET },
  });
  closers.push(async () => {
    await webhooks.stop();
    db.close();
  });
  return { db, webhooks };
}

/** The events of a batch POST, its signature checked with an HMAC computed here. */
function opened(post: Post): { id: string }[] {
  const header = String(post.headers['strata-signature']);
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
  expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
  expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${post.body}`).digest('hex'));
  return (JSON.parse(post.body) as { events: { id: string }[] }).events;
}

/** The documented batch id: b_ and the first 32 hex digits of SHA-256 over "<id>\n" per event. */
const batchKey = (ids: string[]) =>
  `b_${createHash('sha256')
    .update(ids.map((id) => `${id}\n`).join(''))
    .digest('hex')
    .slice(0, 32)}`;

/** The README's receiver example (the js block after "A receiver in Node:"), as a module. */
async function readmeVerify(): Promise<(secret: string, header: string, body: string) => boolean> {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const code = /A receiver in Node:\n\n\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  const file = join(tempDir('strata-readme-verify-'), 'verify.mjs');
  writeFileSync(file, `${code}\nexport { verify };\n`);
  return (await import(pathToFileURL(file).href)).verify;
}

describe('batched webhooks', () => {
  it('sends maxEvents per POST, in queue order, bodies byte for byte, signed, with a batch id', async () => {
    const hook = await receiver();
    const events = Array.from({ length: 7 }, (_, i) => event(i + 1));
    const { db, webhooks } = await sender(hook.url, ', batch: { maxEvents: 3 }', events);
    expect(await webhooks.deliverDue()).toBe(7);
    // 7 events, 3 a POST: e01-e03, e04-e06, e07 (POSTs may arrive in any order: 16 in flight).
    const posts = [...hook.posts].sort((a, b) => a.body.localeCompare(b.body));
    expect(posts.map((post) => opened(post).map((e) => e.id))).toEqual([
      ['e01', 'e02', 'e03'],
      ['e04', 'e05', 'e06'],
      ['e07'],
    ]);
    // The body is exactly {"events":[...]} of the events as a single POST carries them.
    const verify = await readmeVerify();
    for (const [index, post] of posts.entries()) {
      expect(verify(SECRET, String(post.headers['strata-signature']), post.body)).toBe(true);
      expect(verify('another secret', String(post.headers['strata-signature']), post.body)).toBe(false);
      const mine = events.slice(index * 3, index * 3 + 3);
      expect(post.body).toBe(JSON.stringify({ events: mine }));
      expect(post.headers['idempotency-key']).toBe(batchKey(mine.map((e) => e.id)));
      expect(post.headers['strata-event-type']).toBe('batch');
      expect(post.headers['strata-batch-size']).toBe(String(mine.length));
      expect(post.headers['strata-attempt']).toBe('1');
      expect(post.headers['content-type']).toBe('application/json');
    }
    const rows = await db.list({});
    expect(rows.map((row) => `${row.id} ${row.status} ${row.attempts}`).sort()).toEqual(
      events.map((e) => `${e.id} delivered 1`),
    );
  });

  it('keeps a body within maxBytes: an event too large for any batch goes alone', async () => {
    const hook = await receiver();
    // JSON.stringify(event(n, pad)) is 127 + pad bytes; an envelope {"events":[]} is 13
    // bytes, and a comma goes between events. With maxBytes 1024: three events of 300 bytes
    // (pad 173) make 13 + 900 + 2 = 915; a fourth would make 1216, so it starts the next
    // batch. An event of 1100 bytes (pad 973) fits in no batch: it goes alone, between
    // e04 and e06 (a batch is consecutive events of the queue, so each of those is alone too).
    expect(JSON.stringify(event(1, 173)).length).toBe(300);
    const events = [...Array.from({ length: 4 }, (_, i) => event(i + 1, 173)), event(5, 973), event(6, 173)];
    const { webhooks } = await sender(hook.url, ', batch: { maxEvents: 100, maxBytes: 1024 }', events);
    expect(await webhooks.deliverDue()).toBe(6);
    const sizes = hook.posts
      .map(
        (post) =>
          [
            opened(post)
              .map((e) => e.id)
              .join(' '),
            Buffer.byteLength(post.body),
          ] as const,
      )
      .sort();
    expect(sizes).toEqual([
      ['e01 e02 e03', 915],
      ['e04', 13 + 300],
      ['e05', 13 + 1100],
      ['e06', 13 + 300],
    ]);
  });

  it('retries a failed batch whole, with the same id, and dead-letters every row of it', async () => {
    const flaky = await receiver((_post, index) => (index === 0 ? 503 : 200));
    const events = Array.from({ length: 4 }, (_, i) => event(i + 1));
    const first = await sender(flaky.url, ', batch: { maxEvents: 10 }', events);
    await first.webhooks.deliverDue();
    expect((await first.db.list({})).map((row) => `${row.status} ${row.attempts} ${row.lastError}`)).toEqual(
      Array(4).fill('pending 1 HTTP 503: ok'),
    );
    // After the back-off (1 ms here), one POST again: the same four events, the same id.
    await waitFor(async () => (await first.webhooks.deliverDue()) > 0, 'the retry');
    expect(
      flaky.posts.map((post) =>
        opened(post)
          .map((e) => e.id)
          .join(' '),
      ),
    ).toEqual(['e01 e02 e03 e04', 'e01 e02 e03 e04']);
    expect(flaky.posts.map((post) => post.headers['strata-attempt'])).toEqual(['1', '2']);
    expect(new Set(flaky.posts.map((post) => post.headers['idempotency-key']))).toEqual(
      new Set([batchKey(events.map((e) => e.id))]),
    );
    expect(flaky.posts[0]?.body).toBe(flaky.posts[1]?.body);
    expect((await first.db.list({})).map((row) => `${row.status} ${row.attempts}`)).toEqual(
      Array(4).fill('delivered 2'),
    );

    const down = await receiver(() => 500);
    const second = await sender(down.url, ', maxAttempts: 2, batch: { maxEvents: 10 }', events.slice(0, 3));
    await waitFor(async () => {
      await second.webhooks.deliverDue();
      return (await second.db.list({ status: 'dead' })).length === 3;
    }, 'the batch dead-lettered');
    expect(down.posts).toHaveLength(2);
    expect((await second.db.list({})).map((row) => `${row.attempts} ${row.lastError}`)).toEqual(
      Array(3).fill('2 HTTP 500: ok'),
    );
  });

  it('keeps connections alive: fewer TCP connections than POSTs, single and batched alike', async () => {
    const single = await receiver();
    const events = Array.from({ length: 60 }, (_, i) => event(i + 1));
    const one = await sender(single.url, '', events);
    expect(await one.webhooks.deliverDue()).toBe(60);
    // One POST per event, over at most 16 sockets (the deliveries in flight).
    expect(single.posts).toHaveLength(60);
    expect(
      single.posts.every(
        (post) => post.body === JSON.stringify(events.find((e) => e.id === post.headers['idempotency-key'])),
      ),
    ).toBe(true);
    expect(single.connections).toBeLessThanOrEqual(16);

    const batched = await receiver();
    const many = await sender(batched.url, ', batch: { maxEvents: 1 }', events.slice(0, 30));
    expect(await many.webhooks.deliverDue()).toBe(30);
    expect(batched.posts).toHaveLength(30);
    expect(batched.connections).toBeLessThanOrEqual(16);
    // A second round reuses the sockets the first left open.
    await many.db.replay({ delivered: true }, Date.now());
    await many.webhooks.deliverDue();
    expect(batched.posts).toHaveLength(60);
    expect(batched.connections).toBeLessThanOrEqual(16);
  });

  it('writes a success to the outbox within a second, while the round is still sending', async () => {
    let release = () => {};
    const held = new Promise<number>((resolve) => {
      release = () => resolve(200);
    });
    // e01's POST is answered at once, e02's only when released.
    const hook = await receiver((post) => (post.body.includes('"e02"') ? held : 200));
    const { db, webhooks } = await sender(hook.url, '', [event(1), event(2)]);
    const round = webhooks.deliverDue();
    const answered = Date.now();
    await waitFor(async () => (await db.list({ status: 'delivered' })).length === 1, 'e01 marked', 5000);
    expect(Date.now() - answered).toBeLessThan(1000);
    expect((await db.list({ status: 'pending' })).map((row) => row.id)).toEqual(['e02']);
    release();
    await round;
    expect((await db.list({ status: 'delivered' })).map((row) => row.id).sort()).toEqual(['e01', 'e02']);
  });
});
