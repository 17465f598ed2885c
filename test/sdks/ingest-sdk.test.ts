import { gzipSync } from 'node:zlib';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountRows } from '../../src/identity/account-rows.js';
import { DEFAULT_IDENTITY } from '../../src/identity/identity-config.js';
import { createKey } from '../../src/server/api-keys.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { runCli } from '../helpers/run-cli.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The official Segment and RudderStack Node libraries, unchanged, sending to a real
 * `strata serve` on loopback; the rows they produce are read back from the DuckDB file and
 * compared with what the test sent.
 */
describe('Segment-spec ingestion with the official client libraries', () => {
  let dir: string;
  let store: Store;
  let server: RunningServer;
  let writeKey: string;
  let readKey: string;

  beforeAll(async () => {
    dir = tempDir('strata-serve-');
    expect(runCli(['init', '-w', dir, '--json']).code).toBe(0);
    writeKey = createKey(dir, 'write', 'tests').key;
    readKey = createKey(dir, 'read', 'tests').key;
    const workspace = loadWorkspace(dir);
    store = await openStore(workspace);
    // Applied by hand in the tests (applyNow), not on a timer.
    server = await startServer({ workspace, store, port: 0, applyEveryMs: 3_600_000 });
  });

  afterAll(async () => {
    await server?.stop();
    await store?.close();
  });

  it('stores what @segment/analytics-node sends: accounts, users, events, trait changes, once each', async () => {
    const analytics = new Analytics({ writeKey, host: server.url, flushAt: 50, flushInterval: 20 });
    analytics.group({
      userId: 'u-1',
      groupId: 'acme',
      traits: { name: 'Acme', plan: 'growth', employees: 120, website: 'https://www.acme.com', tier: 'gold' },
      timestamp: new Date('2026-11-01T09:00:00Z'),
    });
    analytics.identify({ userId: 'u-1', traits: { email: 'ana@acme.com', role: 'admin', team: 'ops' } });
    for (const at of ['2026-11-02T10:00:00Z', '2026-11-03T11:30:00Z'])
      analytics.track({
        userId: 'u-1',
        event: 'report_created',
        properties: { pages: 3 },
        timestamp: new Date(at),
        messageId: `seg-${at}`,
      });
    // A retry of the same message: stored once.
    analytics.track({
      userId: 'u-1',
      event: 'report_created',
      properties: { pages: 3 },
      timestamp: new Date('2026-11-02T10:00:00Z'),
      messageId: 'seg-2026-11-02T10:00:00Z',
    });
    analytics.page({
      userId: 'u-1',
      name: 'Pricing',
      properties: { path: '/pricing' },
      messageId: 'seg-page',
    });
    // Only the plan changes: the other traits stay, and the change is in trait_history.
    analytics.group({
      userId: 'u-1',
      groupId: 'acme',
      traits: { plan: 'enterprise' },
      timestamp: new Date('2026-11-05T00:00:00Z'),
    });
    await analytics.closeAndFlush();
    await server.applyNow();

    const events = await store.query<{
      event_id: string;
      account_id: string;
      user_id: string;
      event: string;
      ts: string;
    }>(
      sql`SELECT event_id, account_id, user_id, event, ts FROM events WHERE event_id LIKE 'seg-%' ORDER BY event_id`,
    );
    // The calls name no groupId: each event is stored without an account and counts for the
    // accounts its user is linked to (acme, by the group call), as read below.
    expect(events).toEqual([
      {
        event_id: 'seg-2026-11-02T10:00:00Z',
        account_id: '',
        user_id: 'u-1',
        event: 'report_created',
        ts: '2026-11-02T10:00:00.000Z',
      },
      {
        event_id: 'seg-2026-11-03T11:30:00Z',
        account_id: '',
        user_id: 'u-1',
        event: 'report_created',
        ts: '2026-11-03T11:30:00.000Z',
      },
      { event_id: 'seg-page', account_id: '', user_id: 'u-1', event: 'page', ts: expect.any(String) },
    ]);
    const { events: counted } = await accountRows(store, DEFAULT_IDENTITY);
    expect(
      await store.query(
        sql`SELECT account_id, count(*) AS n FROM ${counted} e WHERE event_id LIKE 'seg-%' GROUP BY account_id`,
      ),
    ).toEqual([{ account_id: 'acme', n: 3 }]);
    const page = await store.query<{ name: string; path: string }>(
      sql`SELECT json_extract_string(properties, '$.name') AS name, json_extract_string(properties, '$.path') AS path FROM events WHERE event_id = 'seg-page'`,
    );
    expect(page).toEqual([{ name: 'Pricing', path: '/pricing' }]);
    const accounts = await store.query<Record<string, unknown>>(
      sql`SELECT account_id, name, domain, plan, employees, created_at, json_extract_string(traits, '$.tier') AS tier FROM accounts`,
    );
    expect(accounts).toEqual([
      {
        account_id: 'acme',
        name: 'Acme',
        domain: 'acme.com',
        plan: 'enterprise',
        employees: 120,
        created_at: '2026-11-01T09:00:00.000Z',
        tier: 'gold',
      },
    ]);
    const users = await store.query<Record<string, unknown>>(
      sql`SELECT user_id, account_id, email, role, json_extract_string(traits, '$.team') AS team FROM users`,
    );
    expect(users).toEqual([
      { user_id: 'u-1', account_id: 'acme', email: 'ana@acme.com', role: 'admin', team: 'ops' },
    ]);
    const changes = await store.query<{ trait: string; value: string; ts: string }>(
      sql`SELECT trait, value, ts FROM trait_history WHERE account_id = 'acme' ORDER BY ts, trait`,
    );
    expect(changes).toEqual([
      { trait: 'domain', value: 'acme.com', ts: '2026-11-01T09:00:00.000Z' },
      { trait: 'employees', value: '120', ts: '2026-11-01T09:00:00.000Z' },
      { trait: 'name', value: 'Acme', ts: '2026-11-01T09:00:00.000Z' },
      { trait: 'plan', value: 'growth', ts: '2026-11-01T09:00:00.000Z' },
      { trait: 'tier', value: 'gold', ts: '2026-11-01T09:00:00.000Z' },
      { trait: 'plan', value: 'enterprise', ts: '2026-11-05T00:00:00.000Z' },
    ]);
  });

  it('stores what @rudderstack/rudder-sdk-node sends (gzipped batches), and counts events of unlinked users once linked', async () => {
    const client = new RudderAnalytics(writeKey, {
      dataPlaneUrl: server.url,
      flushAt: 50,
      flushInterval: 20,
      logLevel: 'error',
    });
    const track = (messageId: string, at: string) =>
      client.track({ userId: 'u-2', event: 'dashboard_viewed', timestamp: new Date(at), messageId } as never);
    // The accounts the events count for, as metrics read them.
    const counted = async () => {
      const { events } = await accountRows(store, DEFAULT_IDENTITY);
      return store.query(
        sql`SELECT event_id, account_id, ts FROM ${events} e WHERE event_id LIKE 'rud-%' ORDER BY event_id`,
      );
    };
    track('rud-1', '2026-11-06T08:00:00Z');
    await client.flush();
    await server.applyNow();
    // u-2 belongs to no account yet: the event is kept, without an account, and counts nowhere.
    expect(await store.query(sql`SELECT account_id FROM events WHERE event_id = 'rud-1'`)).toEqual([
      { account_id: '' },
    ]);
    expect(await counted()).toEqual([]);
    client.group({
      userId: 'u-2',
      groupId: 'globex',
      traits: { name: 'Globex', createdAt: '2025-01-15T00:00:00Z' },
    });
    track('rud-2', '2026-11-07T08:00:00Z');
    await client.flush();
    await server.applyNow();
    expect(await counted()).toEqual([
      { event_id: 'rud-1', account_id: 'globex', ts: '2026-11-06T08:00:00.000Z' },
      { event_id: 'rud-2', account_id: 'globex', ts: '2026-11-07T08:00:00.000Z' },
    ]);
    const globex = await store.query(sql`SELECT name, created_at FROM accounts WHERE account_id = 'globex'`);
    expect(globex).toEqual([{ name: 'Globex', created_at: '2025-01-15T00:00:00.000Z' }]);
  });

  it('answers 401, 403, 400 (naming the field), 413, and takes gzip and bearer keys', async () => {
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
      });
    const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });
    const track = { userId: 'u-1', event: 'x' };
    expect((await post('/v1/track', track)).status).toBe(401);
    expect((await post('/v1/track', track, basic('strata_write_nope'))).status).toBe(401);
    const forbidden = await post('/v1/track', track, basic(readKey));
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { message: string }).message).toMatch(/scope read; this needs write/);
    const missing = await post('/v1/track', { userId: 'u-1' }, basic(writeKey));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'invalid_message', field: 'event' });
    const inBatch = await post(
      '/v1/batch',
      {
        batch: [
          { type: 'track', userId: 'a', event: 'x' },
          { type: 'track', userId: 'b' },
        ],
      },
      basic(writeKey),
    );
    expect(inBatch.status).toBe(400);
    expect(await inBatch.json()).toMatchObject({ field: 'batch[1].event' });
    const anonymous = await post('/v1/batch', { batch: [{ type: 'identify', traits: {} }] }, basic(writeKey));
    expect(await anonymous.json()).toMatchObject({ field: 'batch[0].userId' });
    expect((await post('/v1/track', 'not json', basic(writeKey))).status).toBe(400);
    const big = { userId: 'u', event: 'x', properties: { blob: 'x'.repeat(5 * 2 ** 20) } };
    expect((await post('/v1/track', big, basic(writeKey))).status).toBe(413);
    const zipped = gzipSync(JSON.stringify({ userId: 'u-1', event: 'zipped', messageId: 'gz-1' }));
    const ok = await post('/v1/track', zipped, { ...basic(writeKey), 'content-encoding': 'gzip' });
    expect(ok.status).toBe(200);
    const bearer = await post(
      '/v1/track',
      { userId: 'u-1', event: 'b', messageId: 'bearer-1' },
      { authorization: `Bearer ${writeKey}` },
    );
    expect(bearer.status).toBe(200);
    await server.applyNow();
    expect(
      await store.query(sql`SELECT event_id FROM events WHERE event_id IN ('gz-1', 'bearer-1') ORDER BY 1`),
    ).toEqual([{ event_id: 'bearer-1' }, { event_id: 'gz-1' }]);
  });
});
