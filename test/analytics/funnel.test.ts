import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeFunnel } from '../../src/analytics/funnels/funnel.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Steps signup -> trial_started -> subscription_paid within 30 days, as of 2024-08-01.
 *   f1 (plan a): 06-01, 06-02, 06-10                 -> 3 steps
 *   f2 (a): 06-01, 06-05, paid 07-15 (44 days later) -> 2
 *   f3 (a): 06-01, trial 06-04, paid 06-03 (before the trial) -> 2
 *   f4 (b): 06-01, nothing more                      -> 1
 *   f5 (b): trial 05-30 (before the signup), 06-01, paid 06-05 -> 1
 *   f6 (b): 06-01, trial at the same instant, paid 06-20 -> 3
 *   f7: no signup -> not in the funnel
 * All: 6, 4, 2; plan a: 3, 3, 1; plan b: 3, 1, 1.
 * Step 1, b (1/3) against a (3/3): pooled 4/6, z = -1.732051, p = 0.0416323; a: p = 0.9583677.
 * Step 2, a (1/3) against b (1/1): pooled 0.5, z = -1.154701, p = 0.1241065; b: p = 0.8758935.
 * Benjamini-Hochberg over the four: b step 1 0.1665290, a step 2 0.2482131: no leak at 0.05.
 */
const dir = tempDir();
let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'f.duckdb'));
  const events = [
    ['f1', 'signup', '06-01'],
    ['f1', 'trial_started', '06-02'],
    ['f1', 'subscription_paid', '06-10'],
    ['f2', 'signup', '06-01'],
    ['f2', 'trial_started', '06-05'],
    ['f2', 'subscription_paid', '07-15'],
    ['f3', 'signup', '06-01'],
    ['f3', 'trial_started', '06-04'],
    ['f3', 'subscription_paid', '06-03'],
    ['f4', 'signup', '06-01'],
    ['f5', 'trial_started', '05-30'],
    ['f5', 'signup', '06-01'],
    ['f5', 'subscription_paid', '06-05'],
    ['f6', 'signup', '06-01'],
    ['f6', 'trial_started', '06-01'],
    ['f6', 'subscription_paid', '06-20'],
    ['f7', 'trial_started', '06-02'],
  ].map(([a, e, day], i) => `('e${i}', '${a}', '${e}', '2024-${day}')`);
  await store.execute(
    testSql(`
    INSERT INTO accounts (account_id, created_at, plan) VALUES ('f1', '2024-06-01', 'a'), ('f2', '2024-06-01', 'a'),
      ('f3', '2024-06-01', 'a'), ('f4', '2024-06-01', 'b'), ('f5', '2024-06-01', 'b'), ('f6', '2024-06-01', 'b'),
      ('f7', '2024-06-01', 'b');
    INSERT INTO events (event_id, account_id, event, ts) VALUES ${events.join(', ')};
  `),
  );
});
afterAll(() => store.close());

const FUNNEL = { steps: ['signup', 'trial_started', 'subscription_paid'], withinDays: 30 };

describe('funnels', () => {
  it('counts accounts reaching each ordered step within the window', async () => {
    const report = await analyzeFunnel(store, FUNNEL, {
      events: store.dialect.sql.id('events'),
      asOf: new Date('2024-08-01T00:00:00Z'),
    });
    expect(report.overall.reached).toEqual([6, 4, 2]);
    expect(report.overall.conversion).toEqual([null, 4 / 6, 2 / 4]);
    expect(report.groups).toEqual([]);
  });

  it('splits by a dimension and tests each step against the other groups', async () => {
    const report = await analyzeFunnel(store, FUNNEL, {
      events: store.dialect.sql.id('events'),
      asOf: new Date('2024-08-01T00:00:00Z'),
      by: 'plan',
    });
    expect(report.groups.map((g) => [g.group, g.reached])).toEqual([
      ['a', [3, 3, 1]],
      ['b', [3, 1, 1]],
    ]);
    const [a, b] = report.groups;
    expect(b?.tests[0]).toMatchObject({ step: 1, others: 1, leak: false });
    expect(b?.tests[0]?.pValue).toBeCloseTo(0.0416323, 6);
    expect(b?.tests[0]?.adjustedPValue).toBeCloseTo(0.166529, 5);
    expect(a?.tests[1]?.pValue).toBeCloseTo(0.1241065, 6);
    expect(a?.tests[1]?.adjustedPValue).toBeCloseTo(0.2482131, 6);
    expect(a?.tests[0]?.pValue).toBeCloseTo(0.9583677, 6);
  });

  it('does not see steps after the as-of time', async () => {
    const report = await analyzeFunnel(store, FUNNEL, {
      events: store.dialect.sql.id('events'),
      asOf: new Date('2024-06-03T00:00:00Z'),
    });
    expect(report.overall.reached).toEqual([6, 2, 0]);
  });
});
