import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentPerformance } from '../../src/analytics/performance/segment-performance.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * a1 (500 employees): sessions 06-05, 06-12; a2 (20): 06-03; a3 (150): none.
 * big = employees >= 100: {a1, a3} in both runs.
 * Run 1 as of 06-07, sessions in 7 days: a1 1, a3 0 -> mean 0.5; employees mean 325.
 * Run 2 as of 06-14: a1 1 (06-12), a3 0 -> 0.5; active (sessions >= 1): run 1 {a1, a2}: mean employees 260,
 * run 2 {a1}: 500.
 */
const dir = tempDir();
let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'p.duckdb'));
  await store.execute(sql`
    INSERT INTO accounts (account_id, created_at, employees) VALUES ('a1', '2024-01-01', 500), ('a2', '2024-01-01', 20), ('a3', '2024-01-01', 150);
    INSERT INTO events (event_id, account_id, event, ts) VALUES ('e1', 'a1', 'session_start', '2024-06-05'),
      ('e2', 'a1', 'session_start', '2024-06-12'), ('e3', 'a2', 'session_start', '2024-06-03');
  `);
  mkdirSync(join(dir, 'ws'));
  writeFileSync(
    join(dir, 'ws', 'strata.yaml'),
    `metrics:
  sessions_7d: { count: { event: session_start }, within: 7d }
  size: { trait: employees }
segments:
  big: { where: { trait: employees, gte: 100 } }
  active: { where: { metric: sessions_7d, gte: 1 } }
`,
  );
  const workspace = loadWorkspace(join(dir, 'ws'));
  await runWorkspace(store, workspace, new Date('2024-06-07T00:00:00Z'));
  await runWorkspace(store, workspace, new Date('2024-06-14T00:00:00Z'));
});
afterAll(() => store.close());

describe('segment performance over runs', () => {
  it('reports members and metric means per segment per run', async () => {
    const report = await segmentPerformance(store, loadWorkspace(join(dir, 'ws')));
    expect(report.metrics).toEqual(['sessions_7d', 'size']);
    expect(
      report.rows.map((r) => [r.runId, r.segment, r.accounts, r.means.sessions_7d, r.means.size]),
    ).toEqual([
      [1, 'big', 2, 0.5, 325],
      [1, 'active', 2, 1, 260],
      [2, 'big', 2, 0.5, 325],
      [2, 'active', 1, 1, 500],
    ]);
  });

  it('filters segments and metrics, naming unknown ones', async () => {
    const workspace = loadWorkspace(join(dir, 'ws'));
    const report = await segmentPerformance(store, workspace, { segments: ['active'], metrics: ['size'] });
    expect(report.rows.map((r) => [r.runId, r.accounts, r.means])).toEqual([
      [1, 2, { size: 260 }],
      [2, 1, { size: 500 }],
    ]);
    await expect(segmentPerformance(store, workspace, { segments: ['actve'] })).rejects.toThrow(
      "no run has segment 'actve' - did you mean 'active'?",
    );
  });
});
