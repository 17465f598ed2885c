import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { startServer } from '../../src/server/serve.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * --pass-every: under a steady stream, apply passes start at most that often, so what
 * arrives meanwhile is applied in one pass; a message after a quiet spell is applied at once.
 * A real server on a real DuckDB file; the passes are seen through `onApplied`.
 */

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('apply passes paced by --pass-every', () => {
  it('applies the first message at once and gathers the next ones into the pass a --pass-every later', async () => {
    const every = 2_500;
    const dir = tempDir('strata-pacing-');
    writeFileSync(join(dir, 'strata.yaml'), 'store: { engine: duckdb, path: .strata/strata.duckdb }\n');
    const key = createKey(dir, 'write').key;
    const workspace = loadWorkspace(dir);
    const store = await openStore(workspace);
    const passes: { events: number; at: number }[] = [];
    const server = await startServer({
      workspace,
      store,
      port: 0,
      // No timer pass: every pass here is one the messages started.
      applyEveryMs: 3_600_000,
      passEveryMs: every,
      onApplied: (result) => passes.push({ events: result.events, at: performance.now() }),
    });
    closers.push(async () => {
      await server.stop();
      await store.close();
    });
    const post = async (messageId: string) => {
      const response = await fetch(`${server.url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({
          batch: [{ type: 'track', messageId, userId: 'u1', event: 'ping', context: { groupId: 'acme' } }],
        }),
      });
      expect(response.status).toBe(200);
    };

    const sent = performance.now();
    await post('m1');
    await waitFor(() => passes.length === 1, 'the first pass');
    // No pass before it: not held back (a pass of one event takes well under the 2.5 s).
    expect(passes[0]?.events).toBe(1);
    expect((passes[0]?.at ?? 0) - sent).toBeLessThan(every);

    // Two more, right after: both wait for the next pass, which starts 2.5 s after the first did
    // (itself after `sent`), and is one pass of both.
    await post('m2');
    await post('m3');
    await waitFor(() => passes.length === 2, 'the second pass');
    expect(passes.map((pass) => pass.events)).toEqual([1, 2]);
    expect((passes[1]?.at ?? 0) - sent).toBeGreaterThanOrEqual(every);
    const [{ n }] = (await store.query<{ n: number }>(
      store.dialect.sql`SELECT count(*) AS n FROM events`,
    )) as [{ n: number }];
    expect(Number(n)).toBe(3);
  });
});
