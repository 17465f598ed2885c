import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { explainMembership } from '../../src/engine/explain-membership.js';
import { accountTimeline, segmentChanges } from '../../src/engine/membership-timeline.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Three runs with a definition change between the second and the third.
 *
 *   version 1: active = any[ sessions_30d >= 3, performed demo_booked in 30d ]
 *              big = employees >= 100; big_active = parent big, where segment active
 *   version 2: active's threshold raised to sessions_30d >= 5 (big unchanged)
 *
 * Data (sessions = session_start events; e's head count changes on 2024-03-20):
 *   a  500 employees   3 sessions Feb 10-12, 1 on Mar 10
 *   b   50 employees   4 sessions Mar 5-8
 *   c  200 employees   demo_booked Feb 20, 4 sessions Mar 10-13
 *   d 1000 employees   created 2024-03-15, 5 sessions Mar 20-24
 *   e   80 -> 150      5 sessions Feb 20-24, 5 sessions Mar 20-24
 *
 * Run 1, 2024-03-01, v1 (30 days: after Jan 31): a active by any[0] (3), c by any[1] (1
 *   demo), e by any[0] (5); big a, c; big_active a, c. d does not exist yet. All first_run.
 * Run 2, 2024-04-01, v1 (after Mar 2):
 *   a exits active: any[0] 3 -> 1 (true -> false); exits big_active: where (segment active) true -> false.
 *   b enters active: any[0] 0 -> 4 (false -> true).
 *   c stays: any[0] false -> true and any[1] true -> false, still a member: no change.
 *   d enters big, active, big_active: new_account.
 *   e enters big: where (employees) now 150, false -> true (a run keeps no trait values, so
 *   the 80 before is not known); enters big_active: parent false -> true.
 * Run 3, 2024-04-01, v2: b and c (4 sessions < 5) exit active, c exits big_active
 *   (built on active): definition. big has no change.
 */
// The commands run in this process (helpers/in-process-cli.ts): their answers and printed text
// are the point, not the process around them, and a process start costs half a second.
const dir = tempDir('strata-timeline-');
const VERSION_1 = `store: { engine: duckdb, path: .strata/strata.duckdb }
metrics:
  sessions: { count: { event: session_start }, within: 30d }
segments:
  big: { where: { trait: employees, gte: 100 } }
  active: { where: { any: [ { metric: sessions, gte: 3 }, { performed: demo_booked, within: 30d } ] } }
  big_active: { parent: big, where: { segment: active } }
`;
const VERSION_2 = VERSION_1.replace('{ metric: sessions, gte: 3 }', '{ metric: sessions, gte: 5 }');

const day = (date: string, hour = 12) => `TIMESTAMP '${date} ${String(hour).padStart(2, '0')}:00:00'`;
const days = (from: string, n: number) =>
  Array.from({ length: n }, (_, i) =>
    new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10),
  );

async function seed(store: Store) {
  await store.execute(sql`INSERT INTO accounts (account_id, created_at, employees) VALUES
    ('a', '2024-01-01', 500), ('b', '2024-01-01', 50), ('c', '2024-01-01', 200),
    ('d', '2024-03-15', 1000), ('e', '2024-01-01', 150)`);
  await store.execute(sql`INSERT INTO trait_history (account_id, trait, value, ts, source) VALUES
    ('e', 'employees', '80', '2024-01-01', 'crm'), ('e', 'employees', '150', '2024-03-20', 'crm')`);
  const events: [string, string, string][] = [
    ...days('2024-02-10', 3).map((d): [string, string, string] => ['a', 'session_start', d]),
    ['a', 'session_start', '2024-03-10'],
    ...days('2024-03-05', 4).map((d): [string, string, string] => ['b', 'session_start', d]),
    ['c', 'demo_booked', '2024-02-20'],
    ...days('2024-03-10', 4).map((d): [string, string, string] => ['c', 'session_start', d]),
    ...days('2024-03-20', 5).map((d): [string, string, string] => ['d', 'session_start', d]),
    ...days('2024-02-20', 5).map((d): [string, string, string] => ['e', 'session_start', d]),
    ...days('2024-03-20', 5).map((d): [string, string, string] => ['e', 'session_start', d]),
  ];
  await store.execute(
    testSql(
      `INSERT INTO events (event_id, account_id, event, ts) VALUES ${events
        .map(([account, event, date], i) => `('e${i}', '${account}', '${event}', ${day(date)})`)
        .join(', ')}`,
    ),
  );
}

beforeAll(async () => {
  writeFileSync(join(dir, 'strata.yaml'), VERSION_1);
  let workspace = loadWorkspace(dir);
  const store = await openStore(workspace);
  try {
    await seed(store);
    await runWorkspace(store, workspace, new Date('2024-03-01T00:00:00Z'));
    await runWorkspace(store, workspace, new Date('2024-04-01T00:00:00Z'));
    writeFileSync(join(dir, 'strata.yaml'), VERSION_2);
    workspace = loadWorkspace(dir);
    await runWorkspace(store, workspace, new Date('2024-04-01T00:00:00Z'));
  } finally {
    await store.close();
  }
});

/** Changes as compact rows: [segment, change, cause, [path, before, after, value before, value after]...]. */
const compact = (
  changes: readonly {
    segment: string;
    change: string;
    cause: string;
    reasons: readonly {
      path: string;
      before: { holds: boolean; value: number | string | null };
      after: { holds: boolean; value: number | string | null };
    }[];
  }[],
) =>
  changes.map((c) => [
    c.segment,
    c.change,
    c.cause,
    ...c.reasons.map((r) => [
      r.path,
      r.before.holds,
      r.after.holds,
      // Typed as numbers (3, not '3'): the leaves compare numbers.
      r.before.value,
      r.after.value,
    ]),
  ]);

async function withStore<T>(work: (store: Store, workspace: ReturnType<typeof loadWorkspace>) => Promise<T>) {
  const workspace = loadWorkspace(dir);
  const store = await openStore(workspace);
  try {
    return await work(store, workspace);
  } finally {
    await store.close();
  }
}

describe('membership timeline', () => {
  it('records every entry and exit with its run, definition version and the leaves that changed', async () => {
    await withStore(async (store, workspace) => {
      const a = await accountTimeline(store, workspace, 'a');
      expect(a.runs.map((r) => [r.runId, r.asOf.slice(0, 10), r.segments])).toEqual([
        [1, '2024-03-01', ['active', 'big', 'big_active']],
        [2, '2024-04-01', ['big']],
        [3, '2024-04-01', ['big']],
      ]);
      expect(compact(a.runs[0]?.changes ?? [])).toEqual([
        ['active', 'entered', 'first_run'],
        ['big', 'entered', 'first_run'],
        ['big_active', 'entered', 'first_run'],
      ]);
      expect(compact(a.runs[1]?.changes ?? [])).toEqual([
        ['active', 'exited', 'data', ['where.any[0]', true, false, 3, 1]],
        ['big_active', 'exited', 'data', ['where', true, false, null, null]],
      ]);
      expect(a.runs[1]?.changes[0]?.reasons[0]?.text).toBe('metric sessions = 1, needs >= 3');
      expect(a.runs[2]?.changes).toEqual([]);
      // Versions: runs 1 and 2 share one, run 3 has the edited one.
      const [v1, v2, v3] = a.runs.map((r) => r.workspaceHash);
      expect(v1).toBe(v2);
      expect(v3).not.toBe(v1);

      const e = await accountTimeline(store, workspace, 'e');
      expect(compact(e.runs[1]?.changes ?? [])).toEqual([
        ['big', 'entered', 'data', ['where', false, true, null, 150]],
        ['big_active', 'entered', 'data', ['parent', false, true, null, null]],
      ]);
      const d = await accountTimeline(store, workspace, 'd');
      expect(d.runs[0]?.segments).toEqual([]);
      expect(compact(d.runs[1]?.changes ?? [])).toEqual([
        ['active', 'entered', 'new_account'],
        ['big', 'entered', 'new_account'],
        ['big_active', 'entered', 'new_account'],
      ]);
      // c's leaves changed in run 2 but its membership did not: nothing recorded.
      const c = await accountTimeline(store, workspace, 'c');
      expect(c.runs[1]?.changes).toEqual([]);
      expect(compact(c.runs[2]?.changes ?? [])).toEqual([
        ['active', 'exited', 'definition'],
        ['big_active', 'exited', 'definition'],
      ]);
      await expect(accountTimeline(store, workspace, 'zz')).rejects.toThrow(/no account 'zz'/);
    });
  });

  it("lists a segment's entries and exits since a time, newest run first", async () => {
    await withStore(async (store, workspace) => {
      const page = await segmentChanges(store, workspace, 'active', {
        since: { at: new Date('2024-03-15T00:00:00Z') },
        limit: 10,
        offset: 0,
      });
      expect(page.total).toBe(5);
      expect(page.changes.map((c) => [c.runId, c.account_id, c.change, c.cause])).toEqual([
        [3, 'b', 'exited', 'definition'],
        [3, 'c', 'exited', 'definition'],
        [2, 'a', 'exited', 'data'],
        [2, 'b', 'entered', 'data'],
        [2, 'd', 'entered', 'new_account'],
      ]);
      expect(page.changes[3]?.reasons.map((r) => [r.path, r.text])).toEqual([
        ['where.any[0]', 'metric sessions = 4, needs >= 3'],
      ]);
      const second = await segmentChanges(store, workspace, 'active', { limit: 2, offset: 2 });
      expect(second.total).toBe(3 + 5);
      expect(second.changes.map((c) => [c.runId, c.account_id])).toEqual([
        [2, 'a'],
        [2, 'b'],
      ]);
      await expect(segmentChanges(store, workspace, 'activ', { limit: 1, offset: 0 })).rejects.toThrow(
        /did you mean 'active'/,
      );
    });
  });

  it('explains a past membership by the definition version its run applied', async () => {
    await withStore(async (store, workspace) => {
      // Now (version 2 at run 3's time): c has 4 sessions, needs 5.
      const now = await explainMembership(store, workspace, 'c', { segment: 'active' });
      expect(now.segments[0]?.member).toBe(false);
      expect(now.segments[0]?.tree.children?.[0]?.text).toBe('metric sessions = 4, needs >= 5');
      // Run 2 applied version 1: c was in by any[0], 4 >= 3.
      const then = await explainMembership(store, workspace, 'c', { segment: 'active', runId: 2 });
      expect(then).toMatchObject({ runId: 2, asOf: '2024-04-01T00:00:00.000Z' });
      expect(then.definition).not.toBe(now.definition);
      expect(then.segments[0]).toMatchObject({ member: true, storedMember: null });
      expect(then.segments[0]?.tree.children?.[0]?.text).toBe('metric sessions = 4, needs >= 3');
      const kept = await store.query<{ n: number }>(sql`SELECT count(*) AS n FROM strata_definitions`);
      expect(kept).toEqual([{ n: 2 }]);
    });
  });

  it('answers strata history and strata segments changes on the command line', async () => {
    const history = await cliInProcess(['history', 'e', '-w', dir, '--json']);
    expect(history.code, history.stderr).toBe(0);
    const runs = history.json<{ history: { runId: number; entered: string[]; exited: string[] }[] }>()
      .history;
    expect(runs.map((r) => [r.runId, r.entered, r.exited])).toEqual([
      [1, ['active'], []],
      [2, ['big', 'big_active'], []],
      [3, [], []],
    ]);
    const text = (await cliInProcess(['history', 'a', '-w', dir])).stdout;
    expect(text).toContain('metric sessions = 1, needs >= 3 (was 3, true -> false)');
    const changes = await cliInProcess([
      'segments',
      'changes',
      'big_active',
      '--since',
      '2024-04-01',
      '-w',
      dir,
      '--json',
    ]);
    expect(changes.code, changes.stderr).toBe(0);
    expect(
      changes
        .json<{ changes: { account_id: string; change: string; cause: string }[] }>()
        .changes.map((c) => [c.account_id, c.change, c.cause]),
    ).toEqual([
      ['c', 'exited', 'definition'],
      ['a', 'exited', 'data'],
      ['d', 'entered', 'new_account'],
      ['e', 'entered', 'data'],
    ]);
    const bad = await cliInProcess(['segments', 'changes', 'active', '--since', 'yesterday', '-w', dir]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--since yesterday: expected an ISO date/);
    // The definition each run applied, as written then.
    const first = await cliInProcess(['definition', '--run', '1', '-w', dir, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json<{ text: string }>().text).toBe(VERSION_1);
    expect((await cliInProcess(['definition', '-w', dir])).stdout.trimEnd()).toBe(VERSION_2.trimEnd());
    const explained = await cliInProcess(['explain', 'c', 'active', '--run', '2', '-w', dir]);
    expect(explained.stdout).toContain("run 2's time and definition version");
    expect(explained.stdout).toContain('metric sessions = 4, needs >= 3');
  });
});
