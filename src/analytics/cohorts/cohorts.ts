import type { AccountRows } from '../../compile/scan-registry.js';
import { didYouMean, StrataError } from '../../errors.js';
import { TABLES } from '../../model/tables.js';
import type { Store } from '../../store/store.js';
import { checkSurvival, discountedLifetime, fitSbg, sbgSurvival } from '../retention/sbg.js';
import { benjaminiHochberg, cohensH, pBelow } from '../statistics.js';
import { type CohortCounts, readCohortCounts, unavailableRetention } from './cohort-queries.js';

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
  /** The rows of each account, as the identity rules and merges count them (src/identity/account-rows.ts). */
  readonly rows: AccountRows;
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

/** The cohort report as of `options.asOf`: see the comment at the top of this file. */
export async function analyzeCohorts(store: Store, options: CohortOptions): Promise<CohortReport> {
  const by = options.by ?? 'month';
  const unit = by === 'quarter' ? 3 : 1;
  const comparePeriod = options.comparePeriod ?? 3;
  // The last complete month before the as-of time (a quarter is complete when its last month is).
  const asOfMonth = options.asOf.getUTCFullYear() * 12 + options.asOf.getUTCMonth();
  const lastPeriod = Math.floor(asOfMonth / unit) - 1;
  const lastMonth = (lastPeriod + 1) * unit - 1;
  const dates = TABLES.accounts.columns.filter((c) => c.type === 'timestamp').map((c) => c.name);
  const date = options.date ?? 'created_at';
  if (!dates.includes(date)) {
    throw new StrataError(
      'invalid_argument',
      `--date ${date}: expected an account timestamp (${dates.join(', ')})${didYouMean(date, dates)}`,
    );
  }
  const counts = await readCohortCounts(store, {
    asOf: options.asOf,
    unit,
    lastMonth,
    date,
    rows: options.rows,
  });
  const cohorts = followCohorts(counts, lastPeriod, unit);
  const unavailable = await unavailableRetention(store, store.dialect.sql.value(options.asOf));
  // The flag: each cohort that reached the compared period against all the others that did
  // (none when nobody can be paying: a test of zeros against zeros says nothing).
  const noLogo = unavailable.some((u) => u.kind === 'logo');
  const flags = flagWeakCohorts(noLogo ? [] : cohorts, comparePeriod, options.alpha ?? 0.05);
  const discountRate = options.discountRate ?? (by === 'quarter' ? 0.03 : 0.01);
  return {
    asOf: options.asOf.toISOString(),
    by,
    comparePeriod,
    unavailable,
    cohorts: cohorts.map((c) => ({
      cohort: cohortLabel(c.cohort, by),
      accounts: c.accounts,
      periods: c.periods,
      survival: c.survival,
      retention30: c.retention30,
      expansion90: c.expansion90,
      ltvToDate: c.ltvToDate,
      projection: projectCohort(c, unit, discountRate),
      flag: flags.get(c.cohort) ?? null,
    })),
  };
}

/** A cohort as counted, before its label, projection and flag. */
interface FollowedCohort {
  readonly cohort: number;
  readonly accounts: number;
  readonly periods: CohortPeriod[];
  readonly survival: number[];
  readonly ltvToDate: number;
  readonly baseMrr: number;
  readonly retention30: number | null;
  readonly expansion90: number | null;
}

/** Each cohort's periods up to the last complete one, its survival counts and early signals. */
function followCohorts(counts: CohortCounts, lastPeriod: number, unit: number): FollowedCohort[] {
  const { sizes, revenue, activity, early, lifetimes } = counts;
  return sizes
    .map((s) => ({ cohort: Number(s.cohort), accounts: Number(s.accounts) }))
    .sort((a, b) => a.cohort - b.cohort)
    .map(({ cohort, accounts }) => {
      const observed = lastPeriod - cohort;
      const at = <Row extends { cohort: number; period: number }>(list: readonly Row[], k: number) =>
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
      const ratio = (x: number | undefined, n: number | undefined) => (n ? Number(x ?? 0) / Number(n) : null);
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
}

/**
 * Each cohort that reached `comparePeriod` against all the others that did: a one-sided
 * two-proportion z-test, Benjamini-Hochberg over the cohorts, and Cohen's h; weak when the
 * adjusted p-value is below `alpha` and h at most -0.2 (a small effect or larger).
 */
function flagWeakCohorts(
  cohorts: readonly FollowedCohort[],
  comparePeriod: number,
  alpha: number,
): Map<number, NonNullable<Cohort['flag']>> {
  const compared = cohorts.filter((c) => c.periods.length > comparePeriod);
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
  return new Map(
    tests.map((test, i) => {
      const adjustedPValue = adjusted[i] ?? 1;
      return [
        test.cohort,
        {
          period: comparePeriod,
          retention: test.retention,
          othersRetention: test.othersRetention,
          pValue: test.pValue,
          adjustedPValue,
          cohensH: test.cohensH,
          weak: adjustedPValue < alpha && test.cohensH <= -0.2,
        },
      ];
    }),
  );
}

/**
 * The shifted-beta-geometric fit of a cohort's survival, with at least three periods and ten
 * customers in period 0; null when there are fewer or the fit is refused.
 */
function projectCohort(c: FollowedCohort, unit: number, discountRate: number): Cohort['projection'] {
  if (c.survival.length < 3 || (c.survival[0] ?? 0) < 10) return null;
  try {
    checkSurvival(c.survival);
    const fit = fitSbg(c.survival);
    const customers = c.survival[0] ?? 0;
    return {
      alpha: fit.alpha,
      beta: fit.beta,
      projectedSurvival: sbgSurvival(fit.alpha, fit.beta, Math.max(24, c.survival.length)),
      projectedLtv:
        ((c.baseMrr / customers) * unit * discountedLifetime(fit.alpha, fit.beta, discountRate) * customers) /
        c.accounts,
    };
  } catch (error) {
    if (!(error instanceof StrataError)) throw error;
    return null;
  }
}
