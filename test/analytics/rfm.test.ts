import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRfm, scoreRfm } from '../../src/analytics/rfm/rfm.js';
import { generateWorld } from '../../src/demo/generate-world.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { TABLE_NAMES } from '../../src/model/tables.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir();
const AS_OF = new Date('2024-07-01T00:00:00Z');
const daysAgo = (d: number) => new Date(AS_OF.getTime() - d * 86_400_000).toISOString();

/*
 * Ten accounts worked by hand. a09 (mrr 0) and a10 (no mrr) pay nothing: cell Non-paying,
 * no scores. The eight payers are scored among themselves (n = 8: edges 2.4, 3.8, 5.2, 6.6),
 * sorted worst to best; equal values share the mean of their positions (a02/a03: 6 and 7
 * give 6.5; a06/a07's mrr 100: 2 and 3 give 2.5), so they share a score.
 *   account  sessions (30d)  last seen  mrr   F pos  M pos  R pos  F  M  R  FM  cell
 *   a01      10              1 day     500   8      8      8      5  5  5  5   Champions
 *   a02      8               2 days    400   6.5    6.5    6.5    4  4  4  4   Champions
 *   a03      8               2 days    400   6.5    6.5    6.5    4  4  4  4   Champions
 *   a04      5               5 days    300   5      5      5      3  3  3  3   Loyal
 *   a05      3               10 days   200   4      4      4      3  3  3  3   Loyal
 *   a06      2               20 days   100   3      2.5    3      2  2  2  2   Hibernating
 *   a07      1               25 days   100   2      2.5    2      1  2  1  2   Lost
 *   a08      0               40 days   50    1      1      1      1  1  1  1   Lost
 *   a09      0               100 days  0     -      -      -      -  -  -  -   Non-paying
 *   a10      0               never     (none)                                  Non-paying
 * Before: the ten were ranked together with ties split by account_id, so a02 and a03 (equal
 * in every value) scored differently and the non-paying took the bottom quintiles.
 */
const HAND = [
  ['a01', 10, 1, 500, 5, 5, 5, 5, 'Champions'],
  ['a02', 8, 2, 400, 4, 4, 4, 4, 'Champions'],
  ['a03', 8, 2, 400, 4, 4, 4, 4, 'Champions'],
  ['a04', 5, 5, 300, 3, 3, 3, 3, 'Loyal'],
  ['a05', 3, 10, 200, 3, 3, 3, 3, 'Loyal'],
  ['a06', 2, 20, 100, 2, 2, 2, 2, 'Hibernating'],
  ['a07', 1, 25, 100, 1, 2, 1, 2, 'Lost'],
  ['a08', 0, 40, 50, 1, 1, 1, 1, 'Lost'],
  ['a09', 0, 100, 0, null, null, null, null, 'Non-paying'],
  ['a10', 0, null, null, null, null, null, null, 'Non-paying'],
] as const;

let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'hand.duckdb'));
  const accounts = HAND.map(([id, , , mrr]) => `('${id}', '2024-01-01', ${mrr ?? 'NULL'})`);
  const events: string[] = [];
  for (const [id, sessions, lastSeen] of HAND) {
    if (lastSeen === null) continue;
    // Sessions on consecutive days from the last one back; accounts without sessions only logged in.
    for (let i = 0; i < Math.max(sessions, 1); i++) {
      const event = sessions > 0 ? 'session_start' : 'login';
      events.push(`('${id}-${i}', '${id}', '${event}', '${daysAgo(lastSeen + i)}')`);
    }
  }
  await store.execute(
    testSql(`INSERT INTO accounts (account_id, created_at, mrr) VALUES ${accounts.join(', ')}`),
  );
  await store.execute(
    testSql(`INSERT INTO events (event_id, account_id, event, ts) VALUES ${events.join(', ')}`),
  );
  mkdirSync(join(dir, 'hand'));
  writeFileSync(join(dir, 'hand', 'strata.yaml'), 'segments: {}\n');
});
afterAll(() => store.close());

describe('RFM scores and cells', () => {
  it('scores the hand-worked accounts and names their cells', async () => {
    const scores = await scoreRfm(store, loadWorkspace(join(dir, 'hand')), AS_OF);
    const rows = await store.query<{
      account_id: string;
      f: number;
      m: number;
      r: number;
      fm: number;
      cell: string;
    }>(store.dialect.sql`SELECT account_id, f, m, r, fm, cell FROM ${scores.table} ORDER BY account_id`);
    await store.dropScratch(scores.table);
    expect(rows.map((row) => [row.account_id, row.f, row.m, row.r, row.fm, row.cell])).toEqual(
      HAND.map(([id, , , , f, m, r, fm, cell]) => [id, f, m, r, fm, cell]),
    );
  });

  it('reports accounts and KPIs per cell in the configured order, the non-paying apart', async () => {
    const report = await analyzeRfm(store, loadWorkspace(join(dir, 'hand')), AS_OF);
    expect(report.accounts).toBe(10);
    expect(report.paying).toBe(8);
    const byCell = Object.fromEntries(report.cells.map((c) => [c.cell, c]));
    expect(byCell.Champions).toMatchObject({ accounts: 3, share: 0.3, monetaryTotal: 1300 });
    expect(byCell.Champions?.recency).toBeCloseTo(5 / 3, 12);
    expect(byCell.Lost).toMatchObject({ accounts: 2, recency: 32.5, monetary: 75 });
    expect(byCell['Non-paying']).toMatchObject({
      accounts: 2,
      share: 0.2,
      recency: 100,
      frequency: 0,
      monetaryTotal: 0,
    });
    expect(byCell["Can't Lose"]).toMatchObject({ accounts: 0 });
    expect(report.cells.map((c) => c.cell)).toEqual([
      'Champions',
      'Loyal',
      'Potential',
      'New',
      'Needs Attention',
      'At Risk',
      "Can't Lose",
      'Hibernating',
      'Lost',
      'Non-paying',
    ]);
    // The grid holds the payers only.
    expect(report.grid.reduce((sum, g) => sum + g.accounts, 0)).toBe(8);
  });

  it("gives each account's scores and values on request, highest monetary first, then account_id", async () => {
    const ws = loadWorkspace(join(dir, 'hand'));
    const all = await analyzeRfm(store, ws, AS_OF, { accounts: 'all' });
    // By mrr: a01 500; a02, a03 400 (ids break the tie); a04 300; a05 200; a06, a07 100; a08 50;
    // a09 0 and a10 (no mrr, counted 0).
    const order = ['a01', 'a02', 'a03', 'a04', 'a05', 'a06', 'a07', 'a08', 'a09', 'a10'];
    expect(all.accountScores).toMatchObject({ total: 10, shown: 10 });
    expect(all.accountScores?.rows.map((row) => row.account_id)).toEqual(order);
    const hand = new Map(HAND.map((row) => [row[0], row]));
    for (const row of all.accountScores?.rows ?? []) {
      const [, sessions, lastSeen, mrr, f, m, r, fm, cell] = hand.get(row.account_id as never) ?? [];
      expect(row).toMatchObject({
        r,
        f,
        m,
        fm,
        cell,
        frequency: sessions,
        recency: lastSeen,
        monetary: mrr ?? 0,
      });
    }
    const page = await analyzeRfm(store, ws, AS_OF, { accounts: 3 });
    expect(page.accountScores).toMatchObject({ total: 10, shown: 3 });
    expect(page.accountScores?.rows.map((row) => row.account_id)).toEqual(order.slice(0, 3));
    // The cells are the same with or without the scores, and the API's report carries none.
    expect(page.cells).toEqual(all.cells);
    expect('accountScores' in (await analyzeRfm(store, ws, AS_OF))).toBe(false);
  });

  it('serves RFM scores and cells as metrics in segment conditions, with the same values', async () => {
    mkdirSync(join(dir, 'as-metrics'));
    writeFileSync(
      join(dir, 'as-metrics', 'strata.yaml'),
      `metrics:
  rfm_cell: { rfm: cell }
  rfm_r: { rfm: r }
  rfm_fm: { rfm: fm }
segments:
  champions: { where: { metric: rfm_cell, eq: Champions } }
  recent: { where: { metric: rfm_r, gte: 4 } }
`,
    );
    const report = await runWorkspace(store, loadWorkspace(join(dir, 'as-metrics')), AS_OF);
    const rows = await store.query<{
      account_id: string;
      cell: string;
      r: number;
      fm: number;
      champion: boolean;
    }>(
      testSql(`SELECT account_id, "metric:rfm_cell" AS cell, "metric:rfm_r" AS r, "metric:rfm_fm" AS fm,
         "segment:champions" AS champion FROM strata_run_${report.runId} ORDER BY account_id`),
    );
    expect(rows.map((row) => [row.account_id, row.r, row.fm, row.cell, row.champion])).toEqual(
      HAND.map(([id, , , , , , r, fm, cell]) => [id, r, fm, cell, cell === 'Champions']),
    );
    expect(report.segments.find((x) => x.segment === 'recent')?.after).toBe(3);
  });

  it('refuses an RFM score inside another metric or ranked again', () => {
    const attempt = (yaml: string) => {
      const at = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
      mkdirSync(at);
      writeFileSync(join(at, 'strata.yaml'), yaml);
      return () => loadWorkspace(at);
    };
    expect(
      attempt('metrics:\n  c: { rfm: r }\n  h: { score: [ { metric: c, weight: 1, bad: 1, good: 5 } ] }\n'),
    ).toThrow("'c' is ranked over all accounts (a percentile or RFM score) and cannot be used inside 'h'");
    expect(attempt('metrics:\n  c: { rfm: r }\nsegments:\n  s: { where: { top: 10%, by: c } }\n')).toThrow(
      "'c' is an RFM score: compare it (gte: 4) instead of ranking it",
    );
  });

  it('refuses monetary when no account pays, naming what to add', async () => {
    const free = await DuckDBStore.open(join(dir, 'free.duckdb'));
    try {
      await free.execute(
        sql`INSERT INTO accounts (account_id, created_at, mrr) VALUES ('f1', '2024-01-01', NULL), ('f2', '2024-01-01', 0)`,
      );
      await free.execute(
        testSql(
          `INSERT INTO events (event_id, account_id, event, ts) VALUES ('e1', 'f1', 'session_start', '${daysAgo(1)}'), ('e2', 'f2', 'session_start', '${daysAgo(3)}')`,
        ),
      );
      const attempt = analyzeRfm(free, loadWorkspace(join(dir, 'hand')), AS_OF);
      await expect(attempt).rejects.toMatchObject({ code: 'rfm_no_data' });
      await expect(analyzeRfm(free, loadWorkspace(join(dir, 'hand')), AS_OF)).rejects.toThrow(
        /^RFM cannot score: monetary \(mrr\): no account has a value above 0 \(no revenue data\); import accounts with an mrr column/,
      );
    } finally {
      await free.close();
    }
  });

  it('refuses recency and frequency when there are no events, naming what to add', async () => {
    const quiet = await DuckDBStore.open(join(dir, 'quiet.duckdb'));
    try {
      await quiet.execute(
        sql`INSERT INTO accounts (account_id, created_at, mrr) VALUES ('q1', '2024-01-01', 100), ('q2', '2024-01-01', 200)`,
      );
      const attempt = analyzeRfm(quiet, loadWorkspace(join(dir, 'hand')), AS_OF);
      await expect(attempt).rejects.toThrow(
        'RFM cannot score: recency (last_seen_days): no account has an event up to 2024-07-01T00:00:00.000Z; import events (strata import events <file>) or set rfm.recency; frequency (sessions_30d): every account has 0 in the window ending 2024-07-01T00:00:00.000Z',
      );
      await expect(analyzeRfm(quiet, loadWorkspace(join(dir, 'hand')), AS_OF)).rejects.not.toThrow(
        /monetary/,
      );
    } finally {
      await quiet.close();
    }
  });

  it('scores a generated world: payers among themselves, equal values one score, never split by id', async () => {
    const worldDir = join(dir, 'world');
    const world = await generateWorld({ scale: 'S', seed: 8, outDir: join(worldDir, 'data'), accounts: 800 });
    writeFileSync(join(worldDir, 'strata.yaml'), saasWorkspaceYaml());
    const worldStore = await DuckDBStore.open(join(worldDir, 'strata.duckdb'));
    try {
      for (const table of TABLE_NAMES) {
        const file = world.files[table];
        if (file) await worldStore.importFile({ table, file: join(worldDir, 'data', file) });
      }
      const scores = await scoreRfm(worldStore, loadWorkspace(worldDir), new Date('2026-10-31T00:00:00Z'));
      const rows = await worldStore.query<{
        account_id: string;
        recency: number | null;
        frequency: number;
        monetary: number;
        r: number | null;
        f: number | null;
        m: number | null;
        cell: string;
      }>(
        store.dialect
          .sql`SELECT account_id, recency, frequency, monetary, r, f, m, cell FROM ${scores.table} ORDER BY account_id`,
      );
      await worldStore.dropScratch(scores.table);
      // Independently: among payers, position = payers worse + the mean of positions 1..t of
      // the t payers tied with it (itself included), (t + 1) / 2; quintile edges 1 + (n-1)k/5.
      const payers = rows.filter((row) => row.monetary > 0);
      const score = (value: (row: (typeof rows)[number]) => number) =>
        payers.map((row) => {
          const worse = payers.filter((other) => value(other) < value(row)).length;
          const tied = payers.filter((other) => value(other) === value(row)).length;
          const position = worse + (tied + 1) / 2;
          return 1 + [1, 2, 3, 4].filter((k) => position > 1 + ((payers.length - 1) * k) / 5).length;
        });
      const days = (row: (typeof rows)[number]) => row.recency ?? Number.POSITIVE_INFINITY;
      const f = score((row) => row.frequency);
      const m = score((row) => row.monetary);
      const r = score((row) => -days(row));
      expect(payers.length).toBeGreaterThan(0);
      expect(payers.length).toBeLessThan(rows.length);
      expect(payers.map((row) => [row.f, row.m, row.r])).toEqual(payers.map((_, i) => [f[i], m[i], r[i]]));
      const free = rows.filter((row) => row.monetary <= 0);
      expect(free.every((row) => row.cell === 'Non-paying' && row.r === null && row.f === null)).toBe(true);
    } finally {
      await worldStore.close();
    }
  });
});
