import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { clickhouse } from '../helpers/clickhouse.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess, waitForApplied } from '../helpers/serve-process.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * No record of the log can stop ingestion (issue #18, item 1). The log below holds what an
 * older Strata acknowledged, or damage did: a NUL in an account id, a lone surrogate in an
 * event name, a line that is not JSON, a timestamp the store refuses, between valid messages.
 * Before, the server failed to start ("text values cannot contain NUL") and, once running,
 * applied nothing after such a record and did not exit on SIGTERM.
 */
const at = '2026-11-02T09:00:00.000000Z';
const message = (fields: Record<string, unknown>) => ({
  messageId: `m-${Math.random()}`,
  userId: 'u1',
  anonymousId: null,
  groupId: null,
  timestamp: at,
  receivedAt: at,
  event: null,
  properties: {},
  traits: {},
  ...fields,
});
const LOG = [
  message({ type: 'group', messageId: 'g-acme', groupId: 'acme', traits: { name: 'Acme' } }),
  message({
    type: 'group',
    messageId: 'g-beta',
    userId: 'u2',
    groupId: 'be\u0000ta',
    traits: { name: 'Beta' },
  }),
  message({ type: 'track', messageId: 'half-emoji', event: 'log\ud800in' }),
  message({ type: 'track', messageId: 'ok-1', event: 'login' }),
  message({ type: 'track', messageId: 'bad-time', event: 'login', timestamp: 'yesterday' }),
  message({ type: 'track', messageId: 'ok-2', event: 'report_created' }),
];

interface Health {
  log: { segment: number; offset: number };
  applied: { segment: number; offset: number };
  failure: string | null;
  quarantined: number;
}
interface Quarantined {
  id: string;
  reason: string;
  record: { messageId?: string } | string;
}

describe.each(['duckdb', 'clickhouse'] as const)(
  'the apply loop sets aside what it cannot apply (%s)',
  (engine) => {
    it('starts on a poisoned log, applies everything else, lists, replays and exits on SIGTERM', async () => {
      const dir = tempDir('strata-quarantine-');
      expect(runCli(['init', '-w', dir, '--json']).code).toBe(0);
      if (engine === 'clickhouse') {
        const yaml = join(dir, 'strata.yaml');
        const store = `store: { engine: clickhouse, url: "${clickhouse().single}", database: quarantine_${process.pid} }`;
        writeFileSync(yaml, readFileSync(yaml, 'utf8').replace(/^store: .*$/m, store));
      }
      const ingest = join(dir, '.strata', 'ingest');
      mkdirSync(ingest, { recursive: true });
      const lines = LOG.map((record) => JSON.stringify(record));
      // A line cut and overwritten by the next one: not JSON, in the middle of the log.
      lines.splice(4, 0, '{"type":"track","messageId":"torn');
      writeFileSync(join(ingest, 'wal-000001.ndjson'), `${lines.join('\n')}\n`);
      const admin = createKey(dir, 'admin').key;
      const write = createKey(dir, 'write').key;

      const { child, url } = await serveProcess(dir);
      const exited = once(child, 'exit');
      const health = async () => (await (await fetch(`${url}/health`)).json()) as Health;
      const send = (path: string, key: string, body?: unknown) =>
        fetch(`${url}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      let quarantined: Quarantined[];
      try {
        await waitFor(async () => {
          const now = await health();
          return now.applied.offset === now.log.offset && now.quarantined === 4;
        }, 'the damaged log applied, four records set aside');
        expect((await health()).failure).toBeNull();
        // What comes after still flows.
        expect(
          (await send('/v1/track', write, { userId: 'u1', event: 'export', messageId: 'ok-3' })).status,
        ).toBe(200);
        await waitForApplied(url);

        // The CLI lists the quarantine while the server runs.
        const listed = runCli(['ingest', 'quarantine', '-w', dir, '--json']);
        expect(listed.code).toBe(0);
        quarantined = JSON.parse(listed.stdout) as Quarantined[];
        const reasons = Object.fromEntries(
          quarantined.map((entry) => [
            typeof entry.record === 'string' ? 'torn' : entry.record.messageId,
            entry.reason,
          ]),
        );
        expect(Object.keys(reasons).sort()).toEqual(['bad-time', 'g-beta', 'half-emoji', 'torn']);
        expect(reasons['g-beta']).toMatch(/^groupId: contains a NUL/);
        expect(reasons['half-emoji']).toMatch(/^event: contains a lone UTF-16 surrogate/);
        expect(reasons.torn).toMatch(/not JSON/);
        expect(reasons['bad-time']).toMatch(/^the store refused it: /);

        // Replayed through the admin API while serving, repaired: the NUL goes, Beta is stored.
        const beta = quarantined.find((entry) => reasons['g-beta'] === entry.reason) as Quarantined;
        const replay = await send('/v1/admin/ingest/quarantine/replay', admin, {
          ids: [beta.id],
          repair: true,
        });
        expect(replay.status).toBe(200);
        expect(await replay.json()).toEqual({ replayed: [beta.id], stillQuarantined: [] });
        expect((await health()).quarantined).toBe(3);
      } finally {
        child.kill('SIGTERM');
      }
      // SIGTERM exits, cleanly.
      expect(await exited).toEqual([0, null]);

      // Stopped: the CLI replays, repairing the half emoji; what cannot be repaired stays (exit 1).
      const replayed = runCli(['ingest', 'quarantine', '--replay', '--repair', '-w', dir, '--json']);
      expect(replayed.code).toBe(1);
      const result = JSON.parse(replayed.stdout) as { replayed: string[]; stillQuarantined: Quarantined[] };
      expect(result.replayed).toHaveLength(1);
      expect(result.stillQuarantined.map((entry) => entry.reason)).toEqual([
        expect.stringMatching(/not JSON/),
        expect.stringMatching(/store refused/),
      ]);

      const store = await openStore(loadWorkspace(dir, { metricsOnly: true }));
      try {
        expect(
          // Track calls without a group: stored without an account, they count for their user's.
          await store.query(
            sql`SELECT event_id, CASE WHEN e.account_id = '' THEN u.account_id ELSE e.account_id END AS account_id, event
              FROM events e LEFT JOIN users u ON u.user_id = e.user_id ORDER BY event_id`,
          ),
        ).toEqual([
          { event_id: 'half-emoji', account_id: 'acme', event: 'log\ufffdin' },
          { event_id: 'ok-1', account_id: 'acme', event: 'login' },
          { event_id: 'ok-2', account_id: 'acme', event: 'report_created' },
          { event_id: 'ok-3', account_id: 'acme', event: 'export' },
        ]);
        expect(await store.query(sql`SELECT account_id, name FROM accounts ORDER BY account_id`)).toEqual([
          { account_id: 'acme', name: 'Acme' },
          { account_id: 'beta', name: 'Beta' },
        ]);
      } finally {
        await store.close();
      }
    });
  },
);
