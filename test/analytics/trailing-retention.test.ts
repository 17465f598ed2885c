import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trailingRetention } from '../../src/analytics/retention/trailing-retention.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Subscriptions, looked at over the 365 days to 2025-01-01 (the window starts 2024-01-02):
 *   a  100 from 2023-01-01 to 2024-06-01, then 150       start 100, end 150 (expanded)
 *   b  200 from 2023-06-01 to 2024-03-01                 start 200, end   0 (churned)
 *   c   50 from 2023-01-01                               start  50, end  50
 *   f  100 from 2023-01-01 to 2024-08-01, then 60        start 100, end  60 (contracted)
 *   d   80 from 2024-05-01                               new in the window: left out
 *   e    0 (free) since 2023                             never paying: left out
 *   g   70 from 2023-01-01 to 2024-01-02 00:00           ended at the start: left out
 * Customers 4, retained 3: logo 0.75. MRR 450 -> 260: NRR 260 / 450. Kept at most the
 * start: 100 + 0 + 50 + 60 = 210: GRR 210 / 450.
 */
const dir = tempDir();
let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'r.duckdb'));
  const rows = [
    ['a', 100, '2023-01-01', '2024-06-01'],
    ['a', 150, '2024-06-01', null],
    ['b', 200, '2023-06-01', '2024-03-01'],
    ['c', 50, '2023-01-01', null],
    ['f', 100, '2023-01-01', '2024-08-01'],
    ['f', 60, '2024-08-01', null],
    ['d', 80, '2024-05-01', null],
    ['e', 0, '2023-01-01', null],
    ['g', 70, '2023-01-01', '2024-01-02'],
  ].map(
    ([id, mrr, from, to]) =>
      `('${id}', 'pro', ${mrr}, '${from}', ${to ? `'${to}'` : 'NULL'}, '${to ? 'replaced' : 'active'}')`,
  );
  await store.execute(
    testSql(
      `INSERT INTO subscriptions (account_id, plan, mrr, starts_at, ends_at, status) VALUES ${rows.join(', ')}`,
    ),
  );
});
afterAll(() => store.close());

describe('trailing retention', () => {
  it('gives logo, net and gross revenue retention of the customers at the window start', async () => {
    const r = await trailingRetention(store, new Date('2025-01-01T00:00:00Z'));
    expect(r.days).toBe(365);
    expect(r.customers).toBe(4);
    expect(r.logoRetention).toBe(0.75);
    expect(r.netRevenueRetention).toBeCloseTo(260 / 450, 12);
    expect(r.grossRevenueRetention).toBeCloseTo(210 / 450, 12);
  });

  it('is empty, not zero, before anyone paid', async () => {
    const r = await trailingRetention(store, new Date('2023-06-01T00:00:00Z'), 365);
    expect(r).toEqual({
      days: 365,
      customers: 0,
      logoRetention: null,
      netRevenueRetention: null,
      grossRevenueRetention: null,
    });
  });
});
