import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Path parameters and query values that no stored text can equal (issue #18, item 8): a NUL
 * reached DuckDB and came back as a 500 (or a 404 quoting DuckDB), and `since=1` was read
 * by Date.parse as the year 2001. Each is a 400 naming the parameter; the CLI's --since and
 * --as-of take what the API takes.
 */
describe('hostile path parameters and query values', () => {
  it('are 400 answers naming the parameter, after the key is checked', async () => {
    const dir = tempDir('strata-params-');
    writeFileSync(join(dir, 'strata.yaml'), 'segments:\n  paying: { where: { trait: mrr, gt: 0 } }\n');
    writeFileSync(join(dir, 'accounts.csv'), 'account_id,created_at,mrr\nacme,2024-01-01,10\n');
    expect(runCli(['import', 'accounts', join(dir, 'accounts.csv'), '-w', dir]).code).toBe(0);
    expect(runCli(['run', '-w', dir, '--as-of', '2024-06-01']).code).toBe(0);
    const { key } = createKey(dir, 'read');
    const { child, url } = await serveProcess(dir);
    const get = async (path: string, withKey = true) => {
      const response = await fetch(`${url}${path}`, {
        headers: withKey ? { authorization: `Bearer ${key}` } : {},
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const nul = 'contains a NUL character (\\u0000), which cannot be stored';
    try {
      const refused: [path: string, field: string][] = [
        ['/v1/accounts/a%00b', 'id'],
        ['/v1/accounts/a%00b/history', 'id'],
        ['/v1/accounts/a%00b/explain', 'id'],
        ['/v1/accounts/acme/explain?segment=pay%00ing', 'segment'],
        ['/v1/users/u%00x', 'id'],
        ['/v1/segments/paying/members?search=a%00b', 'search'],
        ['/v1/segments/paying/members?sort=m%00', 'sort'],
        ['/v1/segments/pay%00ing/changes', 'id'],
        ['/v1/ab/t%00?event=login', 'test'],
      ];
      for (const [path, field] of refused) {
        const answer = await get(path);
        expect([path, answer.status, answer.body.error, answer.body.field]).toEqual([
          path,
          400,
          'invalid_parameter',
          field,
        ]);
        expect(answer.body.message).toBe(`${path}: ${field}: ${nul}`);
      }
      // A lone surrogate cannot be percent-encoded as UTF-8 (Fastify answers 400 for the
      // bytes of one), and a path parameter over 100 characters is a 414.
      expect((await get('/v1/accounts/a%ED%A0%80b')).status).toBe(400);
      expect((await get(`/v1/accounts/${'x'.repeat(5000)}`)).status).toBe(414);
      // Without a key the key is what is wrong.
      expect((await get('/v1/accounts/a%00b', false)).status).toBe(401);

      // `since`: an ISO date or time, or a window; nothing else (Date.parse read '1' as 2001).
      for (const since of ['1', '12', '2024-02-30', 'May 5 2024', '2024-1-1']) {
        const answer = await get(`/v1/segments/paying/changes?since=${encodeURIComponent(since)}`);
        expect([since, answer.status, answer.body.field]).toEqual([since, 400, 'since']);
      }
      const iso = await get('/v1/segments/paying/changes?since=2024-05-01T12:00:00%2B02:00');
      expect([iso.status, iso.body.since, iso.body.total]).toEqual([200, '2024-05-01T10:00:00.000Z', 1]);
      const window = await get('/v1/segments/paying/changes?since=30d');
      // 30 days back from the one clock's read time (the run of 2024-06-01), not from now.
      expect([window.status, window.body.since, window.body.total]).toEqual([
        200,
        '2024-05-02T00:00:00.000Z',
        1,
      ]);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }

    for (const [args, message] of [
      [['segments', 'changes', 'paying', '--since', '1'], '--since 1: expected an ISO date or time'],
      [['run', '--as-of', '2024-02-30'], '--as-of 2024-02-30: expected an ISO date or time'],
      [['webhooks', 'replay', '--since', 'May 5'], '--since May 5: expected an ISO date or time'],
    ] as const) {
      const run = runCli([...args, '-w', dir]);
      expect([args.join(' '), run.code, run.stderr]).toEqual([
        args.join(' '),
        1,
        expect.stringContaining(message),
      ]);
    }
  });
});
