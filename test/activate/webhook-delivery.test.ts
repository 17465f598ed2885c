import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ActivationDb } from '../../src/activate/activation-db.js';
import { WebhookSender } from '../../src/activate/webhooks.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * One delivery against real receivers on loopback, by the sender `strata serve` runs:
 * what it reads of an answer, how long it waits, that it follows no redirect, and that a
 * name resolving to a loopback address is refused unless the webhook allows it.
 */

interface Receiver {
  readonly url: string;
  readonly port: number;
  /** Requests seen (path and body). */
  readonly requests: { path: string; body: string }[];
  /** Bytes of answers handed to the socket. */
  written: number;
  /** Answers whose connection has closed. */
  closed: number;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];
afterAll(async () => {
  for (const receiver of receivers) await receiver.close();
});

async function receiver(answer: (response: ServerResponse, self: Receiver) => void): Promise<Receiver> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      self.requests.push({ path: request.url ?? '', body });
      response.on('close', () => {
        self.closed++;
      });
      answer(response, self);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const self: Receiver = {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    requests: [],
    written: 0,
    closed: 0,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  receivers.push(self);
  return self;
}

/**
 * Writes `chunk` for as long as the client reads: endless for a reader that stops at
 * 64 KiB, but ended at 256 MiB so that a reader taking it whole fails the test instead of
 * filling the machine's memory.
 */
function endless(response: ServerResponse, self: Receiver, chunk: Buffer) {
  const pump = () => {
    while (!response.destroyed) {
      if (self.written >= 256 * 1024 * 1024) return void response.end();
      self.written += chunk.length;
      if (!response.write(chunk)) return void response.once('drain', pump);
    }
  };
  pump();
}

/** A workspace whose webhook `hook` goes to `url`, with one delivery queued; the sender and the outbox. */
async function sender(url: string, extra = '') {
  const dir = tempDir('strata-delivery-');
  writeFileSync(
    join(dir, 'strata.yaml'),
    `segments:\n  all: { where: { trait: plan, exists: true } }\nwebhooks:\n  hook: { url: "${url}", secretEnv: HOOK${extra} }\n`,
  );
  const db = await ActivationDb.open(join(dir, 'activation.duckdb'));
  const body = JSON.stringify({ id: 'd1', type: 'segment.entered', segment: 'all', accountId: 'acme' });
  await db.enqueue([{ id: 'd1', webhook: 'hook', type: 'segment.entered', body }], Date.now());
  const webhooks = new WebhookSender(db, loadWorkspace(dir), {
    retryBaseMs: 1,
    retryCapMs: 1,
    env: { HOOK: 'secret' },
  });
  const delivery = async () => (await db.list({}))[0];
  return { db, webhooks, delivery, dir };
}

describe('webhook deliveries', () => {
  it('reads at most 64 KiB of an endless answer: a 2xx is delivered, a 5xx keeps the start of its body', async () => {
    const chunk = Buffer.alloc(16 * 1024, 'a');
    const ok = await receiver((response, self) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      endless(response, self, chunk);
    });
    const { db, webhooks, delivery } = await sender(ok.url, ', allowPrivate: true, timeoutMs: 60000');
    expect(await webhooks.deliverDue()).toBe(1);
    expect((await delivery())?.status).toBe('delivered');
    // The answer's connection is closed by Strata, not by the time limit (a minute).
    await waitFor(() => ok.closed === 1, 'the endless answer to be cut');
    // Read: 64 KiB; the rest is what the kernel's socket buffers took before the cut (a few
    // MiB on loopback). Reading the answer whole would have gone on for the whole minute.
    expect(ok.written).toBeLessThan(32 * 1024 * 1024);
    db.close();

    const failing = await receiver((response, self) => {
      response.writeHead(500);
      endless(response, self, chunk);
    });
    const second = await sender(failing.url, ', allowPrivate: true, timeoutMs: 60000, maxAttempts: 1');
    await second.webhooks.deliverDue();
    const dead = await second.delivery();
    // The status, then the first 200 characters of the body.
    expect([dead?.status, dead?.lastError]).toEqual(['dead', `HTTP 500: ${'a'.repeat(200)}`]);
    await waitFor(() => failing.closed === 1, 'the failing endless answer to be cut');
    second.db.close();
  });

  it('stops at the time limit: no answer at all, or a body that trickles', async () => {
    const silent = await receiver(() => {});
    const trickle = await receiver((response) => {
      response.writeHead(503);
      response.write('x');
      const timer = setInterval(() => response.write('x'), 20);
      response.on('close', () => clearInterval(timer));
    });
    const quiet = await sender(silent.url, ', allowPrivate: true, timeoutMs: 300, maxAttempts: 1');
    await quiet.webhooks.deliverDue();
    expect((await quiet.delivery())?.lastError).toBe('no answer in 300 ms');
    await waitFor(() => silent.closed === 1, 'the silent connection to be closed');
    quiet.db.close();

    const slow = await sender(trickle.url, ', allowPrivate: true, timeoutMs: 300, maxAttempts: 1');
    await slow.webhooks.deliverDue();
    // The status counts; the body is cut where the limit fell (one x, then one every 20 ms).
    expect((await slow.delivery())?.lastError).toMatch(/^HTTP 503: x+$/);
    await waitFor(() => trickle.closed === 1, 'the trickling answer to be cut');
    slow.db.close();
  });

  it('follows no redirect: a 307 to an internal address is a failed try naming its host, then dead', async () => {
    const internal = await receiver((response) => response.end('ok'));
    const redirecting = await receiver((response) => {
      response.writeHead(307, { location: `http://127.0.0.1:${internal.port}/internal-admin` });
      response.end();
    });
    const { db, webhooks, delivery } = await sender(redirecting.url, ', allowPrivate: true, maxAttempts: 2');
    await webhooks.deliverDue();
    expect(internal.requests).toHaveLength(0);
    expect((await delivery())?.status).toBe('pending');
    // The second try, once its backoff (1 ms) has passed, fails the same way: dead.
    await waitFor(async () => {
      await webhooks.deliverDue();
      return (await delivery())?.status === 'dead';
    }, 'the second try');
    expect(redirecting.requests).toHaveLength(2);
    expect(internal.requests).toHaveLength(0);
    const row = await delivery();
    expect([row?.attempts, row?.lastError]).toEqual([
      2,
      `HTTP 307: redirect (Location 127.0.0.1:${internal.port}) not followed; point the webhook at the final URL`,
    ]);
    db.close();
  });

  it('refuses a name that resolves to a loopback address unless the webhook allows private ones', async () => {
    const local = await receiver((response) => response.end());
    const url = `http://localhost:${local.port}/hook`;
    const refused = await sender(url, ', maxAttempts: 1');
    await refused.webhooks.deliverDue();
    const row = await refused.delivery();
    expect(local.requests).toHaveLength(0);
    expect(row?.status).toBe('dead');
    // This machine's resolver gives 127.0.0.1 or ::1 for localhost; both are loopback.
    expect(row?.lastError).toMatch(
      /^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address; the webhook must say allowPrivate: true to deliver there$/,
    );
    refused.db.close();

    const allowed = await sender(url, ', allowPrivate: true');
    await allowed.webhooks.deliverDue();
    expect((await allowed.delivery())?.status).toBe('delivered');
    expect(local.requests).toHaveLength(1);
    allowed.db.close();
  });
});
