import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess, waitForApplied } from '../helpers/serve-process.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Traits and properties named like Object.prototype's members (issue #18, item 7) are data.
 * Before, a trait `constructor` was stored under the key "function Object() { [native code] }"
 * (the inherited function was taken for a column name), and `__proto__` vanished.
 */
describe('strata serve stores traits named like prototype members', () => {
  it('keeps constructor, toString, valueOf, hasOwnProperty and __proto__ as sent', async () => {
    const dir = tempDir('strata-proto-');
    expect(runCli(['init', '-w', dir, '--json']).code).toBe(0);
    const { key } = createKey(dir, 'write');
    const { child, url } = await serveProcess(dir);
    const post = (path: string, body: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      });
    try {
      // Written as text: an object literal's __proto__ would set a prototype, not a key.
      const traits =
        '{"name":"Acme","constructor":"c","toString":"t","valueOf":"v","hasOwnProperty":"h","__proto__":"p"}';
      const group = await post('/v1/group', `{"userId":"u1","groupId":"acme","traits":${traits}}`);
      expect(group.status).toBe(200);
      const track = await post(
        '/v1/track',
        '{"userId":"u1","event":"login","messageId":"e1","properties":{"__proto__":{"polluted":true},"constructor":"c"}}',
      );
      expect(track.status).toBe(200);
      await waitForApplied(url);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    const store = await openStore(loadWorkspace(dir, { metricsOnly: true }));
    try {
      const [account] = await store.query<{ name: string; traits: string }>(
        sql`SELECT name, CAST(traits AS VARCHAR) AS traits FROM accounts`,
      );
      expect(account?.name).toBe('Acme');
      // Compared as text: JSON.parse would turn the "__proto__" key into a prototype again.
      expect(account?.traits).toBe(
        '{"constructor":"c","toString":"t","valueOf":"v","hasOwnProperty":"h","__proto__":"p"}',
      );
      const history = await store.query<{ trait: string; value: string }>(
        sql`SELECT trait, value FROM trait_history WHERE trait <> 'name' ORDER BY trait`,
      );
      expect(history).toEqual(
        [
          { trait: '__proto__', value: 'p' },
          { trait: 'constructor', value: 'c' },
          { trait: 'hasOwnProperty', value: 'h' },
          { trait: 'toString', value: 't' },
          { trait: 'valueOf', value: 'v' },
        ].sort((a, b) => (a.trait < b.trait ? -1 : 1)),
      );
      const [event] = await store.query<{ properties: string }>(
        sql`SELECT CAST(properties AS VARCHAR) AS properties FROM events`,
      );
      expect(event?.properties).toBe('{"__proto__":{"polluted":true},"constructor":"c"}');
    } finally {
      await store.close();
    }
  });
});
