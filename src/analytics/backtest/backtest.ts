import { segmentColumn } from '../../compile/compile-workspace.js';
import type { Sql } from '../../dialect/sql.js';
import { evaluateWorkspace } from '../../engine/evaluate.js';
import type { Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';

export interface Outcomes {
  /** Accounts paying (MRR > 0) at the as-of time: the ones that can churn or expand. */
  readonly paying: number;
  /** Of them, no longer paying at the horizon. */
  readonly churned: number;
  /** Of them, paying more at the horizon than at the as-of time. */
  readonly expanded: number;
  /** churned / paying and expanded / paying (0-1); null when none was paying. */
  readonly churnRate: number | null;
  readonly expansionRate: number | null;
}

export interface Backtest {
  readonly asOf: string;
  readonly horizonDays: number;
  /** The latest data the store holds; outcomes later than it are not known yet. */
  readonly observedUntil: string | null;
  /** True when the data reaches the horizon (otherwise churn and expansion are understated). */
  readonly horizonObserved: boolean;
  readonly accounts: number;
  readonly all: Outcomes;
  readonly segments: readonly ({ readonly segment: string; readonly members: number } & Outcomes & {
      /** The accounts outside the segment, for comparison. */
      readonly others: Outcomes;
    })[];
}

const DAY_MS = 86_400_000;

/**
 * A definition tried at a past time without writing anything: each segment's members at
 * `asOf` (the workspace evaluated as a run would, seeing only rows up to then) and how they
 * went on to behave over the next `horizonDays` days, from subscription history: churned
 * (paying then, not at the horizon) and expanded (paying more), against the other accounts.
 * One evaluation and one aggregate query.
 */
export async function backtestWorkspace(
  store: Store,
  workspace: Workspace,
  options: { asOf: Date; horizonDays?: number },
): Promise<Backtest> {
  const { sql, fn } = store.dialect;
  const horizonDays = options.horizonDays ?? 90;
  const now = sql.value(options.asOf);
  const later = sql.value(new Date(options.asOf.getTime() + horizonDays * DAY_MS));
  const mrrAt = (at: Sql) =>
    sql`coalesce(${fn.aggregateIf('sum', sql`mrr`, sql`starts_at <= ${at} AND (ends_at IS NULL OR ends_at > ${at}) AND mrr > 0`)}, 0)`;
  const revenue = sql`(SELECT account_id, ${fn.toDouble(mrrAt(now))} AS mrr_now, ${fn.toDouble(mrrAt(later))} AS mrr_later
    FROM subscriptions WHERE starts_at <= ${later} GROUP BY account_id) revenue`;
  const ids = workspace.segments.map((s) => s.id);
  const evaluation = await evaluateWorkspace(store, workspace, options.asOf);
  try {
    const paying = sql`coalesce(mrr_now, 0) > 0`;
    const churned = sql`${paying} AND coalesce(mrr_later, 0) = 0`;
    const expanded = sql`${paying} AND coalesce(mrr_later, 0) > mrr_now`;
    const counts = (prefix: string, where: Sql) => [
      sql`count(CASE WHEN ${where} THEN 1 END) AS ${sql.id(`${prefix}n`)}`,
      sql`count(CASE WHEN ${where} AND ${paying} THEN 1 END) AS ${sql.id(`${prefix}p`)}`,
      sql`count(CASE WHEN ${where} AND ${churned} THEN 1 END) AS ${sql.id(`${prefix}c`)}`,
      sql`count(CASE WHEN ${where} AND ${expanded} THEN 1 END) AS ${sql.id(`${prefix}e`)}`,
    ];
    const columns = [
      ...counts('all_', sql`1 = 1`),
      ...ids.flatMap((id, i) => counts(`s${i}_`, sql.id(segmentColumn(id)))),
    ];
    const [row] = await store.query<Record<string, number>>(
      sql`SELECT ${sql.join(columns)} FROM ${fn.joinOnAccount([evaluation, revenue])}`,
    );
    const [until] = await store.query<{ newest: string | null }>(
      sql`SELECT ${fn.isoTimestamp(sql`max(ts)`)} AS newest FROM (
         SELECT max(starts_at) AS ts FROM subscriptions
         UNION ALL SELECT max(ends_at) AS ts FROM subscriptions WHERE ends_at IS NOT NULL
         UNION ALL SELECT max(ts) AS ts FROM events) latest`,
    );
    const value = (key: string) => Number(row?.[key] ?? 0);
    const outcomes = (p: number, c: number, e: number): Outcomes => ({
      paying: p,
      churned: c,
      expanded: e,
      churnRate: p > 0 ? c / p : null,
      expansionRate: p > 0 ? e / p : null,
    });
    const [n, p, c, e] = ['n', 'p', 'c', 'e'].map((k) => value(`all_${k}`)) as [
      number,
      number,
      number,
      number,
    ];
    const observedUntil = until?.newest ? new Date(until.newest).toISOString() : null;
    return {
      asOf: options.asOf.toISOString(),
      horizonDays,
      observedUntil,
      horizonObserved:
        observedUntil !== null &&
        new Date(observedUntil).getTime() >= options.asOf.getTime() + horizonDays * DAY_MS,
      accounts: n,
      all: outcomes(p, c, e),
      segments: ids.map((segment, i) => {
        const [sn, sp, sc, se] = ['n', 'p', 'c', 'e'].map((k) => value(`s${i}_${k}`)) as [
          number,
          number,
          number,
          number,
        ];
        return { segment, members: sn, ...outcomes(sp, sc, se), others: outcomes(p - sp, c - sc, e - se) };
      }),
    };
  } finally {
    await store.dropScratch(evaluation);
  }
}
