import { metricColumn } from '../compile/compile-workspace.js';
import type { Store } from '../store/store.js';
import type { StoredRun } from './run-snapshot.js';

/*
 * The reads the HTTP API makes of the store beyond whole analyses: a user's row, and a run's
 * totals for the overview's KPIs. Here rather than in the route handlers, which write no SQL.
 */

/** A row of the users table: every column (user_id and account_id among them). */
export type UserRow = Record<string, unknown> & { user_id: string; account_id: string | null };

/** The row of user `id`, or undefined. */
export async function findUser(store: Store, id: string): Promise<UserRow | undefined> {
  const [user] = await store.query<UserRow>(store.dialect.sql`SELECT * FROM users WHERE user_id = ${id}`);
  return user;
}

/**
 * A run's total MRR (of its accounts' current rows) and the mean health (0-100) of its paying
 * accounts (MRR above 0; null without the metric or without a paying account): a trial or a
 * churned account has no health a CS manager acts on, and would pull the mean down.
 */
export async function runTotals(
  store: Store,
  run: StoredRun,
): Promise<{ mrr: number | null; health: number | null } | undefined> {
  const d = store.dialect;
  const health = run.metrics.includes('health') ? d.sql.id(metricColumn('health')) : null;
  const [totals] = await store.query<{ mrr: number | null; health: number | null }>(
    d.sql`SELECT sum(mrr) AS mrr, ${health ? d.sql`avg(CASE WHEN mrr > 0 THEN ${d.fn.toDouble(health)} ELSE NULL END)` : d.sql`NULL`} AS health
     FROM ${d.fn.joinOnAccount([run.table, d.sql`(SELECT account_id, mrr FROM accounts) account_mrr`])}`,
  );
  return totals;
}

/** A suggested value for a free-text box, with words beside it and how many. */
export interface Suggestion {
  value: string;
  label: string | null;
  count: number | null;
}

/**
 * Event names beginning with `prefix` (case-insensitive, `%` and `_` literal), most frequent
 * first, at most `limit` (1-50), each with its number of events.
 */
export async function suggestEvents(store: Store, prefix: string, limit: number): Promise<Suggestion[]> {
  const { sql, fn } = store.dialect;
  const rows = await store.query<{ value: string; n: number | bigint | string }>(
    sql`SELECT event AS value, count(*) AS n FROM events WHERE ${fn.startsWithText(sql`event`, sql.value(prefix))}
     GROUP BY event ORDER BY n DESC, value LIMIT ${bounded(limit)}`,
  );
  return rows.map((r) => ({ value: r.value, label: null, count: Number(r.n) }));
}

/**
 * Accounts whose id or name begins with `prefix` (case-insensitive, `%` and `_` literal), by
 * id, at most `limit` (1-50), each with its name.
 */
export async function suggestAccounts(store: Store, prefix: string, limit: number): Promise<Suggestion[]> {
  const { sql, fn } = store.dialect;
  const needle = sql.value(prefix);
  const rows = await store.query<{ value: string; label: string | null }>(
    sql`SELECT account_id AS value, name AS label FROM accounts
     WHERE ${fn.startsWithText(sql`account_id`, needle)} OR ${fn.startsWithText(sql`coalesce(name, '')`, needle)}
     ORDER BY account_id LIMIT ${bounded(limit)}`,
  );
  return rows.map((r) => ({ value: r.value, label: r.label ?? null, count: null }));
}

/** A list for a person to pick from stays short whatever the caller asks: 1 to 50. */
const bounded = (limit: number) => Math.min(50, Math.max(1, Math.floor(limit)));
