import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { createKey } from '../../src/server/api-keys.js';
import { startServer } from '../../src/server/serve.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { clickhouse } from '../helpers/clickhouse.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * strata serve on ClickHouse (one server, and the two-shard cluster): ingestion into the
 * store, a trigger's webhook, and the read API, the same answers as the rows sent imply.
 */
describe.each(['single', 'cluster'] as const)('strata serve on ClickHouse (%s)', (layout) => {
  it('ingests, triggers, and serves profiles', async () => {
    const servers = clickhouse();
    const dir = tempDir('strata-serve-ch-');
    const database = `serve_${layout}_${process.pid}`;
    const received: { type: string; segment: string; accountId: string }[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
    const store =
      layout === 'single'
        ? `{ engine: clickhouse, url: "${servers.single}", database: ${database} }`
        : `{ engine: clickhouse, url: "${servers.cluster.urls[0]}", database: ${database}, cluster: ${servers.cluster.name}, shards: [${servers.cluster.urls.map((u) => `"${u}"`).join(', ')}] }`;
    writeFileSync(
      join(dir, 'strata.yaml'),
      `store: ${store}
metrics:
  sessions_7d: { count: { event: session_start }, within: 7d }
segments:
  active: { where: { metric: sessions_7d, gte: 2 } }
triggers:
  usage: { segments: [active], events: [session_start] }
webhooks:
  hook: { url: "${hook}", secretEnv: HOOK, triggers: [usage], allowPrivate: true }
`,
    );
    const [write, read] = [createKey(dir, 'write').key, createKey(dir, 'read').key];
    const workspace = loadWorkspace(dir);
    const opened = await openStore(workspace);
    const server = await startServer({ workspace, store: opened, port: 0, env: { HOOK: 'x' } });
    try {
      const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3_600_000).toISOString();
      const response = await fetch(`${server.url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${write}` },
        body: JSON.stringify({
          batch: [
            {
              type: 'group',
              userId: 'u1',
              groupId: 'acme',
              traits: { name: 'Acme', plan: 'growth' },
              timestamp: at(48),
            },
            ...[3, 2].map((h) => ({
              type: 'track',
              userId: 'u1',
              event: 'session_start',
              timestamp: at(h),
              messageId: `m${h}`,
            })),
            // A retry of m3: stored once.
            { type: 'track', userId: 'u1', event: 'session_start', timestamp: at(3), messageId: 'm3' },
          ],
        }),
      });
      expect(response.status).toBe(200);
      await server.applyNow();
      expect(await opened.query(sql`SELECT event_id FROM events ORDER BY event_id`)).toEqual([
        { event_id: 'm2' },
        { event_id: 'm3' },
      ]);
      await waitFor(() => received.length > 0, 'the webhook of acme entering active');
      expect(received.map((r) => `${r.type} ${r.segment} ${r.accountId}`)).toEqual([
        'segment.entered active acme',
      ]);
      // A run, then the profile from the read API.
      await server.stop();
      await runWorkspace(opened, workspace, new Date());
      const again = await startServer({ workspace, store: opened, port: 0, env: { HOOK: 'x' } });
      try {
        const profile = await fetch(`${again.url}/v1/accounts/acme`, {
          headers: { authorization: `Bearer ${read}` },
        });
        expect(await profile.json()).toMatchObject({
          account: { account_id: 'acme', name: 'Acme', plan: 'growth' },
          segments: ['active'],
          metrics: { sessions_7d: 2 },
        });
        // The dashboard's overview on this engine: one account, in 'active', no MRR yet.
        const overview = await fetch(`${again.url}/v1/overview`, {
          headers: { authorization: `Bearer ${read}` },
        });
        expect(await overview.json()).toMatchObject({
          accounts: 1,
          mrr: 0,
          retention: { customers: 0, logoRetention: null },
          segments: [{ id: 'active', accounts: 1 }],
        });
      } finally {
        await again.stop();
      }
    } finally {
      await server.stop().catch(() => undefined);
      await opened.close();
      receiver.close();
    }
  });
});
