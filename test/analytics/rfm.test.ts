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
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir();
const AS_OF = new Date('2024-07-01T00:00:00Z');
const daysAgo = (d: number) => new Date(AS_OF.getTime() - d * 86_400_000).toISOString();

/*
 * Ten accounts worked by hand (n = 10: rank edges 2.8, 4.6, 6.4, 8.2).
 *   account  sessions (30d)  last seen  mrr   F  M  R  FM  cell
 *   a01      10              1 day     500    5  5  5  5   Champions
 *   a02      8               2 days    400    4  4  5  4   Champions
 *   a03      8               2 days    400    5  5  4  5   Champions   (ties: a02 ranks before a03)
 *   a04      5               5 days    300    4  4  4  4   Champions
 *   a05      3               10 days   200    3  3  3  3   Loyal
 *   a06      2               20 days   100    3  2  3  3   Loyal
 *   a07      1               25 days   100    2  3  2  3   At Risk
 *   a08      0               40 days   50     1  2  2  2   Hibernating
 *   a09      0               100 days  0      1  1  1  1   Lost
 *   a10      0               never     (none) 2  1  1  2   Lost        (no mrr counts as 0)
 */
const HAND = [
  ['a01', 10, 1, 500, 5, 5, 5, 5, 'Champions'],
  ['a02', 8, 2, 400, 4, 4, 5, 4, 'Champions'],
  ['a03', 8, 2, 400, 5, 5, 4, 5, 'Champions'],
  ['a04', 5, 5, 300, 4, 4, 4, 4, 'Champions'],
  ['a05', 3, 10, 200, 3, 3, 3, 3, 'Loyal'],
  ['a06', 2, 20, 100, 3, 2, 3, 3, 'Loyal'],
  ['a07', 1, 25, 100, 2, 3, 2, 3, 'At Risk'],
  ['a08', 0, 40, 50, 1, 2, 2, 2, 'Hibernating'],
  ['a09', 0, 100, 0, 1, 1, 1, 1, 'Lost'],
  ['a10', 0, null, null, 2, 1, 1, 2, 'Lost'],
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
  await store.execute(`INSERT INTO accounts (account_id, created_at, mrr) VALUES ${accounts.join(', ')}`);
  await store.execute(`INSERT INTO events (event_id, account_id, event, ts) VALUES ${events.join(', ')}`);
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
    }>(`SELECT account_id, f, m, r, fm, cell FROM ${scores.table} ORDER BY account_id`);
    await store.dropScratch(scores.table);
    expect(rows.map((row) => [row.account_id, row.f, row.m, row.r, row.fm, row.cell])).toEqual(
      HAND.map(([id, , , , f, m, r, fm, cell]) => [id, f, m, r, fm, cell]),
    );
  });

  it('reports accounts and KPIs per cell in the configured order', async () => {
    const report = await analyzeRfm(store, loadWorkspace(join(dir, 'hand')), AS_OF);
    expect(report.accounts).toBe(10);
    const byCell = Object.fromEntries(report.cells.map((c) => [c.cell, c]));
    expect(byCell.Champions).toMatchObject({ accounts: 4, share: 0.4, monetaryTotal: 1600, recency: 2.5 });
    expect(byCell.Lost).toMatchObject({ accounts: 2, recency: 100, monetary: 0 });
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
    ]);
    expect(report.grid.reduce((sum, g) => sum + g.accounts, 0)).toBe(10);
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
      `SELECT account_id, "metric:rfm_cell" AS cell, "metric:rfm_r" AS r, "metric:rfm_fm" AS fm,
         "segment:champions" AS champion FROM strata_run_${report.runId} ORDER BY account_id`,
    );
    expect(rows.map((row) => [row.account_id, row.r, row.fm, row.cell, row.champion])).toEqual(
      HAND.map(([id, , , , , , r, fm, cell]) => [id, r, fm, cell, cell === 'Champions']),
    );
    expect(report.segments.find((x) => x.segment === 'recent')?.after).toBe(4);
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

  it('matches a plain pandas-style qcut on ranks over a generated world', async () => {
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
        r: number;
        f: number;
        m: number;
      }>(`SELECT account_id, recency, frequency, monetary, r, f, m FROM ${scores.table} ORDER BY account_id`);
      // pandas: x.rank(method='first') on rows in account order, then qcut into 5 equal-count bins.
      const qcut = (values: number[]) => {
        const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        const rank = new Array<number>(values.length);
        order.forEach(([, i], position) => {
          rank[i] = position + 1;
        });
        const edges = [0.2, 0.4, 0.6, 0.8].map((q) => 1 + q * (values.length - 1));
        return rank.map((r) => 1 + edges.filter((e) => r > e).length);
      };
      const f = qcut(rows.map((r) => r.frequency));
      const m = qcut(rows.map((r) => r.monetary));
      const r = qcut(rows.map((row) => row.recency ?? Number.POSITIVE_INFINITY)).map((q) => 6 - q);
      expect(rows.map((row) => [row.f, row.m, row.r])).toEqual(rows.map((_, i) => [f[i], m[i], r[i]]));
      expect(new Set(rows.map((row) => row.f))).toEqual(new Set([1, 2, 3, 4, 5]));
    } finally {
      await worldStore.close();
    }
  });
});
