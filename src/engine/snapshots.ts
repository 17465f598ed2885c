import { StrataError } from '../errors.js';
import type { Store } from '../store/store.js';

/** Reads of stored runs: the latest run, members of a segment, an account's history. */

/** The id of the latest run, or of `runId` after checking it exists. */
export async function resolveRun(store: Store, runId?: number): Promise<number> {
  const lit = store.dialect.literal;
  const rows = await store.query<{ run_id: number }>(
    runId === undefined
      ? 'SELECT run_id FROM strata_runs ORDER BY run_id DESC LIMIT 1'
      : `SELECT run_id FROM strata_runs WHERE run_id = ${lit(runId)}`,
  );
  const found = rows[0]?.run_id;
  if (found === undefined) {
    throw new StrataError(
      'no_runs',
      runId === undefined ? "no runs yet; run 'strata run' first" : `no run ${runId}`,
    );
  }
  return found;
}

/** Segment sizes of a run. */
export async function segmentSizes(store: Store, runId: number) {
  return store.query<{ segment: string; accounts: number }>(
    `SELECT segment_id AS segment, count(*) AS accounts FROM strata_memberships WHERE run_id = ${store.dialect.literal(runId)} GROUP BY 1`,
  );
}

/** One page of a segment's members with their account traits and metric values, ordered by `sort` (a metric) or id. */
export async function segmentMembers(
  store: Store,
  options: { runId: number; segment: string; limit: number; offset: number; sort?: string; search?: string },
) {
  const lit = store.dialect.literal;
  const sortBy = options.sort
    ? `(SELECT value FROM strata_metric_values v WHERE v.run_id = m.run_id AND v.account_id = m.account_id AND v.metric = ${lit(options.sort)}) DESC NULLS LAST,`
    : '';
  const needle = options.search ? lit(options.search) : null;
  const search = needle
    ? `AND (${store.dialect.containsText('a.account_id', needle)} OR ${store.dialect.containsText("coalesce(a.name, '')", needle)})`
    : '';
  const where = `m.run_id = ${lit(options.runId)} AND m.segment_id = ${lit(options.segment)} ${search}`;
  const [total] = await store.query<{ n: number }>(
    `SELECT count(*) AS n FROM strata_memberships m LEFT JOIN accounts a ON a.account_id = m.account_id WHERE ${where}`,
  );
  const members = await store.query<{
    account_id: string;
    name: string | null;
    plan: string | null;
    mrr: number | null;
  }>(
    `SELECT m.account_id, a.name, a.plan, a.mrr FROM strata_memberships m LEFT JOIN accounts a ON a.account_id = m.account_id
     WHERE ${where} ORDER BY ${sortBy} m.account_id LIMIT ${lit(options.limit)} OFFSET ${lit(options.offset)}`,
  );
  // The page's metric values: at most page size x metrics rows.
  const values =
    members.length === 0
      ? []
      : await store.query<{ account_id: string; metric: string; value: number | null; text: string | null }>(
          `SELECT account_id, metric, value, text FROM strata_metric_values WHERE run_id = ${lit(options.runId)}
           AND account_id IN (${members.map((m) => lit(m.account_id)).join(', ')})`,
        );
  return {
    total: total?.n ?? 0,
    members: members.map((m) => ({
      ...m,
      metrics: Object.fromEntries(
        values.filter((v) => v.account_id === m.account_id).map((v) => [v.metric, v.value ?? v.text]),
      ),
    })),
  };
}

/** Every run's segments and primary assignments for one account, oldest first. */
export async function accountHistory(store: Store, accountId: string) {
  const lit = store.dialect.literal;
  const runs = await store.query<{ run_id: number; as_of: string }>(
    'SELECT run_id, as_of FROM strata_runs ORDER BY run_id',
  );
  const memberships = await store.query<{ run_id: number; segment_id: string }>(
    `SELECT run_id, segment_id FROM strata_memberships WHERE account_id = ${lit(accountId)} ORDER BY run_id, segment_id`,
  );
  const assignments = await store.query<{ run_id: number; scheme: string; segment_id: string }>(
    `SELECT run_id, scheme, segment_id FROM strata_assignments WHERE account_id = ${lit(accountId)}`,
  );
  let previous = new Set<string>();
  return runs.map((run) => {
    const segments = memberships.filter((m) => m.run_id === run.run_id).map((m) => m.segment_id);
    const now = new Set(segments);
    const entry = {
      runId: run.run_id,
      asOf: run.as_of,
      segments,
      primary: Object.fromEntries(
        assignments.filter((a) => a.run_id === run.run_id).map((a) => [a.scheme, a.segment_id]),
      ),
      entered: segments.filter((s) => !previous.has(s)),
      exited: [...previous].filter((s) => !now.has(s)),
    };
    previous = now;
    return entry;
  });
}
