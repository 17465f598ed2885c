import { randomUUID } from 'node:crypto';
import type { AccountRows } from '../../compile/scan-registry.js';
import type { Sql } from '../../dialect/sql.js';
import type { Store } from '../../store/store.js';
import type { UnavailableRetention } from './cohorts.js';

/*
 * The counts behind a cohort report, aggregated in the database: cohort sizes, paying
 * account-periods and their MRR, active account-periods, the early signals per cohort, and
 * how long period 0's paying customers kept paying. src/analytics/cohorts/cohorts.ts turns
 * them into retention, survival, projections and flags.
 */

/** Which cohorts and periods to count: months are numbered from year 0 (`monthNumber`). */
export interface CohortWindow {
  readonly asOf: Date;
  /** Months per period: 1 (by month) or 3 (by quarter). */
  readonly unit: number;
  /** The last complete month counted (the end of the last complete period before the as-of time). */
  readonly lastMonth: number;
  /** The account timestamp that starts an account's cohort. */
  readonly date: string;
  /** The rows of each account: events by the identity rules, merged accounts' rows under their survivor (src/identity/account-rows.ts). */
  readonly rows: AccountRows;
}

/** Rows as the store returns them: numbers, keyed by cohort number and period. */
export interface CohortCounts {
  readonly sizes: readonly { cohort: number; accounts: number }[];
  readonly revenue: readonly { cohort: number; period: number; paying: number; mrr: number; kept: number }[];
  readonly activity: readonly { cohort: number; period: number; active: number }[];
  readonly early: readonly {
    cohort: number;
    eligible_30: number;
    retained_30: number;
    paying_30: number;
    expanded_90: number;
  }[];
  readonly lifetimes: readonly { cohort: number; last_period: number; customers: number }[];
}

/** The counts of every cohort in `window`, through three scratch tables dropped at the end. */
export async function readCohortCounts(store: Store, window: CohortWindow): Promise<CohortCounts> {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const { unit, lastMonth } = window;
  const asOf = sql.value(window.asOf);
  const id = randomUUID().replaceAll('-', '').slice(0, 12);
  const t = {
    cohorts: `strata_cohort_accounts_${id}`,
    paying: `strata_cohort_paying_${id}`,
    base: `strata_cohort_base_${id}`,
  };
  const periodOf = (month: Sql) => sql`floor(${month} / ${unit})`;
  const start = q(window.date);
  try {
    await store.createScratch(
      t.cohorts,
      sql`SELECT account_id, ${periodOf(fn.monthNumber(start))} AS cohort, created_at AS signup_at FROM ${window.rows.accounts} a
       WHERE ${start} IS NOT NULL AND ${start} <= ${asOf} AND ${fn.monthNumber(start)} <= ${lastMonth}`,
    );
    // Paying account-months: MRR at each month's end, summed over the subscriptions active then.
    const lastPaid = sql`CASE WHEN ends_at IS NULL OR ends_at > ${asOf} THEN ${lastMonth}
      ELSE least(${fn.monthNumber(sql`ends_at`)} - 1, ${lastMonth}) END`;
    // Aliases never reuse a column's name: ClickHouse resolves names to aliases first.
    const months = sql`SELECT account_id, month, sum(mrr) AS month_mrr FROM (
        SELECT account_id, mrr, ${fn.explodeRange(fn.monthNumber(sql`starts_at`), lastPaid)} AS month
        FROM ${window.rows.subscriptions} s WHERE starts_at <= ${asOf} AND mrr > 0) paid
      GROUP BY account_id, month`;
    const periodEnds = unit === 1 ? sql.empty : sql`WHERE (month + 1) % ${unit} = 0`;
    await store.createScratch(
      t.paying,
      sql`SELECT account_id, cohort, ${periodOf(sql`month`)} - cohort AS period, month_mrr
       FROM ${fn.joinOnAccount([sql`(SELECT * FROM (${months}) months ${periodEnds}) paid_months`, q(t.cohorts)])}
       WHERE cohort IS NOT NULL AND ${periodOf(sql`month`)} >= cohort`,
    );
    await store.createScratch(
      t.base,
      sql`SELECT account_id, month_mrr AS base_mrr FROM ${q(t.paying)} WHERE period = 0`,
    );

    const sizes = await store.query<{ cohort: number; accounts: number }>(
      sql`SELECT cohort, count(*) AS accounts FROM ${q(t.cohorts)} GROUP BY cohort`,
    );
    const revenue = await store.query<{
      cohort: number;
      period: number;
      paying: number;
      mrr: number;
      kept: number;
    }>(
      sql`SELECT cohort, period, count(*) AS paying, sum(month_mrr) AS mrr, sum(least(month_mrr, coalesce(base_mrr, 0))) AS kept
       FROM ${fn.joinOnAccount([q(t.paying), q(t.base)])} GROUP BY cohort, period`,
    );
    const activeMonths = sql`SELECT DISTINCT account_id, ${periodOf(fn.monthNumber(sql`ts`))} AS event_period FROM ${window.rows.events} e
      WHERE ts <= ${asOf} AND ${fn.monthNumber(sql`ts`)} <= ${lastMonth}`;
    const activity = await store.query<{ cohort: number; period: number; active: number }>(
      sql`SELECT cohort, event_period - cohort AS period, count(*) AS active
       FROM ${fn.joinOnAccount([sql`(${activeMonths}) active_periods`, q(t.cohorts)])}
       WHERE cohort IS NOT NULL AND event_period >= cohort GROUP BY cohort, event_period - cohort`,
    );
    // Early signals per account: active 30-60 days after signup; MRR 30 and 90 days after it.
    const signups = (days: number) =>
      sql`(SELECT account_id, created_at AS signed_up FROM ${window.rows.accounts} a WHERE created_at <= ${fn.minusDays(asOf, days)}) signups`;
    const signedUp = sql`signed_up`;
    const active30 = sql`(SELECT account_id, 1 AS active_30 FROM ${fn.joinSmall(sql`${window.rows.events} e`, signups(60))}
      WHERE ts > ${fn.minusDays(signedUp, -30)} AND ts <= ${fn.minusDays(signedUp, -60)} GROUP BY account_id) early_activity`;
    const mrrAt = (days: number) => {
      const at = fn.minusDays(signedUp, -days);
      return sql`coalesce(${fn.aggregateIf('sum', sql`mrr`, sql`starts_at <= ${at} AND (ends_at IS NULL OR ends_at > ${at})`)}, 0)`;
    };
    const earlyRevenue = sql`(SELECT account_id, ${mrrAt(30)} AS mrr_30, ${mrrAt(90)} AS mrr_90
      FROM ${fn.joinSmall(sql`${window.rows.subscriptions} s`, signups(90))} WHERE mrr > 0 GROUP BY account_id) early_revenue`;
    const early = await store.query<{
      cohort: number;
      eligible_30: number;
      retained_30: number;
      paying_30: number;
      expanded_90: number;
    }>(
      sql`SELECT cohort,
         count(CASE WHEN signup_at <= ${fn.minusDays(asOf, 60)} THEN 1 END) AS eligible_30, count(active_30) AS retained_30,
         count(CASE WHEN signup_at <= ${fn.minusDays(asOf, 90)} AND mrr_30 > 0 THEN 1 END) AS paying_30,
         count(CASE WHEN signup_at <= ${fn.minusDays(asOf, 90)} AND mrr_30 > 0 AND mrr_90 > mrr_30 THEN 1 END) AS expanded_90
       FROM ${fn.joinOnAccount([q(t.cohorts), active30, earlyRevenue])} GROUP BY cohort`,
    );
    // Followed customers: paying in period 0; alive at k while their last paying period is >= k.
    const lifetimes = await store.query<{ cohort: number; last_period: number; customers: number }>(
      sql`SELECT cohort, last_period, count(*) AS customers FROM (
         SELECT account_id, cohort, max(period) AS last_period, min(period) AS first_period
         FROM ${q(t.paying)} GROUP BY account_id, cohort) lifetimes
       WHERE first_period = 0 GROUP BY cohort, last_period`,
    );
    return { sizes, revenue, activity, early, lifetimes };
  } finally {
    for (const name of Object.values(t)) await store.dropScratch(name);
  }
}

/** Which retention kinds the store has no data for by `asOf` (a SQL literal), and why. */
export async function unavailableRetention(store: Store, asOf: Sql): Promise<UnavailableRetention[]> {
  const sql = store.dialect.sql;
  const [paid] = await store.query<{ n: number }>(
    sql`SELECT count(*) AS n FROM (SELECT 1 AS one FROM subscriptions WHERE mrr > 0 AND starts_at <= ${asOf} LIMIT 1) paid`,
  );
  const [seen] = await store.query<{ n: number }>(
    sql`SELECT count(*) AS n FROM (SELECT 1 AS one FROM events WHERE ts <= ${asOf} LIMIT 1) seen`,
  );
  const unavailable: UnavailableRetention[] = [];
  if (Number(paid?.n ?? 0) === 0) {
    const reason =
      'no subscription with MRR above 0 started by then: import subscriptions (strata import subscriptions FILE) to measure who pays';
    unavailable.push({ kind: 'logo', reason }, { kind: 'revenue', reason });
  }
  if (Number(seen?.n ?? 0) === 0)
    unavailable.push({
      kind: 'activity',
      reason: 'no event by then: import events, or send them to strata serve, to measure activity',
    });
  return unavailable;
}
