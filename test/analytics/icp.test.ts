import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeIcp } from '../../src/analytics/icp/icp.js';
import { wilson } from '../../src/analytics/statistics.js';
import { storedRows } from '../../src/identity/account-rows.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * As of 2025-01-01 (a year before: 2024-01-02). Signup 2023-05-01 unless said.
 *   i1 Tech: pays 100 throughout; value event after 10 days; 3 events in the last 30 days.
 *   i2 Tech: 100, then 150 from 2024-06-01 (expanded); value after 20 days; 1 recent event.
 *   i3 Tech: 50 until 2024-03-01 (churned); no value event; no recent event.
 *   i4 Retail: 80 throughout; value after 30 days.
 *   i5 Retail: 80 until 2024-02-01 (churned); value after 10 days; 2 recent events.
 *   i6 Retail: signs up and pays 60 from 2024-06-01 (not paying a year before); value after 5 days; 4 recent.
 * All: 3 of 5 retained, 1 of 5 expanded, time to value 10, 20, 30, 10, 5 (mean 15), usage 10 / 6.
 * Tech: 2 of 3 retained, 1 of 3 expanded, value in 10 and 20 days. Retail: 1 of 2 retained.
 */
const dir = tempDir();
let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'icp.duckdb'));
  const recent = (id: string, n: number) =>
    Array.from({ length: n }, (_, i) => `('${id}-r${i}', '${id}', 'login', '2024-12-${20 + i}')`);
  await store.execute(
    testSql(`
    INSERT INTO accounts (account_id, created_at, industry) VALUES ('i1', '2023-05-01', 'Tech'), ('i2', '2023-05-01', 'Tech'),
      ('i3', '2023-05-01', 'Tech'), ('i4', '2023-05-01', 'Retail'), ('i5', '2023-05-01', 'Retail'), ('i6', '2024-06-01', 'Retail');
    INSERT INTO subscriptions (account_id, plan, mrr, starts_at, ends_at, status) VALUES
      ('i1', 'pro', 100, '2023-06-01', NULL, 'active'), ('i2', 'pro', 100, '2023-06-01', '2024-06-01', 'replaced'),
      ('i2', 'pro', 150, '2024-06-01', NULL, 'active'), ('i3', 'pro', 50, '2023-06-01', '2024-03-01', 'canceled'),
      ('i4', 'pro', 80, '2023-06-01', NULL, 'active'), ('i5', 'pro', 80, '2023-06-01', '2024-02-01', 'canceled'),
      ('i6', 'pro', 60, '2024-06-01', NULL, 'active');
    INSERT INTO events (event_id, account_id, event, ts) VALUES
      ('v1', 'i1', 'subscription_paid', '2023-05-11'), ('v2', 'i2', 'subscription_paid', '2023-05-21'),
      ('v4', 'i4', 'subscription_paid', '2023-05-31'), ('v5', 'i5', 'subscription_paid', '2023-05-11'),
      ('v6', 'i6', 'subscription_paid', '2024-06-06'),
      ${[...recent('i1', 3), ...recent('i2', 1), ...recent('i5', 2), ...recent('i6', 4)].join(', ')};
  `),
  );
});
afterAll(() => store.close());

describe('ICP report', () => {
  it('measures retention, expansion, time to value and usage overall and per trait value', async () => {
    const report = await analyzeIcp(store, {
      rows: storedRows(store.dialect),
      asOf: new Date('2025-01-01T00:00:00Z'),
      dimensions: ['industry'],
      minBase: 1,
    });
    expect(report.overall).toMatchObject({
      accounts: 6,
      retention: { successes: 3, n: 5, rate: 0.6 },
      expansion: { successes: 1, n: 5, rate: 0.2 },
      timeToValue: { n: 5, mean: 15 },
      usage: { n: 6 },
    });
    expect(report.overall.usage.mean).toBeCloseTo(10 / 6, 12);
    expect(
      report.groups.map((g) => [
        g.group,
        g.retention.successes,
        g.retention.n,
        g.expansion.successes,
        g.timeToValue.mean,
      ]),
    ).toEqual([
      ['industry=Tech', 2, 3, 1, 15],
      ['industry=Retail', 1, 2, 0, 15],
    ]);
    expect(report.segmentsFromRun).toBeNull();
    expect(report.summary[0]).toBe(
      'industry Tech: 67% 12-month logo retention (95% CI 21%-94%) against 60% overall, 3 accounts.',
    );
  });

  it('gives Wilson intervals', () => {
    // 3 of 5: 0.2307 to 0.8824 (evaluated by hand with z = 1.959964).
    const rate = wilson(3, 5);
    expect(rate.low).toBeCloseTo(0.2307243, 6);
    expect(rate.high).toBeCloseTo(0.8823792, 6);
    expect(wilson(0, 0).rate).toBeNull();
  });
});
