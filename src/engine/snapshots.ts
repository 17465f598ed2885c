import { metricColumn, segmentColumn } from '../compile/compile-workspace.js';
import { didYouMean, StrataError } from '../errors.js';
import { ownValue } from '../own-key.js';
import type { Store } from '../store/store.js';
import { sourceAt, type Workspace } from '../workspace/load-workspace.js';
import { listRuns, type StoredRun, schemeColumn } from './run-snapshot.js';
import { overlaps } from './warnings.js';

/** Reads of stored runs: members of a segment, an account's history. */

/**
 * One page of a segment's members with their account traits and metric values, ordered by
 * `sort` (a metric; highest first unless `ascending`, empty values last) or id.
 */
export async function segmentMembers(
  store: Store,
  options: {
    run: StoredRun;
    segment: string;
    limit: number;
    offset: number;
    sort?: string;
    ascending?: boolean;
    search?: string;
  },
) {
  const { run } = options;
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  if (!run.segments.includes(options.segment)) {
    throw new StrataError('unknown_segment', `run ${run.runId} has no segment '${options.segment}'`);
  }
  if (options.sort !== undefined && !run.metrics.includes(options.sort)) {
    throw new StrataError(
      'unknown_metric',
      `run ${run.runId} has no metric '${options.sort}' to sort by${didYouMean(options.sort, run.metrics)}`,
    );
  }
  const sortBy = options.sort
    ? sql`${q(metricColumn(options.sort))} ${options.ascending ? sql`ASC` : sql`DESC`} NULLS LAST,`
    : sql.empty;
  const needle = options.search ? sql.value(options.search) : null;
  const search = needle
    ? sql`AND (${fn.containsText(sql`account_id`, needle)} OR ${fn.containsText(sql`coalesce(name, '')`, needle)})`
    : sql.empty;
  // Run and account columns have distinct names: no qualified names needed after the join.
  const from = sql`${run.table} LEFT JOIN accounts USING (account_id)`;
  const where = sql`${q(segmentColumn(options.segment))} ${search}`;
  const [total] = await store.query<{ n: number }>(sql`SELECT count(*) AS n FROM ${from} WHERE ${where}`);
  const metrics = run.metrics.map((name, i) => sql`, ${q(metricColumn(name))} AS ${q(`m${i}`)}`);
  const rows = await store.query<Record<string, unknown>>(
    sql`SELECT account_id, name, plan, mrr${sql.join(metrics, sql.empty)} FROM ${from}
     WHERE ${where} ORDER BY ${sortBy} account_id LIMIT ${options.limit} OFFSET ${options.offset}`,
  );
  return {
    total: total?.n ?? 0,
    members: rows.map((r) => ({
      account_id: r.account_id as string,
      name: r.name as string | null,
      plan: r.plan as string | null,
      mrr: r.mrr as number | null,
      metrics: Object.fromEntries(run.metrics.map((name, i) => [name, r[`m${i}`] as number | string | null])),
    })),
  };
}

/** Every run's segments and primary assignments for one account, oldest first. */
export async function accountHistory(store: Store, accountId: string) {
  const sql = store.dialect.sql;
  const q = (name: string) => sql.id(name);
  let previous = new Set<string>();
  const history = [];
  // One point lookup per run: each run's table has its own columns.
  for (const run of await listRuns(store)) {
    const columns = [
      ...run.segments.map((id, i) => sql`${q(segmentColumn(id))} AS ${q(`s${i}`)}`),
      ...run.schemes.map((scheme, i) => sql`${q(schemeColumn(scheme))} AS ${q(`p${i}`)}`),
    ];
    const [row] =
      columns.length === 0
        ? []
        : await store.query<Record<string, unknown>>(
            sql`SELECT ${sql.join(columns)} FROM ${run.table} WHERE account_id = ${accountId}`,
          );
    // A flag is a boolean in DuckDB and 0 / 1 in ClickHouse.
    const segments = row ? run.segments.filter((_, i) => Boolean(row[`s${i}`])).sort() : [];
    const now = new Set(segments);
    history.push({
      runId: run.runId,
      asOf: run.asOf,
      segments,
      primary: row
        ? Object.fromEntries(run.schemes.map((scheme, i) => [scheme, row[`p${i}`] as string]))
        : {},
      entered: segments.filter((s) => !previous.has(s)),
      exited: [...previous].filter((s) => !now.has(s)),
    });
    previous = now;
  }
  return history;
}

/** A segment as written, its playbook, its size in every run, and its overlaps in the latest run. */
export async function segmentDetail(store: Store, workspace: Workspace, id: string) {
  const runs = await listRuns(store);
  // Runs whose workspace had no such segment show no size rather than 0.
  const history = runs.map((r) => ({
    run_id: r.runId,
    as_of: r.asOf,
    accounts: ownValue(r.sizes.segments, id) ?? null,
  }));
  const last = runs[runs.length - 1];
  const pairs =
    last === undefined || !last.segments.includes(id)
      ? []
      : (await overlaps(store, last)).filter((p) => p.a === id || p.b === id);
  return {
    segment: id,
    definition: sourceAt(workspace, ['segments', id]) ?? '',
    playbook: ownValue(workspace.config.playbooks, id) ?? null,
    history,
    overlaps: pairs.map((p) => ({ segment: p.a === id ? p.b : p.a, accounts: p.both, jaccard: p.jaccard })),
  };
}
