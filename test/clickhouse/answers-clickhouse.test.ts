import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { clickhouse } from '../helpers/clickhouse.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * The same rows imported into DuckDB and into ClickHouse through the CLI (issue #18, item 8):
 * a user's and an account's timestamps are answered as the same ISO text by `strata serve`
 * (ClickHouse stores Int64 microseconds, and /v1/users answered those), and a file holding a
 * NUL in a key or a year outside the API's range is refused with the same rows named.
 */
const ACCOUNTS = 'account_id,name,created_at,renewal_at\nacme,Acme,2024-03-05T10:20:30.123456Z,\n';
const USERS = 'user_id,account_id,email,created_at\nu1,acme,ana@acme.test,2024-03-06T08:00:00.000999+01:00\n';

describe('DuckDB and ClickHouse answer and refuse alike', () => {
  it('gives the same ISO text for timestamps and names the same bad rows', async () => {
    const { single } = clickhouse();
    const [duck, house] = [tempDir('strata-answers-duck-'), tempDir('strata-answers-ch-')];
    writeFileSync(join(duck, 'strata.yaml'), 'segments: {}\n');
    writeFileSync(
      join(house, 'strata.yaml'),
      `store: { engine: clickhouse, url: "${single}", database: answers_${process.pid} }\nsegments: {}\n`,
    );
    const bad = {
      // Line 2: NUL in user_id (the key); line 3: NUL in account_id; line 4: year 0000.
      'users.csv': `user_id,account_id,created_at\nu\u00002,acme,2024-01-01\nu3,ac\u0000me,2024-01-01\nu4,acme,0000-01-01\n`,
      // Line 2: a NUL inside the properties JSON; line 3: a NUL in the event name.
      'events.csv':
        'account_id,event,ts,properties\nacme,login,2024-01-01,"{""k"":""\\u0000""}"\nacme,log\u0000in,2024-01-01,\n',
    };
    const refusals: Record<string, string>[] = [];
    for (const dir of [duck, house]) {
      writeFileSync(join(dir, 'accounts.csv'), ACCOUNTS);
      writeFileSync(join(dir, 'users.csv'), USERS);
      for (const table of ['accounts', 'users']) {
        const imported = runCli(['import', table, join(dir, `${table}.csv`), '-w', dir]);
        expect(imported.code, imported.stderr).toBe(0);
      }
      const named: Record<string, string> = {};
      for (const [name, text] of Object.entries(bad)) {
        writeFileSync(join(dir, `bad-${name}`), text);
        const imported = runCli([
          'import',
          name.split('.')[0] ?? '',
          join(dir, `bad-${name}`),
          '-w',
          dir,
          '--json',
        ]);
        expect(imported.code).toBe(1);
        const { details } = imported.json<{
          error: { details: { errors: { line: number; column: string }[] } };
        }>().error;
        named[name] = details.errors.map((e) => `${e.line}:${e.column}`).join(' ');
      }
      refusals.push(named);
    }
    const expected = {
      'users.csv': '2:user_id 3:account_id 4:created_at',
      'events.csv': '2:properties 3:event',
    };
    expect(refusals).toEqual([expected, expected]);

    const answers: unknown[] = [];
    for (const dir of [duck, house]) {
      const { key } = createKey(dir, 'read');
      const { child, url } = await serveProcess(dir);
      try {
        const response = await fetch(`${url}/v1/users/u1`, { headers: { authorization: `Bearer ${key}` } });
        expect(response.status).toBe(200);
        const body = (await response.json()) as {
          user: Record<string, unknown>;
          account: { account: Record<string, unknown> };
        };
        // Nothing of the refused files was stored.
        const u4 = await fetch(`${url}/v1/users/u4`, { headers: { authorization: `Bearer ${key}` } });
        expect(u4.status).toBe(404);
        answers.push({
          user: body.user.created_at,
          account: body.account.account.created_at,
          renewal: body.account.account.renewal_at,
        });
      } finally {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
    // 08:00:00.000999 at +01:00 is 07:00:00.000999Z; to the millisecond, as DuckDB's client gives it.
    const iso = { user: '2024-03-06T07:00:00.000Z', account: '2024-03-05T10:20:30.123Z', renewal: null };
    expect(answers).toEqual([iso, iso]);
  });
});
