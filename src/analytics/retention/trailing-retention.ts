import type { Sql } from '../../dialect/sql.js';
import type { Store } from '../../store/store.js';

export interface TrailingRetention {
  /** Days looked back from the as-of time. */
  readonly days: number;
  /** Accounts paying (a subscription with MRR > 0 active) at the start of the window. */
  readonly customers: number;
  /** Share of them still paying at the end (0-1); null when there were none. */
  readonly logoRetention: number | null;
  /** Their MRR at the end over their MRR at the start, expansion included (NRR, 1 = 100%). */
  readonly netRevenueRetention: number | null;
  /** As NRR, each account counted at most at its starting MRR (GRR, at most 1). */
  readonly grossRevenueRetention: number | null;
}

/**
 * Logo, net and gross revenue retention over the `days` before `asOf` (365 by default),
 * of the accounts paying at the window's start, from subscription history, in one query.
 * Accounts that started paying inside the window are left out: they are new, not retained.
 */
export async function trailingRetention(store: Store, asOf: Date, days = 365): Promise<TrailingRetention> {
  const { sql, fn } = store.dialect;
  const end = sql.value(asOf);
  const start = fn.minusDays(end, days);
  const mrrAt = (at: Sql) =>
    sql`coalesce(${fn.aggregateIf('sum', sql`mrr`, sql`starts_at <= ${at} AND (ends_at IS NULL OR ends_at > ${at})`)}, 0)`;
  const [row] = await store.query<{
    customers: number;
    retained: number | null;
    start_total: number | null;
    end_total: number | null;
    kept_total: number | null;
  }>(
    // Totals get names of their own: ClickHouse lets an alias shadow the column it sums.
    sql`SELECT count(*) AS customers, sum(CASE WHEN mrr_end > 0 THEN 1 ELSE 0 END) AS retained,
       sum(mrr_start) AS start_total, sum(mrr_end) AS end_total, sum(least(mrr_end, mrr_start)) AS kept_total
     FROM (SELECT account_id, ${fn.toDouble(mrrAt(start))} AS mrr_start, ${fn.toDouble(mrrAt(end))} AS mrr_end
           FROM subscriptions WHERE mrr > 0 GROUP BY account_id) revenue
     WHERE mrr_start > 0`,
  );
  const customers = Number(row?.customers ?? 0);
  const before = Number(row?.start_total ?? 0);
  const share = (value: number | null | undefined, of: number) => (of > 0 ? Number(value ?? 0) / of : null);
  return {
    days,
    customers,
    logoRetention: share(row?.retained, customers),
    netRevenueRetention: share(row?.end_total, before),
    grossRevenueRetention: share(row?.kept_total, before),
  };
}
