import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestWorkspace } from '../../src/analytics/backtest/backtest.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Four accounts, a definition tried as of 2024-06-01 with a 90-day horizon (to 2024-08-30):
 *   a  2,000 employees  100 MRR from 2024-01-01, still paying        session 2024-09-15 (after T)
 *   b     50 employees   50 MRR to 2024-07-01, then 80: expanded     session 2024-05-20
 *   c  1,500 employees  200 MRR to 2024-08-01: churned
 *   d     10 employees  never paying                                 session 2024-06-15 (after T)
 * enterprise (>= 1,000 employees) = {a, c}: 2 paying, 1 churned (0.5), 0 expanded;
 *   the others {b, d}: 1 paying, 0 churned, 1 expanded.
 * active (a session in the 30 days to T) = {b}: the sessions after T are not seen.
 * All: 4 accounts, 3 paying, 1 churned, 1 expanded. The data reaches 2024-09-15, past the horizon.
 */
const dir = tempDir();
let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'b.duckdb'));
  await store.execute(sql`INSERT INTO accounts (account_id, created_at, employees) VALUES
    ('a', '2024-01-01', 2000), ('b', '2024-01-01', 50), ('c', '2024-01-01', 1500), ('d', '2024-01-01', 10)`);
  await store.execute(sql`INSERT INTO subscriptions (account_id, plan, mrr, starts_at, ends_at, status) VALUES
    ('a', 'pro', 100, '2024-01-01', NULL, 'active'),
    ('b', 'pro', 50, '2024-01-01', '2024-07-01', 'replaced'), ('b', 'pro', 80, '2024-07-01', NULL, 'active'),
    ('c', 'pro', 200, '2024-01-01', '2024-08-01', 'canceled')`);
  await store.execute(sql`INSERT INTO events (event_id, account_id, event, ts) VALUES
    ('e1', 'a', 'session_start', '2024-09-15'), ('e2', 'b', 'session_start', '2024-05-20'),
    ('e3', 'd', 'session_start', '2024-06-15')`);
  mkdirSync(join(dir, 'ws'));
  writeFileSync(
    join(dir, 'ws', 'strata.yaml'),
    `metrics:
  recent_sessions: { count: { event: session_start }, within: 30d }
segments:
  enterprise: { where: { trait: employees, gte: 1000 } }
  active: { where: { metric: recent_sessions, gte: 1 } }
`,
  );
});
afterAll(() => store.close());

describe('backtesting a definition at a past time', () => {
  it("gives each segment's members then and how they went on to behave, against the others", async () => {
    const report = await backtestWorkspace(store, loadWorkspace(join(dir, 'ws')), {
      asOf: new Date('2024-06-01T00:00:00Z'),
    });
    expect(report).toMatchObject({
      asOf: '2024-06-01T00:00:00.000Z',
      horizonDays: 90,
      horizonObserved: true,
      accounts: 4,
      all: { paying: 3, churned: 1, expanded: 1 },
    });
    expect(report.segments).toEqual([
      {
        segment: 'enterprise',
        members: 2,
        paying: 2,
        churned: 1,
        expanded: 0,
        churnRate: 0.5,
        expansionRate: 0,
        others: { paying: 1, churned: 0, expanded: 1, churnRate: 0, expansionRate: 1 },
      },
      {
        segment: 'active',
        members: 1,
        paying: 1,
        churned: 0,
        expanded: 1,
        churnRate: 0,
        expansionRate: 1,
        others: { paying: 2, churned: 1, expanded: 0, churnRate: 0.5, expansionRate: 0 },
      },
    ]);
  });

  it('says when the data does not reach the horizon yet', async () => {
    const report = await backtestWorkspace(store, loadWorkspace(join(dir, 'ws')), {
      asOf: new Date('2024-08-01T00:00:00Z'),
      horizonDays: 90,
    });
    expect(report.horizonObserved).toBe(false);
    expect(report.observedUntil).toBe('2024-09-15T00:00:00.000Z');
    // c stopped paying exactly at T: not paying then, so it can no longer churn.
    expect(report.all).toMatchObject({ paying: 2, churned: 0 });
  });
});
