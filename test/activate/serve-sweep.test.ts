import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ActivationDb } from '../../src/activate/activation-db.js';
import { parseInterval } from '../../src/cli/commands/serve.js';
import { createKey } from '../../src/server/api-keys.js';
import { startServer } from '../../src/server/serve.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * strata serve's sweeps of the triggers' segments, with a clock the test moves: on start,
 * every --sweep-every while a segment depends on time, never on a timer otherwise (until a
 * row dated later comes due), each change to a real webhook receiver, and /health's
 * lastSweep. (Their agreement with full runs is test/activate/realtime-batch.test.ts.)
 */

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

/** A real HTTP receiver of webhook deliveries (answers 200), keeping each body. */
async function receiver() {
  const bodies: { type: string; segment: string; accountId: string; source: string; asOf: string }[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      bodies.push(JSON.parse(body));
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, bodies, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A workspace whose one trigger watches `active` (a login in the last 30 days), sent to `url`. */
const activeWorkspace = (url: string) => `store: { engine: duckdb, path: .strata/strata.duckdb }
segments:
  active: { where: { performed: login, within: 30d } }
triggers:
  watch: { segments: [active] }
webhooks:
  sink: { url: "${url}", secretEnv: SINK_SECRET, triggers: [watch], allowPrivate: true }
`;

describe('strata serve keeps live memberships exact', () => {
  /** A workspace for a server whose trigger evaluation time the test moves (`clock`). */
  async function serve(dir: string, yaml: string, clock: { now: Date }, sweepEveryMs: number) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'strata.yaml'), yaml);
    const key = createKey(dir, 'admin').key;
    const workspace = loadWorkspace(dir);
    const store = await openStore(workspace);
    const server = await startServer({
      workspace,
      store,
      port: 0,
      applyEveryMs: 3_600_000,
      sweepEveryMs,
      clock: () => clock.now,
      env: { SINK_SECRET: 'secret' },
    });
    const send = async (batch: unknown[]) => {
      const response = await fetch(`${server.url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ batch }),
      });
      expect(response.status).toBe(200);
      await server.applyNow();
    };
    const health = async () =>
      (await (await fetch(`${server.url}/health`)).json()) as {
        lastSweep: { asOf: string; accounts: number; entered: number; exited: number } | null;
      };
    return {
      workspace,
      store,
      server,
      send,
      health,
      async stop() {
        await server.stop();
        await store.close();
      },
    };
  }

  it('sweeps on start and every --sweep-every while a segment moves with time; /health says when', async () => {
    const root = tempDir('strata-serve-sweep-');
    const hooks = await receiver();
    closers.push(hooks.close);
    const yaml = activeWorkspace(hooks.url);
    const clock = { now: new Date('2024-04-01T00:00:00Z') };
    let running = await serve(join(root, 'ws'), yaml, clock, 50);
    // The start sweep found no account.
    expect((await running.health()).lastSweep).toMatchObject({
      asOf: '2024-04-01T00:00:00.000Z',
      accounts: 0,
    });
    await running.send([
      {
        type: 'group',
        userId: 'u1',
        groupId: 'acme',
        traits: { createdAt: '2024-01-01T00:00:00Z' },
        timestamp: '2024-01-01T00:00:00Z',
      },
      { type: 'track', userId: 'u1', event: 'login', timestamp: '2024-03-20T00:00:00.000001+00:00' },
    ]);
    await waitFor(() => hooks.bodies.length === 1, 'acme entering active');
    // 30 days after the login and a microsecond more: only the clock moved, and a sweep sees it.
    clock.now = new Date('2024-04-19T00:00:00.001Z');
    await waitFor(
      async () => (await running.health()).lastSweep?.asOf === clock.now.toISOString(),
      'a sweep at the new time',
    );
    await waitFor(() => hooks.bodies.length === 2, 'acme leaving active');
    expect(hooks.bodies.map((b) => `${b.type} ${b.segment} ${b.accountId} ${b.source} ${b.asOf}`)).toEqual([
      'segment.entered active acme trigger:watch 2024-04-01T00:00:00.000Z',
      'segment.exited active acme trigger:watch 2024-04-19T00:00:00.001Z',
    ]);
    await running.stop();

    // Imported while the server is stopped: the start sweep finds beta active.
    const file = join(root, 'events.ndjson');
    writeFileSync(
      file,
      `${JSON.stringify({ event_id: 'b1', account_id: 'beta', event: 'login', ts: '2024-04-18T10:00:00-08:00' })}\n`,
    );
    const accounts = join(root, 'accounts.ndjson');
    writeFileSync(accounts, `${JSON.stringify({ account_id: 'beta', created_at: '2024-02-01' })}\n`);
    {
      const workspace = loadWorkspace(join(root, 'ws'));
      const store = await openStore(workspace);
      await store.importFile({ table: 'accounts', file: accounts });
      await store.importFile({ table: 'events', file });
      await store.close();
    }
    running = await serve(join(root, 'ws'), yaml, clock, 3_600_000);
    expect((await running.health()).lastSweep).toMatchObject({ accounts: 2, entered: 1, exited: 0 });
    await waitFor(() => hooks.bodies.length === 3, 'beta entering active');
    expect(hooks.bodies[2]).toMatchObject({ type: 'segment.entered', segment: 'active', accountId: 'beta' });
    await running.stop();
    const db = await ActivationDb.open(join(root, 'ws', '.strata', 'activation.duckdb'));
    const live = await db.memberships(['acme', 'beta']);
    db.close();
    expect([...(live.get('acme') ?? [])]).toEqual([]);
    expect([...(live.get('beta') ?? [])]).toEqual(['active']);
  });

  it('does not sweep on a timer when memberships move only with an account own data, until a row dated later comes due', async () => {
    const root = tempDir('strata-serve-nosweep-');
    const yaml = `store: { engine: duckdb, path: .strata/strata.duckdb }
segments:
  ever: { where: { performed: login } }
  enterprise: { where: { trait: plan, eq: enterprise } }
triggers:
  watch: { segments: [ever, enterprise] }
`;
    const clock = { now: new Date('2024-04-01T00:00:00Z') };
    const running = await serve(join(root, 'ws'), yaml, clock, 30);
    const start = (await running.health()).lastSweep;
    expect(start?.asOf).toBe('2024-04-01T00:00:00.000Z');
    await running.send([
      {
        type: 'group',
        userId: 'u1',
        groupId: 'acme',
        traits: { createdAt: '2024-01-01T00:00:00Z', plan: 'enterprise' },
        timestamp: '2024-01-01T00:00:00Z',
      },
      // An hour ahead of the evaluation time: not seen until then.
      { type: 'track', userId: 'u1', event: 'login', timestamp: '2024-04-01T01:00:00Z' },
    ]);
    clock.now = new Date('2024-04-01T00:30:00Z');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await running.health()).lastSweep).toEqual(start);
    clock.now = new Date('2024-04-01T01:00:00.001Z');
    await waitFor(
      async () => (await running.health()).lastSweep?.asOf === clock.now.toISOString(),
      'the sweep once the login is due',
    );
    expect((await running.health()).lastSweep).toMatchObject({ accounts: 1, entered: 1, exited: 0 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    clock.now = new Date('2024-04-02T00:00:00Z');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // No row is dated later any more: no sweep however far the clock moves.
    expect((await running.health()).lastSweep?.asOf).toBe('2024-04-01T01:00:00.001Z');
    await running.stop();
    const db = await ActivationDb.open(join(root, 'ws', '.strata', 'activation.duckdb'));
    const live = await db.memberships(['acme']);
    db.close();
    expect([...(live.get('acme') ?? [])].sort()).toEqual(['enterprise', 'ever']);
  });

  it('ranks accounts in memory: touched accounts at once, those moved by the others at the next timed sweep, no sweep without new data', async () => {
    const root = tempDir('strata-serve-ranks-');
    const hooks = await receiver();
    closers.push(hooks.close);
    const yaml = `store: { engine: duckdb, path: .strata/strata.duckdb }
metrics:
  logins: { count: { event: login } }
segments:
  top: { where: { top: 50%, by: logins } }
triggers:
  watch: { segments: [top] }
webhooks:
  sink: { url: "${hooks.url}", secretEnv: SINK_SECRET, triggers: [watch], allowPrivate: true }
`;
    const clock = { now: new Date('2024-04-01T00:00:00Z') };
    const running = await serve(join(root, 'ws'), yaml, clock, 30);
    const group = (account: string) => ({
      type: 'group',
      userId: `u-${account}`,
      groupId: account,
      traits: { createdAt: '2024-01-01T00:00:00Z' },
      timestamp: '2024-01-01T00:00:00Z',
    });
    const logins = (account: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        type: 'track',
        userId: `u-${account}`,
        event: 'login',
        timestamp: `2024-03-0${i + 1}T00:00:00Z`,
        context: { groupId: account },
      }));
    // Logins a 1, b 2, c 3: percent ranks 0, 50, 100, so b and c are the top 50%.
    await running.send([
      group('a'),
      group('b'),
      group('c'),
      ...logins('a', 1),
      ...logins('b', 2),
      ...logins('c', 3),
    ]);
    await waitFor(() => hooks.bodies.length === 2, 'b and c entering top');
    // d arrives with 5 and a reaches 4: [b 2, c 3, a 4, d 5] rank 0, 33, 67 and 100. a and d
    // are touched and enter at once; b and c fell with no data of their own: the timed sweep
    // finds them.
    await running.send([group('d'), ...logins('d', 5), ...logins('a', 4).slice(1)]);
    const health = (await (await fetch(`${running.server.url}/health`)).json()) as {
      lastTrigger: { accounts: number; inMemory: number; entered: number; exited: number };
    };
    expect(health.lastTrigger).toMatchObject({ accounts: 2, inMemory: 2, entered: 2, exited: 0 });
    await waitFor(() => hooks.bodies.length === 6, 'a and d entering, b and c leaving');
    expect(hooks.bodies.map((b) => `${b.type} ${b.accountId}`).sort()).toEqual(
      ['a', 'b', 'c', 'd']
        .map((a) => `segment.entered ${a}`)
        .concat(['segment.exited b', 'segment.exited c'])
        .sort(),
    );
    expect((await running.health()).lastSweep).toMatchObject({ accounts: 4 });
    // Without new data (and no window to slide), no timer sweeps again.
    const last = (await running.health()).lastSweep;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await running.health()).lastSweep).toEqual(last);
    await running.stop();
  });

  it('takes the first start without a run or live state as the baseline: no webhook per existing membership', async () => {
    const root = tempDir('strata-serve-baseline-');
    const hooks = await receiver();
    closers.push(hooks.close);
    const yaml = activeWorkspace(hooks.url);
    const dir = join(root, 'ws');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'strata.yaml'), yaml);
    // Imported before the server ever ran: a1 is active already, a2 is not.
    const accounts = join(root, 'accounts.ndjson');
    writeFileSync(
      accounts,
      ['a1', 'a2'].map((id) => JSON.stringify({ account_id: id, created_at: '2024-01-01' })).join('\n'),
    );
    const events = join(root, 'events.ndjson');
    writeFileSync(
      events,
      JSON.stringify({ event_id: 'e1', account_id: 'a1', event: 'login', ts: '2024-03-25' }),
    );
    {
      const store = await openStore(loadWorkspace(dir));
      await store.importFile({ table: 'accounts', file: accounts });
      await store.importFile({ table: 'events', file: events });
      await store.close();
    }
    const clock = { now: new Date('2024-04-01T00:00:00Z') };
    const running = await serve(dir, yaml, clock, 3_600_000);
    expect((await running.health()).lastSweep).toMatchObject({ accounts: 2, entered: 1, exited: 0 });
    // a2's first login is a change: it, and only it, reaches the receiver.
    await running.send([
      { type: 'group', userId: 'u2', groupId: 'a2', traits: {}, timestamp: '2024-03-31T00:00:00Z' },
      { type: 'track', userId: 'u2', event: 'login', timestamp: '2024-03-31T00:00:00Z' },
    ]);
    await waitFor(() => hooks.bodies.length === 1, 'a2 entering active');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hooks.bodies.map((b) => `${b.type} ${b.accountId}`)).toEqual(['segment.entered a2']);
    await running.stop();
  });

  it('reads --sweep-every as a duration, minutes written min', () => {
    expect(['500ms', '30s', '5min', '1h', '1d', '1.5s'].map(parseInterval)).toEqual([
      500, 30_000, 300_000, 3_600_000, 86_400_000, 1500,
    ]);
    // `5m` is five 30-day months in strata.yaml: refused rather than guessed.
    expect(['5m', '10', '50ms', '8d', 'soon'].map(parseInterval)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
