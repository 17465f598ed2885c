import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCohorts, cohortLabel } from '../../src/analytics/cohorts/cohorts.js';
import { benjaminiHochberg } from '../../src/analytics/statistics.js';
import { storedRows } from '../../src/identity/account-rows.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Five accounts worked by hand, as of 2024-05-15 (complete months: January to April).
 *   c1 signs up 01-10, pays 100 from then on; events in Jan, Feb, Apr.
 *   c2 signs up 01-20, pays 50 until 03-05 (paying at the end of Jan and Feb); events in Jan.
 *   c3 signs up 01-25, trial at 0 until 02-08, then pays 200; events in Feb, Mar.
 *   c4 signs up 02-03, pays 80, upgrades to 120 on 03-10; events in Feb, Mar, Apr.
 *   c5 signs up 02-14, never pays; events in Feb.
 * January cohort (3 accounts), periods 0-3 (Jan-Apr):
 *   paying 2, 3, 2, 2; MRR 150, 350, 300, 300; NRR 1, 2.333, 2, 2; GRR 1, 1, 0.667, 0.667
 *   (c3's 200 has no period-0 base); active 2, 2, 1, 1; customers of period 0 (c1, c2)
 *   still paying: 2, 2, 1, 1; revenue to date (150 + 350 + 300 + 300) / 3 = 366.67.
 * February cohort (2 accounts), periods 0-2: paying 1, 1, 1; MRR 80, 120, 120; NRR 1, 1.5, 1.5;
 *   GRR 1, 1, 1; active 2, 1, 1; revenue to date 320 / 2 = 160.
 * Compared at period 1: January 3/3 against February 1/2. February against the rest:
 *   pooled 0.8, se = sqrt(0.8 x 0.2 x (1/2 + 1/3)) = 0.36515, z = -1.36931,
 *   p = Phi(z) = 0.085452; January: p = 0.914548. Benjamini-Hochberg: 0.170904, 0.914548.
 *   Cohen's h (February) = 2 asin(sqrt 0.5) - 2 asin(1) = -1.570796. Not significant: no flag.
 */
const dir = tempDir();
let store: DuckDBStore;

beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'cohorts.duckdb'));
  await store.execute(sql`
    INSERT INTO accounts (account_id, created_at) VALUES ('c1', '2024-01-10'), ('c2', '2024-01-20'),
      ('c3', '2024-01-25'), ('c4', '2024-02-03'), ('c5', '2024-02-14');
    INSERT INTO subscriptions (account_id, plan, mrr, starts_at, ends_at, status) VALUES
      ('c1', 'pro', 100, '2024-01-10', NULL, 'active'),
      ('c2', 'pro', 50, '2024-01-20', '2024-03-05', 'canceled'),
      ('c3', 'trial', 0, '2024-01-25', '2024-02-08', 'replaced'),
      ('c3', 'pro', 200, '2024-02-08', NULL, 'active'),
      ('c4', 'pro', 80, '2024-02-03', '2024-03-10', 'replaced'),
      ('c4', 'pro', 120, '2024-03-10', NULL, 'active');
    INSERT INTO events (event_id, account_id, event, ts) VALUES
      ('e1', 'c1', 'login', '2024-01-11'), ('e2', 'c1', 'login', '2024-02-11'), ('e3', 'c1', 'login', '2024-04-11'),
      ('e4', 'c2', 'login', '2024-01-21'), ('e5', 'c3', 'login', '2024-02-10'), ('e6', 'c3', 'login', '2024-03-10'),
      ('e7', 'c4', 'login', '2024-02-05'), ('e8', 'c4', 'login', '2024-03-05'), ('e9', 'c4', 'login', '2024-04-05'),
      ('e10', 'c5', 'login', '2024-02-15'), ('late', 'c5', 'login', '2024-05-10');
  `);
});
afterAll(() => store.close());

describe('cohorts', () => {
  it('follows each signup-month cohort: logo, revenue and activity retention, survival, revenue to date', async () => {
    const report = await analyzeCohorts(store, {
      rows: storedRows(store.dialect),
      asOf: new Date('2024-05-15T00:00:00Z'),
      comparePeriod: 1,
    });
    expect(report.cohorts.map((c) => [c.cohort, c.accounts])).toEqual([
      ['2024-01', 3],
      ['2024-02', 2],
    ]);
    const [january, february] = report.cohorts;
    expect(january?.periods.map((p) => [p.paying, p.mrr, p.active])).toEqual([
      [2, 150, 2],
      [3, 350, 2],
      [2, 300, 1],
      [2, 300, 1],
    ]);
    const ratios = (c: typeof january) =>
      c?.periods.map((p) => [
        p.logoRetention,
        p.netRevenueRetention,
        p.grossRevenueRetention,
        p.activityRetention,
      ]);
    const expected = [
      [2 / 3, 1, 1, 2 / 3],
      [1, 350 / 150, 1, 2 / 3],
      [2 / 3, 2, 100 / 150, 1 / 3],
      [2 / 3, 2, 100 / 150, 1 / 3],
    ];
    for (const [k, row] of (ratios(january) ?? []).entries()) {
      for (const [i, value] of row.entries()) expect(value).toBeCloseTo(expected[k]?.[i] ?? Number.NaN, 10);
    }
    expect(january?.survival).toEqual([2, 2, 1, 1]);
    // Active 30-60 days after signup: c1 (02-11), c3 (03-10), not c2; c4 (03-05), not c5.
    // MRR 30 and 90 days after signup: c1 100/100, c2 50/0, c3 200/200; c4 80/120 (expanded).
    expect([january?.retention30, january?.expansion90]).toEqual([2 / 3, 0]);
    expect([february?.retention30, february?.expansion90]).toEqual([1 / 2, 1]);
    expect(january?.ltvToDate).toBeCloseTo(1100 / 3, 10);
    expect(
      february?.periods.map((p) => [
        p.paying,
        p.mrr,
        p.netRevenueRetention,
        p.grossRevenueRetention,
        p.active,
      ]),
    ).toEqual([
      [1, 80, 1, 1, 2],
      [1, 120, 1.5, 1, 1],
      [1, 120, 1.5, 1, 1],
    ]);
    expect(february?.ltvToDate).toBe(160);
  });

  it('tests each cohort against the others at the compared period, corrected for multiple testing', async () => {
    const report = await analyzeCohorts(store, {
      rows: storedRows(store.dialect),
      asOf: new Date('2024-05-15T00:00:00Z'),
      comparePeriod: 1,
    });
    const [january, february] = report.cohorts;
    expect(february?.flag?.retention).toBe(0.5);
    expect(february?.flag?.othersRetention).toBe(1);
    expect(february?.flag?.pValue).toBeCloseTo(0.085452, 5);
    expect(february?.flag?.adjustedPValue).toBeCloseTo(0.170904, 5);
    expect(february?.flag?.cohensH).toBeCloseTo(-1.570796, 5);
    expect(february?.flag?.weak).toBe(false);
    expect(january?.flag?.pValue).toBeCloseTo(0.914548, 5);
  });

  it('groups by quarter, counting a quarter as complete when its last month is', async () => {
    const report = await analyzeCohorts(store, {
      rows: storedRows(store.dialect),
      asOf: new Date('2024-07-02T00:00:00Z'),
      by: 'quarter',
    });
    // Q1 2024 holds all five accounts; at the end of Q1 (March) c1, c3, c4 pay 100 + 200 + 120;
    // at the end of Q2 (June) the same three.
    expect(
      report.cohorts.map((c) => [c.cohort, c.accounts, c.periods.map((p) => [p.paying, p.mrr])]),
    ).toEqual([
      [
        '2024-Q1',
        5,
        [
          [3, 420],
          [3, 420],
        ],
      ],
    ]);
  });

  it('groups by another account date', async () => {
    // c1 and c4 renew on 03-01: one March cohort; at the ends of March and April c1 pays 100 and c4 120.
    await store.execute(sql`UPDATE accounts SET renewal_at = '2024-03-01' WHERE account_id IN ('c1', 'c4')`);
    const report = await analyzeCohorts(store, {
      rows: storedRows(store.dialect),
      asOf: new Date('2024-05-15T00:00:00Z'),
      date: 'renewal_at',
    });
    expect(
      report.cohorts.map((c) => [c.cohort, c.accounts, c.periods.map((p) => [p.paying, p.mrr])]),
    ).toEqual([
      [
        '2024-03',
        2,
        [
          [2, 220],
          [2, 220],
        ],
      ],
    ]);
    await expect(
      analyzeCohorts(store, { rows: storedRows(store.dialect), asOf: new Date(), date: 'renewl_at' }),
    ).rejects.toThrow("did you mean 'renewal_at'?");
  });

  it('names the retention kinds it cannot measure instead of showing zeros (issue #19)', async () => {
    // The hand-worked world has everything: nothing is unavailable.
    const full = await analyzeCohorts(store, {
      rows: storedRows(store.dialect),
      asOf: new Date('2024-05-15T00:00:00Z'),
      comparePeriod: 1,
    });
    expect(full.unavailable).toEqual([]);
    // Accounts and events but no subscription: who pays cannot be known, so logo and revenue
    // retention are named, and no cohort is tested (a p of 1 over zeros said nothing).
    const bare = await DuckDBStore.open(join(dir, 'no-subscriptions.duckdb'));
    try {
      await bare.execute(sql`
        INSERT INTO accounts (account_id, created_at) VALUES ('a1', '2024-01-10'), ('a2', '2024-01-20'), ('a3', '2024-02-03');
        INSERT INTO events (event_id, account_id, event, ts) VALUES ('e1', 'a1', 'login', '2024-02-11');
      `);
      const report = await analyzeCohorts(bare, {
        rows: storedRows(bare.dialect),
        asOf: new Date('2024-05-15T00:00:00Z'),
        comparePeriod: 1,
      });
      expect(report.unavailable.map((u) => u.kind)).toEqual(['logo', 'revenue']);
      expect(report.unavailable[0]?.reason).toMatch(/import subscriptions/);
      expect(report.cohorts.map((c) => c.flag)).toEqual([null, null]);
      // Activity is measured: a1 active in February, period 1 of the January cohort of two.
      expect(report.cohorts[0]?.periods[1]?.activityRetention).toBe(0.5);
      // As of a time before any event, activity is named too.
      const early = await analyzeCohorts(bare, {
        rows: storedRows(bare.dialect),
        asOf: new Date('2024-02-10T00:00:00Z'),
      });
      expect(early.unavailable.map((u) => u.kind)).toEqual(['logo', 'revenue', 'activity']);
    } finally {
      await bare.close();
    }
  });

  it('labels cohorts and adjusts p-values as Benjamini and Hochberg do', () => {
    expect(cohortLabel(2024 * 12 + 1, 'month')).toBe('2024-02');
    expect(cohortLabel(2024 * 4 + 3, 'quarter')).toBe('2024-Q4');
    // R: p.adjust(c(0.01, 0.04, 0.03, 0.5), "BH") = 0.04 0.0533 0.0533 0.5
    const adjusted = benjaminiHochberg([0.01, 0.04, 0.03, 0.5]);
    for (const [i, p] of [0.04, 0.04 * (4 / 3), 0.04 * (4 / 3), 0.5].entries()) {
      expect(adjusted[i]).toBeCloseTo(p, 10);
    }
  });
});
