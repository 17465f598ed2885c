import type { AccountRows } from '../compile/scan-registry.js';
import type { Dialect } from '../dialect/dialect.js';
import type { Sql } from '../dialect/sql.js';
import { didYouMean, StrataError } from '../errors.js';
import type { Store } from '../store/store.js';

/**
 * What a model predicts, read from history after an as-of time T. The population is the
 * accounts paying at T (MRR above 0 in the subscription history); the label looks only at
 * (T, T + horizon], while the features only see rows up to T.
 */
export type Target =
  /** Not paying any more `horizonDays` after T. */
  | { readonly kind: 'churned'; readonly horizonDays: number }
  /** Paying more `horizonDays` after T than at T. */
  | { readonly kind: 'expanded'; readonly horizonDays: number }
  /** First used `event` within the horizon (accounts that had used it by T are left out). */
  | { readonly kind: 'adopted'; readonly event: string; readonly horizonDays: number }
  /** Opened `atLeast` support tickets within the horizon. */
  | { readonly kind: 'tickets'; readonly atLeast: number; readonly horizonDays: number };

/** `churned`, `expanded`, `adopted:<event>`, `tickets:<N>` with a horizon. */
export function parseTarget(label: string, horizonDays: number): Target {
  if (!(Number.isInteger(horizonDays) && horizonDays > 0)) {
    throw new StrataError('invalid_argument', `--horizon ${horizonDays}: expected whole days above 0 (90d)`);
  }
  if (label === 'churned' || label === 'expanded') return { kind: label, horizonDays };
  const adopted = /^adopted:(.+)$/.exec(label);
  if (adopted?.[1]) return { kind: 'adopted', event: adopted[1], horizonDays };
  const tickets = /^tickets:(\d+)$/.exec(label);
  if (tickets?.[1] && Number(tickets[1]) > 0)
    return { kind: 'tickets', atLeast: Number(tickets[1]), horizonDays };
  throw new StrataError(
    'invalid_argument',
    `--label ${label}: expected churned, expanded, adopted:<event> or tickets:<N> (or --table accounts with a column)${didYouMean(label, ['churned', 'expanded'])}`,
  );
}

/** Words for reports: "churned within 90 days". */
export function describeTarget(target: Target): string {
  const within = `within ${target.horizonDays} days`;
  switch (target.kind) {
    case 'churned':
      return `churned ${within}`;
    case 'expanded':
      return `expanded (MRR up) ${within}`;
    case 'adopted':
      return `first used ${target.event} ${within}`;
    case 'tickets':
      return `opened ${target.atLeast}+ tickets ${within}`;
  }
}

/** The model name a target gets by default: churn, expansion, adoption_<event>, support_need. */
export function defaultModelName(target: Target): string {
  switch (target.kind) {
    case 'churned':
      return 'churn';
    case 'expanded':
      return 'expansion';
    case 'adopted':
      return `adoption_${target.event.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    case 'tickets':
      return 'support_need';
  }
}

const plusDays = (d: Dialect, at: Date, days: number) =>
  d.sql.value(new Date(at.getTime() + days * 86_400_000));

/**
 * A relation `(...) labels` with account_id and label (0 / 1), one row per account of the
 * population at `asOf`; the label is read from the history of (asOf, asOf + horizon].
 */
export function labelRelation(d: Dialect, target: Target, asOf: Date, rows: AccountRows): Sql {
  const { sql, fn } = d;
  const now = sql.value(asOf);
  const later = plusDays(d, asOf, target.horizonDays);
  const mrrAt = (at: Sql) =>
    sql`coalesce(${fn.aggregateIf('sum', sql`mrr`, sql`starts_at <= ${at} AND (ends_at IS NULL OR ends_at > ${at}) AND mrr > 0`)}, 0)`;
  const revenue = sql`(SELECT account_id, ${mrrAt(now)} AS mrr_now, ${mrrAt(later)} AS mrr_later
      FROM ${rows.subscriptions} s WHERE starts_at <= ${later} GROUP BY account_id) revenue`;
  switch (target.kind) {
    case 'churned':
      return sql`(SELECT account_id, CASE WHEN mrr_later = 0 THEN 1 ELSE 0 END AS label FROM ${revenue} WHERE mrr_now > 0) labels`;
    case 'expanded':
      return sql`(SELECT account_id, CASE WHEN mrr_later > mrr_now THEN 1 ELSE 0 END AS label FROM ${revenue} WHERE mrr_now > 0) labels`;
    case 'adopted': {
      const uses = sql`(SELECT account_id, ${fn.aggregateIf('count', sql.empty, sql`ts <= ${now}`)} AS used_before,
          ${fn.aggregateIf('count', sql.empty, sql`ts > ${now}`)} AS used_after
        FROM ${rows.events} e WHERE event = ${target.event} AND ts <= ${later} GROUP BY account_id) uses`;
      return sql`(SELECT account_id, CASE WHEN coalesce(used_after, 0) > 0 THEN 1 ELSE 0 END AS label
        FROM ${fn.joinOnAccount([revenue, uses])} WHERE mrr_now > 0 AND coalesce(used_before, 0) = 0) labels`;
    }
    case 'tickets': {
      const opened = sql`(SELECT account_id, count(*) AS opened FROM tickets
        WHERE created_at > ${now} AND created_at <= ${later} GROUP BY account_id) opened`;
      return sql`(SELECT account_id, CASE WHEN coalesce(opened, 0) >= ${target.atLeast} THEN 1 ELSE 0 END AS label
        FROM ${fn.joinOnAccount([revenue, opened])} WHERE mrr_now > 0) labels`;
    }
  }
}

/** A relation `(...) paying` of the accounts paying at `asOf` (the population of history-trained models). */
export function payingRelation(d: Dialect, asOf: Date): Sql {
  const at = d.sql.value(asOf);
  return d.sql`(SELECT account_id FROM subscriptions
      WHERE starts_at <= ${at} AND (ends_at IS NULL OR ends_at > ${at}) AND mrr > 0 GROUP BY account_id) paying`;
}

/** The last instant the store has data for: the latest event, subscription change or ticket. */
export async function observedUntil(store: Store): Promise<Date | null> {
  const rows = await store.query<{ newest: string | null }>(
    store.dialect.sql`SELECT ${store.dialect.fn.isoTimestamp(store.dialect.sql`max(newest)`)} AS newest FROM (
       SELECT max(ts) AS newest FROM events
       UNION ALL SELECT max(starts_at) AS newest FROM subscriptions
       UNION ALL SELECT max(ends_at) AS newest FROM subscriptions WHERE ends_at IS NOT NULL
       UNION ALL SELECT max(created_at) AS newest FROM tickets) t`,
  );
  const newest = rows[0]?.newest;
  return newest === null || newest === undefined ? null : new Date(String(newest));
}
