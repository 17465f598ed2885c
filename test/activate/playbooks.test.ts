import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NEXT_ACTION_RULE, rankActions } from '../../src/activate/playbooks.js';
import { AccountProfile } from '../../src/contract/read-answers.js';
import { createKey } from '../../src/server/api-keys.js';
import { startServer } from '../../src/server/serve.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Four hand-made accounts, two runs: `paying` holds a1, a2, a3 in run 1 and a4 joins in
 * run 2 (its MRR set by a second accounts file). Worklists, next actions and the matrix
 * below are worked out by hand from the playbook.
 */
// The commands run in this process (helpers/in-process-cli.ts): their answers and printed text
// are the point, not the process around them, and a process start costs half a second.
describe('playbooks', () => {
  const dir = tempDir('strata-playbook-');
  const cli = async (...args: string[]) => {
    const result = await cliInProcess([...args, '-w', dir, '--json']);
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

  beforeAll(async () => {
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
    await cli('import');
    await cli('run', '--as-of', '2026-01-01');
    writeFileSync(
      join(dir, 'accounts.ndjson'),
      [
        account('a1', 'One', 100),
        account('a2', 'Two', 300),
        account('a3', 'Three', 200),
        account('a4', 'Four', 400),
      ].join('\n'),
    );
    await cli('import');
    await cli('run', '--as-of', '2026-02-01');
  });

  it("lists a segment's members by priority with their next action and the owners the touch model needs", async () => {
    const list = (await cli('playbook', 'paying')) as {
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
    const unknown = await cliInProcess(['playbook', 'free', '-w', dir]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/segment 'free' has no playbook/);
  });

  it('writes the strategy matrix as CSV and Markdown', async () => {
    await cli('playbook', '--matrix', '--format', 'csv', '--out', join(dir, 'matrix.csv'));
    expect(readFileSync(join(dir, 'matrix.csv'), 'utf8').trim().split('\n')).toEqual([
      'segment,framework,accounts,MRR,owner,touch,owners needed,cadence,channels,goal,message,offers,success metrics',
      'paying,,4,1000,cs,1:2,2,weekly,"email, call",retain,check value,"upsell: Pro, plan",mrr',
    ]);
    await cli('playbook', '--matrix', '--format', 'md', '--out', join(dir, 'matrix.md'));
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
          // MRR is money: its words in the workspace's currency (USD), its value a number.
          {
            segment: 'paying',
            member: true,
            tree: { value: 400, text: 'metric mrr = $400.00, needs > $0.00' },
          },
          {
            segment: 'free',
            member: false,
            tree: { value: 400, text: 'metric mrr = $400.00, needs = $0.00' },
          },
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
                    text: 'metric mrr = $400.00, needs > $0.00',
                    before: { holds: false, value: 0, shown: '$0.00' },
                    after: { holds: true, value: 400, shown: '$400.00' },
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

/*
 * The rule for one next action per account (NEXT_ACTION_RULE), worked by hand on a small
 * workspace. Schemes, in strata.yaml order: value [high, paying, free], size [big, small,
 * high]; extra and watch are in no scheme. Playbooks, in order: extra, watch, small (rank 2),
 * paying, high (rank 3), big (rank 3), free (rank 1); unsized has none.
 *   b1 mrr 500, 500 people: big, paying, high, extra. high and big tie at rank 3; high is in
 *      the first scheme (value), big only in the second: high, big, then the unranked paying
 *      (value 2 of 3) and extra (no scheme: after every scheme's segments).
 *   b2 mrr 50, 5 people: paying, small, watch, extra: small (rank 2), paying (value 2 of 3),
 *      extra and watch in the order of playbooks: (1 and 2 of 7).
 *   b3 mrr 0, 20 people: free, small, watch, extra: free (rank 1), small (rank 2), extra, watch.
 *   b4 mrr 30, no head count: paying, watch, unsized: paying (value 2 of 3), watch.
 *   b5 nothing known: unsized only, which has no playbook: no next action.
 * One run, so every action is a first touch due at the run's time (2026-03-01).
 */
describe('one next action per account', () => {
  const dir = tempDir('strata-next-action-');
  const cli = async (...args: string[]) => {
    const result = await cliInProcess([...args, '-w', dir]);
    if (result.code !== 0) throw new Error(result.stderr);
    return result;
  };
  const json = async <T>(...args: string[]) => (await cli(...args, '--json')).json<T>();
  const due = '2026-03-01';
  const act = (segment: string, owner: string, what: string, goal: string | null, reason: string) => ({
    segment,
    owner,
    action: `first touch: ${what}`,
    channel: 'any',
    due,
    goal,
    reason,
  });
  const expected = {
    b1: {
      primary: act('high', 'cs', 'expand', 'expand', 'rank 3, then value order 1 of 3'),
      secondary: [
        act('big', 'am', 'check in', null, 'rank 3, then size order 1 of 3'),
        act('paying', 'cs', 'retain', 'retain', 'no rank, value order 2 of 3'),
        act('extra', 'ops', 'check in', null, 'no rank, playbooks order 1 of 7'),
      ],
    },
    b2: {
      primary: act('small', 'sales', 'check in', null, 'rank 2'),
      secondary: [
        act('paying', 'cs', 'retain', 'retain', 'no rank, value order 2 of 3'),
        act('extra', 'ops', 'check in', null, 'no rank, playbooks order 1 of 7'),
        act('watch', 'cs', 'rescue', 'rescue', 'no rank, playbooks order 2 of 7'),
      ],
    },
    b3: {
      primary: act('free', 'growth', 'check in', null, 'rank 1'),
      secondary: [
        act('small', 'sales', 'check in', null, 'rank 2'),
        act('extra', 'ops', 'check in', null, 'no rank, playbooks order 1 of 7'),
        act('watch', 'cs', 'rescue', 'rescue', 'no rank, playbooks order 2 of 7'),
      ],
    },
    b4: {
      primary: act('paying', 'cs', 'retain', 'retain', 'value order 2 of 3'),
      secondary: [act('watch', 'cs', 'rescue', 'rescue', 'playbooks order 2 of 7')],
    },
    b5: { primary: null, secondary: [] },
  };

  beforeAll(async () => {
    const account = (id: string, mrr: number | null, employees: number | null) =>
      JSON.stringify({ account_id: id, name: id.toUpperCase(), created_at: '2025-01-01', mrr, employees });
    writeFileSync(
      join(dir, 'accounts.ndjson'),
      [
        account('b1', 500, 500),
        account('b2', 50, 5),
        account('b3', 0, 20),
        account('b4', 30, null),
        account('b5', null, null),
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'strata.yaml'),
      `store: { engine: duckdb, path: .strata/strata.duckdb }
sources:
  accounts: { file: accounts.ndjson }
metrics:
  health: { score: [ { metric: mrr, weight: 1, bad: 0, good: 300 } ] }
segments:
  big: { where: { trait: employees, gte: 100 } }
  small: { where: { trait: employees, lt: 100 } }
  paying: { where: { metric: mrr, gt: 0 } }
  high: { where: { metric: mrr, gte: 100 } }
  free: { where: { metric: mrr, eq: 0 } }
  watch: { where: { metric: mrr, lte: 50 } }
  extra: { where: { trait: employees, gte: 1 } }
  unsized: { where: { trait: employees, exists: false } }
schemes:
  value: { order: [high, paying, free] }
  size: { order: [big, small, high] }
playbooks:
  extra: { owner: ops }
  watch: { owner: cs, cadence: daily, goal: rescue }
  small: { owner: sales, rank: 2 }
  paying: { owner: cs, cadence: monthly, goal: retain, successMetrics: [health] }
  high: { owner: cs, cadence: weekly, goal: expand, rank: 3 }
  big: { owner: am, rank: 3 }
  free: { owner: growth, rank: 1 }
settings: { currency: EUR }
`,
    );
    await cli('import');
    await cli('run', '--as-of', due);
  });

  it('ranks by rank, then the schemes in order, then the playbooks section (pure rule)', async () => {
    const config = {
      schemes: { value: { order: ['high', 'paying', 'free'] }, size: { order: ['big', 'small', 'high'] } },
      playbooks: {
        extra: {},
        watch: {},
        small: { rank: 2 },
        paying: {},
        high: { rank: 3 },
        big: { rank: 3 },
      },
    };
    expect(rankActions(['extra', 'paying', 'big', 'high', 'unsized', 'high'], config)).toEqual([
      { segment: 'high', reason: 'rank 3, then value order 1 of 3' },
      { segment: 'big', reason: 'rank 3, then size order 1 of 3' },
      { segment: 'paying', reason: 'no rank, value order 2 of 3' },
      { segment: 'extra', reason: 'no rank, playbooks order 1 of 6' },
    ]);
    // The demo's cs_tiers: an account in at_risk, stable and strategic is at_risk's first.
    const demo = {
      schemes: {
        cs_tiers: { order: ['at_risk', 'strategic', 'growth', 'stable'] },
        company_size: { order: ['enterprise', 'mid_market', 'smb'] },
      },
      playbooks: { at_risk: {}, strategic: {}, growth: {}, stable: {}, trial: {} },
    };
    expect(rankActions(['stable', 'strategic', 'at_risk', 'enterprise'], demo)).toEqual([
      { segment: 'at_risk', reason: 'cs_tiers order 1 of 4' },
      { segment: 'strategic', reason: 'cs_tiers order 2 of 4' },
      { segment: 'stable', reason: 'cs_tiers order 4 of 4' },
    ]);
    // A rank puts stable first; segments without a playbook and no segments give nothing.
    const ranked = { ...demo, playbooks: { ...demo.playbooks, stable: { rank: 1 } } };
    expect(rankActions(['at_risk', 'stable'], ranked).map((r) => r.segment)).toEqual(['stable', 'at_risk']);
    expect(rankActions(['enterprise'], demo)).toEqual([]);
    expect(rankActions([], { schemes: {}, playbooks: null })).toEqual([]);
    // Two segments in no scheme with the same rank: the order of playbooks:, not their ids.
    expect(
      rankActions(['b', 'a'], { schemes: {}, playbooks: { b: { rank: 1 }, a: { rank: 1 } } }).map(
        (r) => r.segment,
      ),
    ).toEqual(['b', 'a']);
  });

  it("gives each account's primary action and its secondary ones (strata playbook --account)", async () => {
    // Through the CLI, the three shapes (a tie of ranks, no rank at all, no playbook); the API below checks all five.
    for (const id of ['b1', 'b4', 'b5'] as const) {
      const want = expected[id];
      const answer = await json<{ account_id: string; nextAction: unknown }>('playbook', '--account', id);
      expect({ id, nextAction: answer.nextAction }).toEqual({
        id,
        nextAction: { ...want, rule: NEXT_ACTION_RULE },
      });
    }
    const text = (await cli('playbook', '--account', 'b2')).stdout;
    expect(text).toMatch(/^primary\s+small\s+first touch: check in\s+any\s+2026-03-01\s+sales\s+rank 2$/m);
    expect(text).toMatch(/^secondary\s+watch\s+first touch: rescue .*playbooks order 2 of 7$/m);
    const unknown = await cliInProcess(['playbook', '--account', 'nobody', '-w', dir]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no account 'nobody' in run 1/);
    expect((await cliInProcess(['playbook', 'paying', '--account', 'b1', '-w', dir])).stderr).toMatch(
      /without a segment/,
    );
  });

  it('marks each worklist row primary or secondary, with the segment whose action is primary', async () => {
    const list = await json<{
      members: {
        account_id: string;
        primary: boolean;
        primarySegment: string;
        reason: string;
        metrics: { health: number };
      }[];
    }>('playbook', 'paying');
    // Highest MRR first: b1 (500), b2 (50), b4 (30).
    expect(list.members.map((m) => [m.account_id, m.primary, m.primarySegment, m.reason])).toEqual([
      ['b1', false, 'high', 'no rank, value order 2 of 3'],
      ['b2', false, 'small', 'no rank, value order 2 of 3'],
      ['b4', true, 'paying', 'value order 2 of 3'],
    ]);
    // Health: MRR scaled from 0 (bad) to 300 (good), clamped: 100, 50/3 and 10; full precision in JSON.
    expect(list.members.map((m) => m.metrics.health)).toEqual([100, expect.closeTo(50 / 3, 10), 10]);
    // In the table: money in the workspace's currency (EUR), health to one decimal.
    const rows = (await cli('playbook', 'paying')).stdout.split('\n');
    expect(rows.find((r) => r.startsWith('b1'))).toMatch(
      /^b1\s+B1\s+€500\.00\s+.*secondary to high's\s+100\.0$/,
    );
    expect(rows.find((r) => r.startsWith('b2'))).toMatch(/€50\.00 .*secondary to small's\s+16\.7$/);
    expect(rows.find((r) => r.startsWith('b4'))).toMatch(/€30\.00 .*\bprimary\s+10\.0$/);
  });

  it('serves the same primary and secondary actions in the profile, its playbooks in rule order', async () => {
    const read = createKey(dir, 'read').key;
    const workspace = loadWorkspace(dir);
    const store = await openStore(workspace);
    const server = await startServer({ workspace, store, port: 0 });
    try {
      for (const [id, want] of Object.entries(expected)) {
        const response = await fetch(`${server.url}/v1/accounts/${id}`, {
          headers: { authorization: `Bearer ${read}` },
        });
        const profile = (await response.json()) as AccountProfile;
        expect({ id, nextAction: profile.nextAction }).toEqual({
          id,
          nextAction: { ...want, rule: NEXT_ACTION_RULE },
        });
        const order = want.primary ? [want.primary, ...want.secondary].map((a) => a.segment) : [];
        expect(profile.playbooks.map((p) => p.segment)).toEqual(order);
        expect(AccountProfile.safeParse(profile).error?.issues ?? []).toEqual([]);
      }
    } finally {
      await server.stop();
      await store.close();
    }
  });
});
