import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { startServer } from '../../src/server/serve.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('rate limits', () => {
  it('answers 429 past the limit of a key, counting each key apart', async () => {
    const dir = tempDir('strata-rate-');
    expect(runCli(['init', '-w', dir, '--json']).code).toBe(0);
    const [first, second] = [createKey(dir, 'write').key, createKey(dir, 'write').key];
    const workspace = loadWorkspace(dir);
    const store = await openStore(workspace);
    const server = await startServer({ workspace, store, port: 0, rateLimit: 5 });
    try {
      const track = (key: string) =>
        fetch(`${server.url}/v1/track`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ userId: 'u', event: 'e' }),
        });
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await track(first)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const limited = await track(first);
      expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
      expect(limited.headers.get('retry-after')).not.toBeNull();
      // Another key has its own budget.
      expect((await track(second)).status).toBe(200);
    } finally {
      await server.stop();
      await store.close();
    }
  });
});
