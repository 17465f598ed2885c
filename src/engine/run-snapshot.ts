import { metricColumn, segmentColumn } from '../compile/compile-workspace.js';
import type { Sql } from '../dialect/sql.js';
import { StrataError } from '../errors.js';
import type { Store } from '../store/store.js';

/**
 * Layout of a stored run. Each run is one immutable table `strata_run_<id>` holding one
 * row per account: `account_id`, a boolean column per segment (`segment:<id>`), the
 * primary segment per scheme (`scheme:<name>`), a column per metric (`metric:<name>`) and,
 * for the audit trail, whether each segment's leaves hold (`explain:<segment>:<path>`; the
 * values compared, `explain-value:<segment>:<path>`, are there only while the run's audit
 * trail is written), plus a row in `strata_runs` naming those columns and holding the sizes.
 *
 * Why wide and per run: a run is written straight from the evaluation in one columnar write
 * (about a second at a million accounts, where narrow rows cost six), the booleans compress to
 * almost nothing, comparing two runs is one join on account_id, and dropping a run is
 * dropping a table.
 */

export const schemeColumn = (scheme: string) => `scheme:${scheme}`;

/** Name of run `runId`'s table (unquoted). */
export const runTableName = (runId: number) => `strata_run_${runId}`;

export interface Sizes {
  /** Members per segment. */
  readonly segments: Readonly<Record<string, number>>;
  /** Accounts per primary segment, per scheme. */
  readonly schemes: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** A relation in the run layout: a stored run's table, or an evaluation about to become one. */
export interface Snapshot {
  /** Quoted table name. */
  readonly table: Sql;
  readonly segments: readonly string[];
  /** Schemes with a `scheme:` column in the table (an evaluation has none). */
  readonly schemes: readonly string[];
}

export interface StoredRun extends Snapshot {
  readonly runId: number;
  readonly asOf: string;
  readonly createdAt: string;
  readonly workspaceHash: string;
  readonly accounts: number;
  readonly metrics: readonly string[];
  readonly schemeOrder: Readonly<Record<string, { order: readonly string[]; fallback: string }>>;
  readonly sizes: Sizes;
}

interface RunRow extends Record<string, unknown> {
  run_id: number;
  as_of: string;
  created_at: string;
  workspace_hash: string;
  accounts: number;
  segments: string;
  schemes: string;
  metrics: string;
  sizes: string;
}

function toStoredRun(store: Store, row: RunRow): StoredRun {
  const schemeOrder = JSON.parse(row.schemes) as StoredRun['schemeOrder'];
  return {
    runId: row.run_id,
    asOf: row.as_of,
    createdAt: row.created_at,
    workspaceHash: row.workspace_hash,
    accounts: row.accounts,
    table: store.dialect.sql.id(runTableName(row.run_id)),
    segments: JSON.parse(row.segments) as string[],
    schemes: Object.keys(schemeOrder),
    metrics: JSON.parse(row.metrics) as string[],
    schemeOrder,
    sizes: JSON.parse(row.sizes) as Sizes,
  };
}

const runColumns = (store: Store) => {
  const { sql, fn } = store.dialect;
  return sql`run_id, ${fn.isoTimestamp(sql`as_of`)} AS as_of, ${fn.isoTimestamp(sql`created_at`)} AS created_at,
   workspace_hash, accounts, segments, schemes, metrics, sizes`;
};

/** Every stored run, oldest first. */
export async function listRuns(store: Store): Promise<StoredRun[]> {
  const rows = await store.query<RunRow>(
    store.dialect.sql`SELECT ${runColumns(store)} FROM strata_runs ORDER BY run_id`,
  );
  return rows.map((row) => toStoredRun(store, row));
}

/** Run `runId`, or the latest run when it is undefined; a clear error when there is none. */
export async function readRun(store: Store, runId?: number): Promise<StoredRun> {
  const sql = store.dialect.sql;
  const where = runId === undefined ? sql.empty : sql`WHERE run_id = ${runId}`;
  const [row] = await store.query<RunRow>(
    sql`SELECT ${runColumns(store)} FROM strata_runs ${where} ORDER BY run_id DESC LIMIT 1`,
  );
  if (!row) {
    throw new StrataError(
      'no_runs',
      runId === undefined ? "no runs yet; run 'strata run' first" : `no run ${runId}`,
    );
  }
  return toStoredRun(store, row);
}

/** The run before `runId`, if any. */
export async function previousRun(store: Store, runId: number): Promise<StoredRun | null> {
  // ORDER BY + LIMIT rather than max(): ClickHouse's max() of no rows is 0, not NULL.
  const [row] = await store.query<{ id: number }>(
    store.dialect
      .sql`SELECT run_id AS id FROM strata_runs WHERE run_id < ${runId} ORDER BY run_id DESC LIMIT 1`,
  );
  return row === undefined ? null : readRun(store, row.id);
}

/** Segment sizes and scheme counts of a snapshot, in one pass over its table. */
export async function measureSizes(store: Store, snapshot: Snapshot): Promise<Sizes> {
  const sql = store.dialect.sql;
  const counts = snapshot.segments.map(
    (id, i) => sql`count(CASE WHEN ${sql.id(segmentColumn(id))} THEN 1 END) AS ${sql.id(`c${i}`)}`,
  );
  const [row] =
    counts.length === 0
      ? [{}]
      : await store.query<Record<string, number>>(sql`SELECT ${sql.join(counts)} FROM ${snapshot.table}`);
  const segments = Object.fromEntries(snapshot.segments.map((id, i) => [id, Number(row?.[`c${i}`] ?? 0)]));
  const byScheme = snapshot.schemes.map(
    (scheme) =>
      sql`SELECT ${scheme} AS scheme, ${sql.id(schemeColumn(scheme))} AS segment, count(*) AS accounts FROM ${snapshot.table} GROUP BY segment`,
  );
  const rows =
    byScheme.length === 0
      ? []
      : await store.query<{ scheme: string; segment: string; accounts: number }>(
          sql.join(byScheme, sql` UNION ALL `),
        );
  const schemes: Record<string, Record<string, number>> = {};
  for (const scheme of snapshot.schemes) {
    // By name, whatever order the engine returned the groups in.
    const counts = rows.filter((r) => r.scheme === scheme).sort((a, b) => a.segment.localeCompare(b.segment));
    schemes[scheme] = Object.fromEntries(counts.map((r) => [r.segment, r.accounts]));
  }
  return { segments, schemes };
}

/** Column list of a run table taken from an evaluation (which carries every metric, segment and leaf). */
export function runTableColumns(
  store: Store,
  input: {
    segments: readonly string[];
    metrics: readonly string[];
    schemes: Readonly<Record<string, { order: readonly string[]; fallback: string }>>;
    /** Leaf columns of the audit trail (unquoted names, see audit-trail.ts). */
    leaves?: readonly string[];
  },
): Sql {
  const sql = store.dialect.sql;
  const q = (name: string) => sql.id(name);
  const schemeCase = ([scheme, { order, fallback }]: [
    string,
    { order: readonly string[]; fallback: string },
  ]) => {
    // First segment in `order` that matches wins; the fallback takes the rest.
    const whens = order.map((id) => sql`WHEN ${q(segmentColumn(id))} THEN ${id}`);
    return sql`CASE ${sql.join(whens, sql` `)} ELSE ${fallback} END AS ${q(schemeColumn(scheme))}`;
  };
  return sql.join([
    sql`account_id`,
    ...input.segments.map((id) => q(segmentColumn(id))),
    ...Object.entries(input.schemes).map(schemeCase),
    ...input.metrics.map((name) => q(metricColumn(name))),
    ...(input.leaves ?? []).map(q),
  ]);
}
