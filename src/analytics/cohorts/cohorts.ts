import { randomUUID } from 'node:crypto';
import type { Sql } from '../../dialect/sql.js';
import { didYouMean, StrataError } from '../../errors.js';
import { TABLES } from '../../model/tables.js';
import type { Store } from '../../store/store.js';
import { checkSurvival, discountedLifetime, fitSbg, sbgSurvival } from '../retention/sbg.js';
import { benjaminiHochberg, cohensH, pBelow } from '../statistics.js';

/**
 * Cohorts of accounts by signup month or quarter (or the month of another account date,
 * `date`), followed period by period:
 * - logo retention: share of the cohort paying (a subscription with MRR > 0 active at the
 *   period's end: started by then and not ended before);
 * - net revenue retention: the cohort's MRR at the period's end over its MRR at the end of
 *   period 0; gross revenue retention counts each account at most at its period-0 MRR
 *   (no expansion);
 * - activity retention: share of the cohort with any event during the period;
 * - 30-day retention (any event 30 to 60 days after signup) and 90-day expansion (paying
 *   more 90 days after signup than 30 days after it).
 * Only complete periods before the as-of time count. Each cohort's paying customers of
 * period 0 are followed until their last paying period, and the shifted-beta-geometric
 * model is fitted to those survival counts to project lifetime and LTV. A cohort whose
 * logo retention at the compared period is significantly below the other cohorts'
 * (one-sided two-proportion z-test, Benjamini-Hochberg over the cohorts, Cohen's h) is
 * flagged.
 */

export interface CohortOptions {
  readonly asOf: Date;
  readonly by?: 'month' | 'quarter';
  /** The account timestamp that starts an account's cohort (default created_at, the signup). */
  readonly date?: string;
  /** Period at which cohorts are compared for the flag (default 3). */
  readonly comparePeriod?: number;
  /** Discount rate per period for projected LTV (default 1% a month, 3% a quarter). */
  readonly discountRate?: number;
  /** Significance level of the flag after correction (default 0.05). */
  readonly alpha?: number;
}

export interface CohortPeriod {
  readonly period: number;
  readonly paying: number;
  readonly logoRetention: number;
  readonly mrr: number;
  readonly netRevenueRetention: number | null;
  readonly grossRevenueRetention: number | null;
  readonly active: number;
  readonly activityRetention: number;
}

export interface Cohort {
  readonly cohort: string;
  readonly accounts: number;
  readonly periods: readonly CohortPeriod[];
  /** Paying customers of period 0 still paying (or paying again later) at each period. */
  readonly survival: readonly number[];
  /** Share with any event 30 to 60 days after signup (accounts signed up 60+ days before the time). */
  readonly retention30: number | null;
  /** Of the accounts paying 30 days after signup (signed up 90+ days before), share paying more at 90 days. */
  readonly expansion90: number | null;
  /** Revenue to date per account of the cohort (sum of period-end MRR, per month of a period). */
  readonly ltvToDate: number;
  readonly projection: {
    readonly alpha: number;
    readonly beta: number;
    readonly projectedSurvival: readonly number[];
    /** Period-0 MRR per paying customer x discounted lifetime, per account of the cohort. */
    readonly projectedLtv: number;
  } | null;
  readonly flag: {
    readonly period: number;
    readonly retention: number;
    readonly othersRetention: number;
    readonly pValue: number;
    readonly adjustedPValue: number;
    readonly cohensH: number;
    readonly weak: boolean;
  } | null;
}

/** A kind of retention the data cannot measure, and what to add so that it can. */
export interface UnavailableRetention {
  readonly kind: 'logo' | 'revenue' | 'activity';
  readonly reason: string;
}

export interface CohortReport {
  readonly asOf: string;
  readonly by: 'month' | 'quarter';
  readonly comparePeriod: number;
  readonly cohorts: readonly Cohort[];
  /**
   * Retention kinds with no data behind them (no paying subscription, no event by the as-of
   * time): their figures are all zero and say nothing, so they are named here instead, and
   * no cohort is tested or projected on them.
   */
  readonly unavailable: readonly UnavailableRetention[];
}

/** Label of cohort number `n` (months or quarters since year 0). */
export function cohortLabel(n: number, by: 'month' | 'quarter'): string {
  if (by === 'quarter') return `${Math.floor(n / 4)}-Q${(n % 4) + 1}`;
  return `${Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, '0')}`;
}

export async function analyzeCohorts(store: Store, options: CohortOptions): Promise<CohortReport> {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const by = options.by ?? 'month';
  const unit = by === 'quarter' ? 3 : 1;
  const comparePeriod = options.comparePeriod ?? 3;
  const discountRate = options.discountRate ?? (by === 'quarter' ? 0.03 : 0.01);
  const asOf = sql.value(options.asOf);
  // The last complete month before the as-of time (a quarter is complete when its last month is).
  const asOfMonth = options.asOf.getUTCFullYear() * 12 + options.asOf.getUTCMonth();
  const lastPeriod = Math.floor(asOfMonth / unit) - 1;
  const lastMonth = (lastPeriod + 1) * unit - 1;
  const id = randomUUID().replaceAll('-', '').slice(0, 12);
  const t = {
    cohorts: `strata_cohort_accounts_${id}`,
    paying: `strata_cohort_paying_${id}`,
    base: `strata_cohort_base_${id}`,
  };
  const periodOf = (month: Sql) => sql`floor(${month} / ${unit})`;
  const dates = TABLES.accounts.columns.filter((c) => c.type === 'timestamp').map((c) => c.name);
  const date = options.date ?? 'created_at';
  if (!dates.includes(date)) {
    throw new StrataError(
      'invalid_argument',
      `--date ${date}: expected an account timestamp (${dates.join(', ')})${didYouMean(date, dates)}`,
    );
  }
  const start = q(date);
  try {
    await store.createScratch(
      t.cohorts,
      sql`SELECT account_id, ${periodOf(fn.monthNumber(start))} AS cohort, created_at AS signup_at FROM accounts
       WHERE ${start} IS NOT NULL AND ${start} <= ${asOf} AND ${fn.monthNumber(start)} <= ${lastMonth}`,
    );
    // Paying account-months: MRR at each month's end, summed over the subscriptions active then.
    const lastPaid = sql`CASE WHEN ends_at IS NULL OR ends_at > ${asOf} THEN ${lastMonth}
      ELSE least(${fn.monthNumber(sql`ends_at`)} - 1, ${lastMonth}) END`;
    // Aliases never reuse a column's name: ClickHouse resolves names to aliases first.
    const months = sql`SELECT account_id, month, sum(mrr) AS month_mrr FROM (
        SELECT account_id, mrr, ${fn.explodeRange(fn.monthNumber(sql`starts_at`), lastPaid)} AS month
        FROM subscriptions WHERE starts_at <= ${asOf} AND mrr > 0) paid
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
    const activeMonths = sql`SELECT DISTINCT account_id, ${periodOf(fn.monthNumber(sql`ts`))} AS event_period FROM events
      WHERE ts <= ${asOf} AND ${fn.monthNumber(sql`ts`)} <= ${lastMonth}`;
    const activity = await store.query<{ cohort: number; period: number; active: number }>(
      sql`SELECT cohort, event_period - cohort AS period, count(*) AS active
       FROM ${fn.joinOnAccount([sql`(${activeMonths}) active_periods`, q(t.cohorts)])}
       WHERE cohort IS NOT NULL AND event_period >= cohort GROUP BY cohort, event_period - cohort`,
    );
    // Early signals per account: active 30-60 days after signup; MRR 30 and 90 days after it.
    const signups = (days: number) =>
      sql`(SELECT account_id, created_at AS signed_up FROM accounts WHERE created_at <= ${fn.minusDays(asOf, days)}) signups`;
    const signedUp = sql`signed_up`;
    const active30 = sql`(SELECT account_id, 1 AS active_30 FROM ${fn.joinSmall(sql`events`, signups(60))}
      WHERE ts > ${fn.minusDays(signedUp, -30)} AND ts <= ${fn.minusDays(signedUp, -60)} GROUP BY account_id) early_activity`;
    const mrrAt = (days: number) => {
      const at = fn.minusDays(signedUp, -days);
      return sql`coalesce(${fn.aggregateIf('sum', sql`mrr`, sql`starts_at <= ${at} AND (ends_at IS NULL OR ends_at > ${at})`)}, 0)`;
    };
    const earlyRevenue = sql`(SELECT account_id, ${mrrAt(30)} AS mrr_30, ${mrrAt(90)} AS mrr_90
      FROM ${fn.joinSmall(sql`subscriptions`, signups(90))} WHERE mrr > 0 GROUP BY account_id) early_revenue`;
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
    const cohorts = sizes
      .map((s) => ({ cohort: Number(s.cohort), accounts: Number(s.accounts) }))
      .sort((a, b) => a.cohort - b.cohort)
      .map(({ cohort, accounts }) => {
        const observed = lastPeriod - cohort;
        const at = <Row extends { cohort: number; period: number }>(list: Row[], k: number) =>
          list.find((r) => Number(r.cohort) === cohort && Number(r.period) === k);
        const base = at(revenue, 0);
        const baseMrr = Number(base?.mrr ?? 0);
        const periods: CohortPeriod[] = [];
        for (let k = 0; k <= observed; k++) {
          const r = at(revenue, k);
          const active = Number(at(activity, k)?.active ?? 0);
          const paying = Number(r?.paying ?? 0);
          periods.push({
            period: k,
            paying,
            logoRetention: paying / accounts,
            mrr: Number(r?.mrr ?? 0),
            netRevenueRetention: baseMrr > 0 ? Number(r?.mrr ?? 0) / baseMrr : null,
            grossRevenueRetention: baseMrr > 0 ? Number(r?.kept ?? 0) / baseMrr : null,
            active,
            activityRetention: active / accounts,
          });
        }
        const ends = lifetimes.filter((l) => Number(l.cohort) === cohort);
        const survival = periods.map((p) =>
          ends
            .filter((l) => Number(l.last_period) >= p.period)
            .reduce((sum, l) => sum + Number(l.customers), 0),
        );
        const monthsPerPeriod = unit;
        const ltvToDate = (periods.reduce((sum, p) => sum + p.mrr, 0) * monthsPerPeriod) / accounts;
        const signals = early.find((e) => Number(e.cohort) === cohort);
        const ratio = (x: number | undefined, n: number | undefined) =>
          n ? Number(x ?? 0) / Number(n) : null;
        return {
          cohort,
          accounts,
          periods,
          survival,
          ltvToDate,
          baseMrr,
          retention30: ratio(signals?.retained_30, signals?.eligible_30),
          expansion90: ratio(signals?.expanded_90, signals?.paying_30),
        };
      });

    const unavailable = await unavailableRetention(store, asOf);
    const noLogo = unavailable.some((u) => u.kind === 'logo');
    // The flag: each cohort that reached the compared period against all the others that did
    // (none when nobody can be paying: a test of zeros against zeros says nothing).
    const compared = noLogo ? [] : cohorts.filter((c) => c.periods.length > comparePeriod);
    const tests = compared.map((c) => {
      const paying = c.periods[comparePeriod]?.paying ?? 0;
      const others = compared.filter((o) => o !== c);
      const otherPaying = others.reduce((sum, o) => sum + (o.periods[comparePeriod]?.paying ?? 0), 0);
      const otherAccounts = others.reduce((sum, o) => sum + o.accounts, 0);
      const [p1, p2] = [paying / c.accounts, otherAccounts > 0 ? otherPaying / otherAccounts : Number.NaN];
      return {
        cohort: c.cohort,
        retention: p1,
        othersRetention: p2,
        pValue: pBelow(paying, c.accounts, otherPaying, otherAccounts),
        cohensH: cohensH(p1, Number.isNaN(p2) ? p1 : p2),
      };
    });
    const adjusted = benjaminiHochberg(tests.map((x) => x.pValue));
    const alpha = options.alpha ?? 0.05;

    return {
      asOf: options.asOf.toISOString(),
      by,
      comparePeriod,
      unavailable,
      cohorts: cohorts.map((c) => {
        const testIndex = tests.findIndex((x) => x.cohort === c.cohort);
        const test = tests[testIndex];
        let projection: Cohort['projection'] = null;
        if (c.survival.length >= 3 && (c.survival[0] ?? 0) >= 10) {
          try {
            checkSurvival(c.survival);
            const fit = fitSbg(c.survival);
            const customers = c.survival[0] ?? 0;
            projection = {
              alpha: fit.alpha,
              beta: fit.beta,
              projectedSurvival: sbgSurvival(fit.alpha, fit.beta, Math.max(24, c.survival.length)),
              projectedLtv:
                ((c.baseMrr / customers) *
                  unit *
                  discountedLifetime(fit.alpha, fit.beta, discountRate) *
                  customers) /
                c.accounts,
            };
          } catch (error) {
            if (!(error instanceof StrataError)) throw error;
          }
        }
        return {
          cohort: cohortLabel(c.cohort, by),
          accounts: c.accounts,
          periods: c.periods,
          survival: c.survival,
          retention30: c.retention30,
          expansion90: c.expansion90,
          ltvToDate: c.ltvToDate,
          projection,
          flag: test
            ? {
                period: comparePeriod,
                retention: test.retention,
                othersRetention: test.othersRetention,
                pValue: test.pValue,
                adjustedPValue: adjusted[testIndex] ?? 1,
                cohensH: test.cohensH,
                weak: (adjusted[testIndex] ?? 1) < alpha && test.cohensH <= -0.2,
              }
            : null,
        };
      }),
    };
  } finally {
    for (const name of Object.values(t)) await store.dropScratch(name);
  }
}

/** Which retention kinds the store has no data for by `asOf` (a SQL literal), and why. */
async function unavailableRetention(store: Store, asOf: Sql): Promise<UnavailableRetention[]> {
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
