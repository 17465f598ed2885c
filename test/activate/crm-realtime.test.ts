import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { startServer } from '../../src/server/serve.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { type FakeHubSpot, startFakeHubSpot } from '../helpers/fake-crm/hubspot-server.js';
import { runCliAsync } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * `sync: realtime`: strata serve writes an account to the CRM as soon as a trigger sees it
 * enter or leave a segment, with every mapped value evaluated then; a later sync from an
 * older run leaves those values alone. Six accounts acc_1..acc_6, account i with (i mod 3)
 * demo requests in March; hot = 2 requests or more (acc_2, acc_5); tier = hot, else cold.
 * HubSpot holds company 900i under domain ci.example.
 */
const TOKEN = 'pat-realtime';
const ws = tempDir('strata-realtime-sync-');
let hubspot: FakeHubSpot;

const cli = async (args: readonly string[]) => {
  const run = await runCliAsync([...args, '-w', ws, '--json'], undefined, { HUBSPOT_TOKEN: TOKEN });
  if (run.code !== 0) throw new Error(`strata ${args.join(' ')}: ${run.stdout}${run.stderr}`);
  return run.json<Record<string, unknown>>();
};
const updates = (from: number) =>
  hubspot.requests
    .slice(from)
    .filter((r) => r.path.endsWith('/batch/update'))
    .map((r) => (r.body as { inputs: unknown[] }).inputs);
/** What HubSpot should hold for account i with `requests` demo requests, by the rule above. */
const properties = (requests: number) => ({
  strata_hot: requests >= 2 ? 'true' : 'false',
  strata_tier: requests >= 2 ? 'hot' : 'cold',
  strata_requests: String(requests),
});

beforeAll(async () => {
  hubspot = await startFakeHubSpot({ token: TOKEN });
  const ids = [1, 2, 3, 4, 5, 6];
  for (const i of ids) hubspot.records.companies.set(`900${i}`, { domain: `c${i}.example` });
  writeFileSync(
    join(ws, 'accounts.csv'),
    `account_id,name,domain,created_at\n${ids.map((i) => `acc_${i},Company ${i},c${i}.example,2024-01-01`).join('\n')}\n`,
  );
  writeFileSync(
    join(ws, 'users.csv'),
    `user_id,account_id,email\n${ids.map((i) => `u${i},acc_${i},ann@c${i}.example`).join('\n')}\n`,
  );
  const events = ids.flatMap((i) =>
    Array.from({ length: i % 3 }, (_, k) => `e${i}_${k},acc_${i},u${i},demo_request,2024-03-1${k}T10:00:00Z`),
  );
  writeFileSync(join(ws, 'events.csv'), `event_id,account_id,user_id,event,ts\n${events.join('\n')}\n`);
  writeFileSync(
    join(ws, 'strata.yaml'),
    `store: { engine: duckdb, path: .strata/strata.duckdb }
sources:
  accounts: { file: accounts.csv }
  users: { file: users.csv }
  events: { file: events.csv }
metrics:
  requests: { count: { event: demo_request } }
segments:
  hot: { where: { metric: requests, gte: 2 } }
schemes:
  tier: { order: [hot], fallback: cold }
triggers:
  heating: { segments: [hot], events: [demo_request] }
destinations:
  hubspot:
    type: hubspot
    object: companies
    credentials: { token: HUBSPOT_TOKEN }
    apiUrl: ${hubspot.url}
    sync: realtime
    fields:
      strata_hot: { segment: hot }
      strata_tier: { scheme: tier }
      strata_requests: { metric: requests }
  unset:
    type: hubspot
    object: companies
    credentials: { token: HUBSPOT_UNSET }
    apiUrl: ${hubspot.url}
    sync: realtime
    fields: { strata_hot: { segment: hot } }
`,
  );
  await cli(['import']);
  await cli(['run', '--as-of', '2024-04-01']);
});

afterAll(async () => {
  await hubspot?.close();
});

describe('a sync: realtime destination in strata serve', () => {
  it('writes an account the moment a trigger sees it enter a segment, and an older run does not undo it', async () => {
    // The first sync: every company found by domain and written.
    expect(await cli(['sync', 'run', 'hubspot'])).toMatchObject({ planned: 6, written: 6 });
    const key = createKey(ws, 'admin').key;
    const workspace = loadWorkspace(ws);
    const store = await openStore(workspace);
    const at = new Date('2024-04-02T00:00:00Z');
    const server = await startServer({
      workspace,
      store,
      port: 0,
      applyEveryMs: 3_600_000,
      sweepEveryMs: 3_600_000,
      clock: () => at,
      env: { HUBSPOT_TOKEN: TOKEN },
    });
    const admin = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const request = (user: string, day: number) => ({
      type: 'track',
      userId: user,
      event: 'demo_request',
      timestamp: `2024-04-01T0${day}:00:00Z`,
    });
    const health = async () =>
      (await (await fetch(`${server.url}/health`)).json()) as {
        realtimeSyncs: { destination: string; retryAt: string | null }[];
      };
    try {
      const sent = hubspot.requests.length;
      // acc_3 goes from 0 requests to 1: still cold, no trigger change, nothing sent.
      expect((await admin('POST', '/v1/batch', { batch: [request('u3', 1)] })).status).toBe(200);
      await server.applyNow();
      // acc_1 goes from 1 to 2: it enters hot, and is written at once with its values of now.
      expect((await admin('POST', '/v1/batch', { batch: [request('u1', 2)] })).status).toBe(200);
      await server.applyNow();
      await waitFor(() => updates(sent).length === 1, 'the real-time write of acc_1');
      expect(updates(sent)).toEqual([[{ id: '9001', properties: properties(2) }]]);
      // Its CRM id was kept by the first sync: no search.
      expect(hubspot.requests.slice(sent).some((r) => r.path.includes('/search'))).toBe(false);
      expect(hubspot.records.companies.get('9001')).toMatchObject(properties(2));
      await waitFor(async () => (await health()).realtimeSyncs.length === 2, 'the health of both syncs');
      const [written, unset] = (await health()).realtimeSyncs.sort((a, b) =>
        a.destination.localeCompare(b.destination),
      );
      expect(written).toEqual({
        destination: 'hubspot',
        asOf: at.toISOString(),
        accounts: 1,
        planned: 1,
        written: 1,
        failed: 0,
        error: null,
        retryAt: null,
      });
      // A destination without its token says so, sends nothing, and keeps acc_1 for a retry.
      expect(unset).toEqual({
        destination: 'unset',
        asOf: at.toISOString(),
        accounts: 1,
        planned: 0,
        written: 0,
        failed: 0,
        error:
          "destination 'unset': the environment variable HUBSPOT_UNSET (its credentials.token) is not set; nothing was sent",
        retryAt: expect.any(String),
      });
      expect(Date.parse(unset?.retryAt ?? '') - Date.now()).toBeGreaterThan(20_000);
      // The sync log says whose time the values are: the trigger's, not the run's (April 1st).
      const listed = (await admin('GET', '/v1/destinations')).body.destinations as {
        name: string;
        lastSync: { asOf: string; written: number } | null;
      }[];
      expect(listed.find((d) => d.name === 'hubspot')?.lastSync).toMatchObject({
        asOf: at.toISOString(),
        written: 1,
      });
      // The latest run (April 1st, before both requests) would write acc_1 cold again: its
      // values are newer, so a sync from that run leaves them; acc_3 is not newer.
      expect((await admin('GET', '/v1/admin/destinations/hubspot/plan')).body).toMatchObject({
        pending: 0,
        newer: 1,
      });
      expect((await admin('POST', '/v1/admin/destinations/hubspot/run')).body).toMatchObject({
        planned: 0,
        written: 0,
      });
      expect(updates(sent)).toHaveLength(1);
    } finally {
      await server.stop();
      await store.close();
    }
  });
});
