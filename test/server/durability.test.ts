import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess, waitForApplied } from '../helpers/serve-process.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

describe('durability of acknowledged messages', () => {
  it('keeps every acknowledged event exactly once across kill -9 of the server under load', async () => {
    const dir = tempDir('strata-kill-');
    expect(runCli(['init', '-w', dir, '--json']).code).toBe(0);
    const { key } = createKey(dir, 'write');
    const authorization = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    const acked = new Set<string>();
    let sent = 0;
    // Clients send batches of 50 tracks with unique ids, 8 at a time, retrying nothing: only
    // what got a 200 is owed. Each batch also repeats an id already acknowledged (a client
    // retry), which must not be stored twice.
    const load = async (url: string, until: { stop: boolean }) => {
      const client = async (worker: number) => {
        while (!until.stop) {
          const ids = Array.from({ length: 50 }, (_, i) => `k-${worker}-${sent}-${i}`);
          sent++;
          const repeat = [...acked][acked.size - 1];
          const batch = [...ids, ...(repeat ? [repeat] : [])].map((messageId, i) => ({
            type: 'track',
            messageId,
            userId: `u-${worker}`,
            event: 'load_test',
            context: { groupId: 'acme' },
            timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
          }));
          try {
            const response = await fetch(`${url}/v1/batch`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization },
              body: JSON.stringify({ batch }),
            });
            if (response.status === 200) for (const id of ids) acked.add(id);
          } catch {
            // The server died mid-request: not acknowledged, not owed.
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, worker) => client(worker)));
    };

    // An account for the events, then two rounds of load, each ended by kill -9.
    for (let round = 0; round < 2; round++) {
      const { child, url } = await serveProcess(dir);
      if (round === 0) {
        const group = await fetch(`${url}/v1/group`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ userId: 'owner', groupId: 'acme', traits: { name: 'Acme' } }),
        });
        expect(group.status).toBe(200);
      }
      const until = { stop: false };
      const running = load(url, until);
      // Killed while the clients are busy, after a given number of acknowledgements (not after a
      // time, which a loaded machine would fill with fewer of them).
      const target = acked.size + 600 + round * 300;
      await waitFor(() => acked.size >= target, `${target} acknowledged events`);
      child.kill('SIGKILL');
      await once(child, 'exit');
      until.stop = true;
      await running;
    }
    expect(acked.size).toBeGreaterThan(1000);

    // Restart: the log beyond the checkpoint is applied; then a clean stop.
    const { child, url } = await serveProcess(dir);
    await waitForApplied(url);
    child.kill('SIGTERM');
    await once(child, 'exit');

    const store = await openStore(loadWorkspace(dir, { metricsOnly: true }));
    try {
      const rows = await store.query<{ event_id: string; copies: number }>(
        sql`SELECT event_id, count(*) AS copies FROM events GROUP BY event_id`,
      );
      const stored = new Map(rows.map((row) => [row.event_id, row.copies]));
      const missing = [...acked].filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      expect(rows.filter((row) => row.copies > 1)).toEqual([]);
      // Nothing but what clients sent: stored ids are acknowledged ones or ones whose answer was lost in the kill.
      expect([...stored.keys()].every((id) => id.startsWith('k-'))).toBe(true);
    } finally {
      await store.close();
    }
  });
});
