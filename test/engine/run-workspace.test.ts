import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClock } from '../../src/engine/clock.js';
import { compareSnapshots, schemeFlows } from '../../src/engine/membership-diff.js';
import { planWorkspace } from '../../src/engine/plan-workspace.js';
import { readRun } from '../../src/engine/run-snapshot.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { accountHistory, segmentMembers } from '../../src/engine/snapshots.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { ENGINES, type Engine, insertRows, openEngine } from '../helpers/engines.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Hand-worked runs. a1: 500 employees, sessions 06-05 and 06-12; a2: 20 employees, session 06-03;
 * a3: 150 employees, no sessions; a4: created 06-10, 10 employees, session 06-11.
 * Run 1 as of 06-07 (window 05-31..06-07): active {a1, a2}, big {a1, a3}, big_active {a1};
 *   tiers: a1 big_active, a2 active, a3 big.
 * Run 2 as of 06-14 (window 06-07..06-14): active {a1, a4}, big {a1, a3}, big_active {a1};
 *   tiers: a1 big_active, a2 other, a3 big, a4 active.
 * Every engine (DuckDB, ClickHouse 18.16, chdb) must give these answers.
 */
const yaml = (threshold: number) => `
metrics:
  sessions_7d: { count: { event: session_start }, within: 7d }
segments:
  active: { where: { metric: sessions_7d, gte: ${threshold} } }
  big: { where: { trait: employees, gte: 100 } }
  big_active: { parent: big, where: { segment: active } }
schemes:
  tiers: { order: [big_active, active, big], fallback: other }
`;
const dir = tempDir();
const database = `runs_${process.pid}`;
const workspaceWith = (name: string, text: string) => {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'strata.yaml'), text);
  return loadWorkspace(join(dir, name));
};
const day = (text: string) => new Date(`${text}T00:00:00Z`);

describe.each(ENGINES)('on %s', (engine: Engine) => {
  let store: Store;
  const q = (name: string) => store.dialect.quoteIdentifier(name);
  const members = (runId: number, segment: string) =>
    store
      .query<{ account_id: string }>(
        testSql(
          `SELECT account_id FROM ${q(`strata_run_${runId}`)} WHERE ${q(`segment:${segment}`)} ORDER BY account_id`,
        ),
      )
      .then((rows) => rows.map((r) => r.account_id));

  beforeAll(async () => {
    mkdirSync(join(dir, engine));
    store = await openEngine(engine, join(dir, engine), database);
    await insertRows(
      store,
      'accounts',
      ['account_id', 'created_at', 'employees'],
      [
        ['a1', day('2024-01-01'), 500],
        ['a2', day('2024-01-01'), 20],
        ['a3', day('2024-01-01'), 150],
        ['a4', day('2024-06-10'), 10],
      ],
    );
    await insertRows(
      store,
      'events',
      ['event_id', 'account_id', 'event', 'ts'],
      [
        ['e1', 'a1', 'session_start', day('2024-06-05')],
        ['e2', 'a1', 'session_start', day('2024-06-12')],
        ['e3', 'a2', 'session_start', day('2024-06-03')],
        ['e4', 'a4', 'session_start', day('2024-06-11')],
      ],
    );
  });
  afterAll(() => store?.close());

  describe('runs, transitions and plan on hand-worked data', () => {
    const ws = () => workspaceWith('main', yaml(1));

    it('writes snapshots with memberships, primary assignments and metric values', async () => {
      const first = await runWorkspace(store, ws(), new Date('2024-06-07T00:00:00Z'));
      expect(first).toMatchObject({ runId: 1, previousRunId: null, accounts: 3 });
      expect(await members(1, 'active')).toEqual(['a1', 'a2']);
      expect(await members(1, 'big')).toEqual(['a1', 'a3']);
      expect(await members(1, 'big_active')).toEqual(['a1']);
      expect(
        await store.query(
          testSql(
            `SELECT account_id, ${q('scheme:tiers')} AS segment_id FROM strata_run_1 ORDER BY account_id`,
          ),
        ),
      ).toEqual([
        { account_id: 'a1', segment_id: 'big_active' },
        { account_id: 'a2', segment_id: 'active' },
        { account_id: 'a3', segment_id: 'big' },
      ]);
      expect(
        await store.query(
          testSql(
            `SELECT account_id, ${q('metric:sessions_7d')} AS value FROM strata_run_1 ORDER BY account_id`,
          ),
        ),
      ).toEqual([
        { account_id: 'a1', value: 1 },
        { account_id: 'a2', value: 1 },
        { account_id: 'a3', value: 0 },
      ]);
    });

    it('derives entered, exited and moved against the previous run', async () => {
      const second = await runWorkspace(store, ws(), new Date('2024-06-14T00:00:00Z'));
      expect(second).toMatchObject({ runId: 2, previousRunId: 1, accounts: 4, moved: { tiers: 1 } });
      expect(second.segments.find((s) => s.segment === 'active')).toMatchObject({
        before: 2,
        after: 2,
        entered: 1,
        exited: 1,
      });
      expect(second.segments.find((s) => s.segment === 'big')).toMatchObject({
        before: 2,
        after: 2,
        entered: 0,
        exited: 0,
      });
      expect(await schemeFlows(store, await readRun(store, 1), await readRun(store, 2))).toEqual([
        { scheme: 'tiers', from: '(new account)', to: 'active', accounts: 1 },
        { scheme: 'tiers', from: 'active', to: 'other', accounts: 1 },
        { scheme: 'tiers', from: 'big', to: 'big', accounts: 1 },
        { scheme: 'tiers', from: 'big_active', to: 'big_active', accounts: 1 },
      ]);
      const history = await accountHistory(store, 'a2');
      expect(history.map((h) => [h.segments, h.entered, h.exited, h.primary])).toEqual([
        [['active'], ['active'], [], { tiers: 'active' }],
        [[], [], ['active'], { tiers: 'other' }],
      ]);
      const page = await segmentMembers(store, {
        run: await readRun(store, 2),
        segment: 'active',
        limit: 1,
        offset: 1,
      });
      expect(page).toEqual({
        total: 2,
        members: [{ account_id: 'a4', name: null, plan: null, mrr: null, metrics: { sessions_7d: 1 } }],
      });
    });

    it('plans an edited workspace against the last snapshot without writing', async () => {
      const plan = await planWorkspace(store, workspaceWith('edited', yaml(2)));
      expect(plan.againstRunId).toBe(2);
      expect(plan.segments).toEqual([
        { segment: 'active', status: 'changed', added: 0, removed: 2, unchanged: 0 },
        { segment: 'big', status: 'unchanged', added: 0, removed: 0, unchanged: 2 },
        { segment: 'big_active', status: 'changed', added: 0, removed: 1, unchanged: 0 },
      ]);
      expect(await store.query(sql`SELECT count(*) AS n FROM strata_runs`)).toEqual([{ n: 2 }]);
    });

    it('is blind to rows after the as-of time: a later re-run at the same time is identical', async () => {
      await insertRows(
        store,
        'accounts',
        ['account_id', 'created_at', 'employees'],
        [['a5', day('2024-06-20'), 900]],
      );
      await insertRows(
        store,
        'events',
        ['event_id', 'account_id', 'event', 'ts'],
        [
          ['late1', 'a2', 'session_start', day('2024-06-20')],
          ['late2', 'a3', 'session_start', new Date('2024-06-14T00:00:01Z')],
        ],
      );
      await insertRows(
        store,
        'trait_history',
        ['account_id', 'trait', 'value', 'ts'],
        [['a2', 'employees', '5000', day('2024-06-20')]],
      );
      await runWorkspace(store, ws(), new Date('2024-06-14T00:00:00Z'));
      const diff = await compareSnapshots(store, await readRun(store, 2), await readRun(store, 3));
      expect(diff.segments).toHaveLength(3);
      expect(diff.segments.every((d) => d.entered === 0 && d.exited === 0)).toBe(true);
      // Every value the same (ClickHouse 18.16 has no EXCEPT: compare the rows here).
      const rowsOf = (runId: number) =>
        store.query(testSql(`SELECT * FROM strata_run_${runId} ORDER BY account_id`));
      expect(await rowsOf(3)).toEqual(await rowsOf(2));
      // The same rows do count once the as-of time passes them.
      await runWorkspace(store, ws(), new Date('2024-06-21T00:00:00Z'));
      expect(await members(4, 'big')).toEqual(['a1', 'a2', 'a3', 'a5']);
    });

    it('refuses a run dated before the latest run, storing nothing', async () => {
      const before = await store.query(sql`SELECT count(*) AS n FROM strata_runs`);
      const error = await runWorkspace(store, ws(), new Date('2024-06-20T00:00:00Z')).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        code: 'run_before_latest',
        message: expect.stringContaining('run 4 is as of 2024-06-21T00:00:00.000Z'),
      });
      expect(await store.query(sql`SELECT count(*) AS n FROM strata_runs`)).toEqual(before);
    });

    it('plans at the time the next run takes, so plan and run agree after new data', async () => {
      // Run 4 (06-21, window 06-14..06-21): active {a2 (06-20), a3 (06-14 00:00:01)}. Data after
      // it: a5's session at 06-25. At 06-25 (window 06-18..06-25): active {a2, a5}: +a5, -a3.
      await insertRows(
        store,
        'events',
        ['event_id', 'account_id', 'event', 'ts'],
        [['new1', 'a5', 'session_start', day('2024-06-25')]],
      );
      const plan = await planWorkspace(store, ws());
      expect(plan).toMatchObject({ againstRunId: 4, againstAsOf: '2024-06-21T00:00:00.000Z' });
      expect(plan.asOf).toBe('2024-06-25T00:00:00.000Z');
      const active = plan.segments.find((s) => s.segment === 'active');
      expect(active).toMatchObject({ added: 1, removed: 1 });
      const run = await runWorkspace(store, ws(), (await runClock(store, ws())).at);
      expect(run.asOf).toBe(plan.asOf);
      expect(run.segments.map((s) => [s.segment, s.entered, s.exited])).toEqual(
        plan.segments.map((s) => [s.segment, s.added, s.removed]),
      );
    });
  });

  describe('names checked against the data before any segment SQL', () => {
    it('rejects a mistyped event with a suggestion and its line, and warns about an event never seen', async () => {
      const typo = workspaceWith(
        'typo',
        'segments:\n  s: { where: { performed: sesion_start, within: 7d } }\n',
      );
      const error = await runWorkspace(store, typo, new Date('2024-06-14T00:00:00Z')).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        code: 'unknown_event',
        message: "unknown event 'sesion_start' - did you mean 'session_start'?",
        location: { line: 2, path: 'segments.s.where' },
      });
      const runs = await store.query(sql`SELECT count(*) AS n FROM strata_runs`);
      const fresh = workspaceWith('fresh', 'segments:\n  s: { where: { performed: webinar_attended } }\n');
      const report = await runWorkspace(store, fresh, new Date('2024-07-01T00:00:00Z'));
      expect(report.warnings.map((w) => w.message)).toContain(
        "event 'webinar_attended' (segments.s.where) does not occur in the data yet",
      );
      expect(await store.query(sql`SELECT count(*) AS n FROM strata_runs`)).not.toEqual(runs);
    });

    it('checks the event a countDistinct metric names', async () => {
      const typo = workspaceWith(
        'distinct-typo',
        'metrics:\n  platforms: { countDistinct: { event: sesion_start, property: platform } }\n',
      );
      await expect(runWorkspace(store, typo, new Date('2024-06-14T00:00:00Z'))).rejects.toMatchObject({
        code: 'unknown_event',
        message: "unknown event 'sesion_start' - did you mean 'session_start'?",
        location: { line: 2, path: 'metrics.platforms' },
      });
    });

    it('rejects a mistyped trait', async () => {
      const typo = workspaceWith('trait-typo', 'segments:\n  s: { where: { trait: employes, gte: 5 } }\n');
      await expect(runWorkspace(store, typo, new Date())).rejects.toThrow(
        "unknown trait 'employes' - did you mean 'employees'?",
      );
    });
  });
});
