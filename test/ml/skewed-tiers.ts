import type { Store } from '../../src/store/store.js';
import { testSql } from '../helpers/sql.js';

/*
 * 100 accounts in three planted tiers, skewed as SaaS revenue is, with one extreme account:
 *   free        f00-f49: mrr 0,                        employees 5 + (i mod 10)
 *   growth      g00-g29: mrr 150 + 10 (i mod 10),      employees 40 + 4 (i mod 10)
 *   enterprise  e00-e19: mrr 3,000 + 200 (i mod 10),   employees 500 + 50 (i mod 10);
 *               e19 instead has mrr 900,000 and 80,000 employees.
 * In z-scores e19 is about 10 standard deviations out and every other account within 0.1 of
 * the others, so any k puts e19 alone.
 * auto: the nearest-rank 99th percentile is the 99th of the 100 sorted values, the largest
 * but e19's: mrr 4,800 and employees 950 (the 1st percentile is the minimum, so no lower
 * cap); one account capped each. Skewness (scipy.stats.skew, population): mrr 9.84513 raw,
 * 1.58917 capped (> 1, so ln(1 + x)), 0.28500 after; employees 9.83126, 1.65952, 0.76340.
 * With `settings: { minSegmentSize: 5 }` the smallest allowed cluster is
 * max(5, 2% of 100 = 2) = 5.
 */

/** The planted tiers' account ids. */
export const TIERS: Readonly<Record<'free' | 'growth' | 'enterprise', readonly string[]>> = {
  free: Array.from({ length: 50 }, (_, i) => `f${String(i).padStart(2, '0')}`),
  growth: Array.from({ length: 30 }, (_, i) => `g${String(i).padStart(2, '0')}`),
  enterprise: Array.from({ length: 20 }, (_, i) => `e${String(i).padStart(2, '0')}`),
};

export const TIERS_YAML = 'settings: { minSegmentSize: 5 }\nsegments: {}\n';

/** Writes the 100 accounts into a store's accounts table. */
export async function insertTiers(store: Store): Promise<void> {
  const row = (id: string, mrr: number, employees: number) => `('${id}', '2024-01-01', ${employees}, ${mrr})`;
  const rows = [
    ...TIERS.free.map((id, i) => row(id, 0, 5 + (i % 10))),
    ...TIERS.growth.map((id, i) => row(id, 150 + 10 * (i % 10), 40 + 4 * (i % 10))),
    ...TIERS.enterprise.map((id, i) =>
      i === 19 ? row(id, 900_000, 80_000) : row(id, 3000 + 200 * (i % 10), 500 + 50 * (i % 10)),
    ),
  ];
  await store.execute(
    testSql(`INSERT INTO accounts (account_id, created_at, employees, mrr) VALUES ${rows.join(', ')}`),
  );
}
