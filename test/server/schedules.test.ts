import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { startServer } from '../../src/server/serve.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

describe('scheduled runs', () => {
  it('stores a full run and sends the accounts that entered or left each segment since the previous one', async () => {
    const dir = tempDir('strata-schedule-');
    const bodies: { type: string; segment: string; accountId: string; source: string }[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        bodies.push(JSON.parse(body));
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
    writeFileSync(
      join(dir, 'strata.yaml'),
      `store: { engine: duckdb, path: .strata/strata.duckdb }
metrics:
  sessions_7d: { count: { event: session_start }, within: 7d }
sources:
  support: { table: tickets, file: tickets.csv }
segments:
  active: { where: { metric: sessions_7d, gte: 3 } }
  enterprise: { where: { trait: plan, eq: enterprise } }
schedules:
  nightly: { cron: "0 2 * * *", import: [support] }
webhooks:
  hook: { url: "${url}", secretEnv: HOOK, schedules: [nightly], allowPrivate: true }
`,
    );
    // The schedule imports this source before each run (import: [support]).
    const tickets = ['ticket_id,account_id,created_at', 't1,acme,2024-05-01', 't2,beta,2024-05-02'];
    writeFileSync(join(dir, 'tickets.csv'), `${tickets.join('\n')}\n`);
    const ticketIds = async () =>
      (await store.query<{ ticket_id: string }>(sql`SELECT ticket_id FROM tickets ORDER BY ticket_id`)).map(
        (r) => r.ticket_id,
      );
    const key = createKey(dir, 'admin').key;
    const workspace = loadWorkspace(dir);
    const store = await openStore(workspace);
    const server = await startServer({
      workspace,
      store,
      port: 0,
      applyEveryMs: 3_600_000,
      env: { HOOK: 'x' },
    });
    try {
      const post = async (path: string, body: unknown) => {
        const response = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(body),
        });
        expect(response.status).toBe(200);
        return response.json() as Promise<Record<string, unknown>>;
      };
      const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3_600_000).toISOString();
      const sessions = (user: string, hours: number[]) =>
        hours.map((h) => ({ type: 'track', userId: user, event: 'session_start', timestamp: at(h) }));
      await post('/v1/batch', {
        batch: [
          { type: 'group', userId: 'u1', groupId: 'acme', traits: { plan: 'enterprise' }, timestamp: at(72) },
          { type: 'group', userId: 'u2', groupId: 'beta', traits: { plan: 'growth' }, timestamp: at(72) },
          ...sessions('u1', [5, 4, 3]),
          ...sessions('u2', [5]),
        ],
      });
      await server.applyNow();
      const first = await post('/v1/admin/schedules/nightly/run', {});
      expect(first).toMatchObject({ schedule: 'nightly', runId: 1, events: 2 });
      expect(await ticketIds()).toEqual(['t1', 't2']);
      writeFileSync(join(dir, 'tickets.csv'), `${[...tickets, 't3,acme,2024-05-03'].join('\n')}\n`);
      await post('/v1/batch', {
        batch: [
          ...sessions('u2', [2, 1]),
          { type: 'group', userId: 'u1', groupId: 'acme', traits: { plan: 'growth' } },
        ],
      });
      await server.applyNow();
      expect(await post('/v1/admin/schedules/nightly/run', {})).toMatchObject({ runId: 2, events: 2 });
      expect(await ticketIds()).toEqual(['t1', 't2', 't3']);
      await waitFor(() => bodies.length >= 4, "the nightly schedule's four webhooks");
      expect(bodies.map((b) => `${b.type} ${b.segment} ${b.accountId} ${b.source}`).sort()).toEqual([
        'segment.entered active acme schedule:nightly',
        'segment.entered active beta schedule:nightly',
        'segment.entered enterprise acme schedule:nightly',
        'segment.exited enterprise acme schedule:nightly',
      ]);
      const health = (await (await fetch(`${server.url}/health`)).json()) as {
        schedules: { name: string; next: string }[];
      };
      const next = new Date(health.schedules[0]?.next ?? 0);
      expect(next.getUTCHours()).toBe(2);
      expect(next.getTime()).toBeGreaterThan(Date.now());
      expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
    } finally {
      await server.stop();
      await store.close();
      receiver.close();
    }
  });
});
