import { compileLayers, segmentColumn } from '../compile/compile-workspace.js';
import type { AccountRows } from '../compile/scan-registry.js';
import type { Sql } from '../dialect/sql.js';
import { evaluateLayers } from '../engine/evaluate.js';
import { listRuns, readRun } from '../engine/run-snapshot.js';
import { parseInstant } from '../model/instant.js';
import { withKeyChunks } from '../store/key-chunks.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { segmentClosure } from './dependence.js';

/**
 * The query triggers evaluate memberships with: a full run's compiled SQL, for only the
 * segments asked for (and those they refer to) and without metric columns, so it reads
 * only what their conditions need. One row per account existing at `asOf`, with
 * `account_id` and a flag `s<i>` (1 or 0) per segment, the same expressions as the
 * run's `segment:<id>` columns.
 *
 * `work` gets the relation (a subquery, or a scratch table on an engine whose ranks need
 * one) and may query it; the scratch table is dropped after.
 */
export async function withFlags<T>(
  store: Store,
  workspace: Workspace,
  segments: readonly string[],
  asOf: Date,
  /** The rows of the accounts evaluated (src/identity/account-rows.ts), scoped to them or not. */
  rows: AccountRows,
  work: (relation: Sql) => Promise<T>,
): Promise<T> {
  const { dialect } = store;
  const sql = dialect.sql;
  const q = (name: string) => sql.id(name);
  const needed = segmentClosure(workspace, segments);
  const layers = compileLayers(dialect, {
    metrics: workspace.metrics,
    segments: workspace.segments.filter((segment) => needed.has(segment.id)),
    metricOutputs: [],
    asOf,
    rows,
  });
  // 1 / 0 rather than booleans: the same text in a CSV written by DuckDB and by ClickHouse.
  const flags = sql.join(
    segments.map(
      (segment, i) => sql`CASE WHEN ${q(segmentColumn(segment))} THEN 1 ELSE 0 END AS ${q(`s${i}`)}`,
    ),
  );
  if (!layers.needsTable)
    return work(sql`(SELECT account_id, ${flags} FROM (${layers.finish(sql`(${layers.base})`)}) t)`);
  const table = await evaluateLayers(store, layers, 'strata_trigger');
  try {
    return await work(sql`(SELECT account_id, ${flags} FROM ${table})`);
  } finally {
    await store.dropScratch(table);
  }
}

/**
 * The earliest stored row time after `after` (an event, a trait change, an account's or a
 * user's creation) of these accounts (null: of every account), in epoch milliseconds
 * rounded up; null when there is none. Rows stamped in the future (a sender's clock a little
 * ahead, a signup date still to come) are seen by no evaluation before that time, so
 * memberships that otherwise depend only on an account's own data can still change then.
 */
export async function earliestAfter(
  store: Store,
  /** Users and events as they count for accounts: one without an account is its user's accounts'. */
  counted: AccountRows,
  accounts: readonly string[] | null,
  after: Date,
): Promise<number | null> {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const earliestOf = (among: Sql) => {
    const parts = (
      [
        [counted.events, 'ts'],
        [q('trait_history'), 'ts'],
        [q('accounts'), 'created_at'],
        [counted.users, 'created_at'],
      ] as const
    ).map(
      ([table, column]) =>
        sql`SELECT ${fn.isoTimestamp(sql`min(${q(column)})`)} AS t FROM ${table} r WHERE ${q(column)} > ${after}${among}`,
    );
    return store.query<{ t: string | null }>(sql.join(parts, sql` UNION ALL `));
  };
  const rows: { t: string | null }[] = [];
  if (accounts === null) rows.push(...(await earliestOf(sql.empty)));
  else
    await withKeyChunks(store, accounts, async (_, keys) => {
      rows.push(...(await earliestOf(sql` AND account_id IN ${keys}`)));
    });
  let earliest: number | null = null;
  for (const { t } of rows) {
    const micros = t === null ? null : parseInstant(t);
    // An engine whose min() of no rows is 0 rather than NULL gives 1970: not a later row.
    if (micros === null || micros <= after.getTime() * 1000) continue;
    const millis = Math.ceil(micros / 1000) + 1;
    earliest = earliest === null ? millis : Math.min(earliest, millis);
  }
  return earliest;
}

/** The latest run's flags for `segments` (0 for a segment it lacks) written to `file`; false when there is no run. */
export async function exportRunFlags(
  store: Store,
  segments: readonly string[],
  file: string,
): Promise<boolean> {
  if ((await listRuns(store)).length === 0) return false;
  const run = await readRun(store);
  const sql = store.dialect.sql;
  const flags = segments.map(
    (s, i) =>
      sql`${run.segments.includes(s) ? sql`CASE WHEN ${sql.id(segmentColumn(s))} THEN 1 ELSE 0 END` : sql`0`} AS ${sql.id(`s${i}`)}`,
  );
  await store.exportFile(sql`SELECT account_id, ${sql.join(flags)} FROM ${run.table}`, file, 'csv');
  return true;
}

/** Memberships in the latest run of accounts the triggers have not seen yet. */
export async function runMemberships(store: Store, accounts: readonly string[], segments: readonly string[]) {
  const result = new Map<string, Set<string>>();
  if (accounts.length === 0 || (await listRuns(store)).length === 0) return result;
  const run = await readRun(store);
  const inRun = segments.filter((segment) => run.segments.includes(segment));
  if (inRun.length === 0) return result;
  const sql = store.dialect.sql;
  await withKeyChunks(store, accounts, async (_, keys) => {
    const rows = await store.query<Record<string, unknown>>(
      sql`SELECT account_id, ${sql.join(inRun.map((s, i) => sql`${sql.id(segmentColumn(s))} AS ${sql.id(`s${i}`)}`))} FROM ${run.table}
       WHERE account_id IN ${keys}`,
    );
    for (const row of rows)
      result.set(String(row.account_id), new Set(inRun.filter((_, i) => Boolean(row[`s${i}`]))));
  });
  return result;
}

/** The segments (of `segments`) each of `accounts` is in at `asOf`, by the run's compiled query. */
export async function segmentsOf(
  store: Store,
  workspace: Workspace,
  accounts: readonly string[],
  segments: readonly string[],
  asOf: Date,
  counted: AccountRows,
): Promise<Map<string, Set<string>>> {
  const sql = store.dialect.sql;
  const rows: Record<string, unknown>[] = [];
  await withKeyChunks(store, accounts, async (_, keys) => {
    const found = await withFlags(store, workspace, segments, asOf, counted, (relation) =>
      store.query<Record<string, unknown>>(sql`SELECT * FROM ${relation} flags WHERE account_id IN ${keys}`),
    );
    // One by one: on DuckDB one chunk holds every key, and spreading a million rows as
    // arguments overflows the stack.
    for (const row of found) rows.push(row);
  });
  return new Map(
    rows.map((row) => [
      String(row.account_id),
      new Set(segments.filter((_, i) => Number(row[`s${i}`]) === 1)),
    ]),
  );
}
