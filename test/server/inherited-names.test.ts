import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Names every JavaScript object inherits (issue #18, item 7). `name in schedules` found
 * `toString`, so `POST /v1/admin/schedules/toString/run` made a full run with no webhook
 * subscribed, and the next real schedule compared against it: its entries and exits were
 * never sent. A segment named `toString` without a playbook was listed with one.
 */
const fixtures = join(import.meta.dirname, '..', 'fixtures');

describe('names every object inherits', () => {
  it('are unknown to the admin and read routes and to the CLI, and fine as declared names', async () => {
    const dir = tempDir('strata-inherited-');
    writeFileSync(
      join(dir, 'strata.yaml'),
      `segments:
  toString: { where: { trait: plan, eq: enterprise } }
  valueOf: { parent: toString, where: { trait: mrr, gt: 100 } }
playbooks:
  valueOf: { owner: cs }
schedules:
  nightly: { cron: "0 2 * * *" }
funnels:
  signup: { steps: [signed_up, invited] }
`,
    );
    const { key } = createKey(dir, 'admin');
    const { child, url } = await serveProcess(dir);
    const call = async (method: string, path: string) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    try {
      for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
        const ran = await call('POST', `/v1/admin/schedules/${name}/run`);
        expect([name, ran.status, ran.body.message]).toEqual([
          name,
          404,
          `no schedule '${name}' in strata.yaml`,
        ]);
        expect((await call('GET', `/v1/funnels/${name}`)).status).toBe(404);
      }
      // None of them ran: the scheduled run is the first.
      const segments = await call('GET', '/v1/segments');
      expect(segments.body.runId).toBeNull();
      expect(segments.body.segments).toEqual([
        { id: 'toString', framework: null, parent: null, accounts: null, playbook: null },
        { id: 'valueOf', framework: null, parent: 'toString', accounts: null, playbook: { owner: 'cs' } },
      ]);
      const nightly = await call('POST', '/v1/admin/schedules/nightly/run');
      expect([nightly.status, nightly.body.runId]).toEqual([200, 1]);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }

    const list = runCli(['segments', 'list', '-w', dir, '--json']);
    expect(list.code).toBe(0);
    expect(
      list
        .json<{ segments: { segment: string; playbook: boolean }[] }>()
        .segments.map((s) => [s.segment, s.playbook]),
    ).toEqual([
      ['toString', false],
      ['valueOf', true],
    ]);
    const funnel = runCli(['analyze', 'funnel', 'constructor', '-w', dir]);
    expect([funnel.code, funnel.stderr]).toEqual([1, "error: no funnel 'constructor' in strata.yaml\n"]);
    const table = runCli(['import', 'toString', join(fixtures, 'accounts.csv'), '-w', dir]);
    expect([table.code, table.stderr]).toEqual([
      1,
      expect.stringContaining("error: unknown table 'toString' (tables: accounts,"),
    ]);
    // `--map __proto__=id` used to set the map's prototype and vanish; now it is an unknown column.
    const map = runCli([
      'import',
      'accounts',
      join(fixtures, 'accounts.csv'),
      '--map',
      '__proto__=id',
      '-w',
      dir,
    ]);
    expect([map.code, map.stderr]).toEqual([
      1,
      expect.stringContaining("--map __proto__=id: '__proto__' is not a column of accounts"),
    ]);
  });
});
