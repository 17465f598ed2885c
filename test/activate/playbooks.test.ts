import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { startServer } from '../../src/server/serve.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Four hand-made accounts, two runs: `paying` holds a1, a2, a3 in run 1 and a4 joins in
 * run 2 (its MRR set by a second accounts file). Worklists, next actions and the matrix
 * below are worked out by hand from the playbook.
 */
describe('playbooks', () => {
  const dir = tempDir('strata-playbook-');
  const cli = (...args: string[]) => {
    const result = runCli([...args, '-w', dir, '--json']);
    if (result.code !== 0) throw new Error(result.stderr);
    return result.json<Record<string, unknown>>();
  };
  const account = (id: string, name: string, mrr: number) =>
    JSON.stringify({
      account_id: id,
      name,
      domain: `${id}.com`,
      created_at: '2024-01-01',
      employees: 10,
      plan: 'growth',
      mrr,
    });

  beforeAll(() => {
    writeFileSync(
      join(dir, 'accounts.ndjson'),
      [
        account('a1', 'One', 100),
        account('a2', 'Two', 300),
        account('a3', 'Three', 200),
        account('a4', 'Four', 0),
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'strata.yaml'),
      `store: { engine: duckdb, path: .strata/strata.duckdb }
sources:
  accounts: { file: accounts.ndjson }
segments:
  paying: { where: { metric: mrr, gt: 0 } }
  free: { where: { metric: mrr, eq: 0 } }
playbooks:
  paying: { owner: cs, touch: "1:2", cadence: weekly, channels: [email, call], goal: retain,
            message: "check value", offers: [ { kind: upsell, offer: "Pro, plan" } ], successMetrics: [mrr] }
`,
    );
    cli('import');
    cli('run', '--as-of', '2026-01-01');
    writeFileSync(
      join(dir, 'accounts.ndjson'),
      [
        account('a1', 'One', 100),
        account('a2', 'Two', 300),
        account('a3', 'Three', 200),
        account('a4', 'Four', 400),
      ].join('\n'),
    );
    cli('import');
    cli('run', '--as-of', '2026-02-01');
  });

  it("lists a segment's members by priority with their next action and the owners the touch model needs", () => {
    const list = cli('playbook', 'paying') as {
      accounts: number;
      ownersNeeded: number;
      members: {
        account_id: string;
        action: string;
        channel: string;
        due: string;
        owner: string;
        metrics: Record<string, number>;
      }[];
    };
    expect(list.accounts).toBe(4);
    expect(list.ownersNeeded).toBe(2); // 4 accounts at 1:2
    expect(
      list.members.map((m) => [m.account_id, m.action, m.channel, m.due, m.owner, m.metrics.mrr]),
    ).toEqual([
      // a4 entered in run 2: a first touch through the first channel, due at once.
      ['a4', 'first touch: check value', 'email', '2026-02-01', 'cs', 400],
      // The others: the weekly touch, channels in turn by position, due a week after the run.
      ['a2', 'weekly touch: check value', 'call', '2026-02-08', 'cs', 300],
      ['a3', 'weekly touch: check value', 'email', '2026-02-08', 'cs', 200],
      ['a1', 'weekly touch: check value', 'call', '2026-02-08', 'cs', 100],
    ]);
    const unknown = runCli(['playbook', 'free', '-w', dir]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/segment 'free' has no playbook/);
  });

  it('writes the strategy matrix as CSV and Markdown', () => {
    cli('playbook', '--matrix', '--format', 'csv', '--out', join(dir, 'matrix.csv'));
    expect(readFileSync(join(dir, 'matrix.csv'), 'utf8').trim().split('\n')).toEqual([
      'segment,framework,accounts,MRR,owner,touch,owners needed,cadence,channels,goal,message,offers,success metrics',
      'paying,,4,1000,cs,1:2,2,weekly,"email, call",retain,check value,"upsell: Pro, plan",mrr',
    ]);
    cli('playbook', '--matrix', '--format', 'md', '--out', join(dir, 'matrix.md'));
    expect(readFileSync(join(dir, 'matrix.md'), 'utf8').trim().split('\n')[2]).toBe(
      '| paying |  | 4 | 1000 | cs | 1:2 | 2 | weekly | email, call | retain | check value | upsell: Pro, plan | mrr |',
    );
  });

  it('serves segments, pages of members and account profiles with their next action (read keys)', async () => {
    const read = createKey(dir, 'read').key;
    const write = createKey(dir, 'write').key;
    const workspace = loadWorkspace(dir);
    const store = await openStore(workspace);
    const server = await startServer({ workspace, store, port: 0 });
    try {
      const get = async (path: string, key = read) => {
        const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      const segments = await get('/v1/segments');
      expect(segments.body).toMatchObject({
        runId: 2,
        segments: [
          { id: 'paying', accounts: 4 },
          { id: 'free', accounts: 0 },
        ],
      });
      const page = await get('/v1/segments/paying/members?limit=2&offset=1&sort=mrr');
      expect(page.body).toMatchObject({ total: 4, limit: 2, offset: 1 });
      expect((page.body.members as { account_id: string }[]).map((m) => m.account_id)).toEqual(['a2', 'a3']);
      expect((await get('/v1/segments/paying/members?limit=5000')).status).toBe(400);
      expect((await get('/v1/segments/payin/members')).body.message).toMatch(/did you mean 'paying'/);
      const profile = await get('/v1/accounts/a4');
      expect(profile.body).toMatchObject({
        account: { account_id: 'a4', name: 'Four', mrr: 400 },
        run: { runId: 2 },
        segments: ['paying'],
        metrics: { mrr: 400 },
        playbooks: [
          {
            segment: 'paying',
            owner: 'cs',
            next: { action: 'first touch: check value', channel: 'email', due: '2026-02-01' },
          },
        ],
      });
      expect((await get('/v1/accounts/nobody')).status).toBe(404);
      // Why a4 is in paying and not in free: its MRR (400) against each threshold.
      const why = await get('/v1/accounts/a4/explain');
      expect(why.body).toMatchObject({
        account: 'a4',
        runId: 2,
        segments: [
          { segment: 'paying', member: true, tree: { value: '400', text: 'metric mrr = 400, needs > 0' } },
          { segment: 'free', member: false, tree: { value: '400', text: 'metric mrr = 400, needs = 0' } },
        ],
      });
      const one = await get('/v1/accounts/a4/explain?segment=free');
      expect((one.body.segments as { segment: string }[]).map((s) => s.segment)).toEqual(['free']);
      expect((await get('/v1/accounts/a4/explain?segment=fre')).body.message).toMatch(/did you mean 'free'/);
      expect((await get('/v1/accounts/nobody/explain')).status).toBe(404);
      // Run 1 again: the re-imported accounts file changed a4's MRR in place (no trait
      // history), so the evaluation now finds it paying and shows run 1's stored verdict beside.
      expect((await get('/v1/accounts/a4/explain?run=1')).body).toMatchObject({
        runId: 1,
        segments: [
          { segment: 'paying', member: true, storedMember: false },
          { segment: 'free', member: false, storedMember: true },
        ],
      });
      expect((await get('/v1/accounts/a4/explain?run=9')).status).toBe(404);
      // a4's timeline: free from the first run; in run 2 its MRR went 0 -> 400.
      const history = await get('/v1/accounts/a4/history');
      expect(history.body).toMatchObject({
        account: 'a4',
        runs: [
          {
            runId: 1,
            segments: ['free'],
            changes: [{ segment: 'free', change: 'entered', cause: 'first_run' }],
          },
          {
            runId: 2,
            segments: ['paying'],
            changes: [
              {
                segment: 'paying',
                change: 'entered',
                cause: 'data',
                reasons: [
                  {
                    path: 'where',
                    text: 'metric mrr = 400, needs > 0',
                    before: { holds: false, value: '0' },
                    after: { holds: true, value: '400' },
                  },
                ],
              },
              { segment: 'free', change: 'exited', cause: 'data', reasons: [{ path: 'where' }] },
            ],
          },
        ],
      });
      expect((await get('/v1/accounts/nobody/history')).status).toBe(404);
      const changes = await get('/v1/segments/paying/changes?since=2026-01-15');
      expect(changes.body).toMatchObject({
        segment: 'paying',
        total: 1,
        changes: [{ runId: 2, account_id: 'a4', change: 'entered', cause: 'data' }],
      });
      expect((await get('/v1/segments/paying/changes?limit=2')).body).toMatchObject({
        total: 4,
        changes: [
          { runId: 2, account_id: 'a4' },
          { runId: 1, account_id: 'a1', cause: 'first_run' },
        ],
      });
      expect((await get('/v1/segments/paying/changes?since=soon')).status).toBe(400);
      expect((await get('/v1/segments/payin/changes')).body.message).toMatch(/did you mean 'paying'/);
      // A group call renames a4: the profile shows it once the log is applied.
      const renamed = await fetch(`${server.url}/v1/group`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${write}` },
        body: JSON.stringify({ userId: 'u4', groupId: 'a4', traits: { name: 'Four Inc' } }),
      });
      expect(renamed.status).toBe(200);
      await server.applyNow();
      expect((await get('/v1/accounts/a4')).body).toMatchObject({
        account: { name: 'Four Inc', mrr: 400 },
        segments: ['paying'],
      });
      // The group call linked user u4 to a4: their profile carries the account's.
      expect((await get('/v1/users/u4')).body).toMatchObject({
        user: { user_id: 'u4', account_id: 'a4' },
        account: { account: { name: 'Four Inc' }, segments: ['paying'] },
      });
      expect((await get('/v1/users/nobody')).status).toBe(404);
      expect((await get('/v1/accounts/a4', write)).status).toBe(403);
    } finally {
      await server.stop();
      await store.close();
    }
  });
});
