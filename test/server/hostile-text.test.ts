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
 * Text that can be acknowledged but never stored (issue #18, item 1): a NUL, a lone UTF-16
 * surrogate, a 5,000-deep object. Once acknowledged, such a message stopped the apply loop
 * for good and everything sent after it waited forever. At the door it is refused with a 400
 * naming the field, and the server goes on applying valid messages.
 */
const NUL = '\u0000';
const HIGH = '\ud800';

describe('strata serve refuses text it could not store', () => {
  it('answers 400 naming the field for NUL, lone surrogates and deep nesting, and keeps applying the rest', async () => {
    const dir = tempDir('strata-hostile-');
    expect(runCli(['init', '-w', dir, '--json']).code).toBe(0);
    const { key } = createKey(dir, 'write');
    const { child, url } = await serveProcess(dir);
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
        },
        // JSON.stringify writes NUL as \u0000 and a lone surrogate as \ud800, as clients send them.
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return {
        status: response.status,
        body: (await response.json()) as { field?: string; message?: string },
      };
    };
    // 5,000 levels: written as text, deeper than JSON.stringify's stack goes.
    const deep = `{"userId":"u1","event":"login","properties":${'{"d":'.repeat(5000)}1${'}'.repeat(5000)}}`;

    const refused: [string, unknown, string][] = [
      ['/v1/identify', { userId: `u${NUL}x`, messageId: 'm1', traits: {} }, 'userId'],
      ['/v1/group', { userId: 'u1', groupId: `acme${HIGH}`, traits: {} }, 'groupId'],
      ['/v1/track', { userId: 'u1', event: 'login', properties: { [`k${HIGH}`]: 1 } }, 'properties.k\\ud800'],
      ['/v1/identify', { userId: 'u1', traits: { address: { city: `Lyon${NUL}` } } }, 'traits.address.city'],
      ['/v1/track', { userId: 'u1', event: `log${NUL}in` }, 'event'],
      ['/v1/track', { userId: 'u1', event: 'login', context: { groupId: `a${HIGH}b` } }, 'context.groupId'],
      [
        '/v1/batch',
        {
          batch: [
            { type: 'track', userId: 'u1', event: 'ok' },
            { type: 'track', userId: 'u1', event: `x${NUL}` },
          ],
        },
        'batch[1].event',
      ],
    ];
    try {
      for (const [path, body, field] of refused) {
        const answer = await post(path, body);
        expect({ path, status: answer.status, field: answer.body.field }).toEqual({
          path,
          status: 400,
          field,
        });
        expect(answer.body.message).toMatch(/NUL|surrogate/);
      }
      const nested = await post('/v1/track', deep);
      expect(nested.status).toBe(400);
      expect(nested.body.message).toMatch(/nested more than 32 levels deep/);

      // What can be stored still is, emoji (a whole surrogate pair) and all.
      expect(
        (await post('/v1/group', { userId: 'u1', groupId: 'acme', traits: { name: 'Acme 🚀' } })).status,
      ).toBe(200);
      expect(
        (
          await post('/v1/track', {
            userId: 'u1',
            event: 'login',
            messageId: 'ok-1',
            properties: { mood: '🙂' },
          })
        ).status,
      ).toBe(200);
      expect((await waitForApplied(url)).failure).toBeNull();
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    const store = await openStore(loadWorkspace(dir, { metricsOnly: true }));
    try {
      const events = await store.query<{ event_id: string; account_id: string; mood: string }>(
        // The track call names no group: stored without an account, it counts for its user's.
        sql`SELECT event_id, coalesce(nullif(e.account_id, ''), u.account_id) AS account_id,
          json_extract_string(properties, '$.mood') AS mood FROM events e LEFT JOIN users u USING (user_id)`,
      );
      expect(events).toEqual([{ event_id: 'ok-1', account_id: 'acme', mood: '🙂' }]);
      const accounts = await store.query<{ account_id: string; name: string }>(
        sql`SELECT account_id, name FROM accounts`,
      );
      expect(accounts).toEqual([{ account_id: 'acme', name: 'Acme 🚀' }]);
    } finally {
      await store.close();
    }
  });
});
