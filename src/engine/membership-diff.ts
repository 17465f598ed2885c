import type { Store } from '../store/store.js';

/** SQL relation (segment_id, account_id) of a stored run. */
export function runMemberships(store: Store, runId: number): string {
  return `SELECT segment_id, account_id FROM strata_memberships WHERE run_id = ${store.dialect.literal(runId)}`;
}

export interface SegmentDiff {
  readonly segment: string;
  readonly before: number;
  readonly after: number;
  readonly entered: number;
  readonly exited: number;
}

/** Per segment: sizes before and after, accounts that entered and that exited, computed in the database. */
export async function diffMemberships(store: Store, before: string, after: string): Promise<SegmentDiff[]> {
  const rows = await store.query<{
    segment: string;
    before: number;
    after: number;
    entered: number;
    exited: number;
  }>(
    `SELECT coalesce(a.segment_id, b.segment_id) AS segment,
       count(b.account_id) AS before, count(a.account_id) AS after,
       count(a.account_id) - count(CASE WHEN a.account_id IS NOT NULL AND b.account_id IS NOT NULL THEN 1 END) AS entered,
       count(b.account_id) - count(CASE WHEN a.account_id IS NOT NULL AND b.account_id IS NOT NULL THEN 1 END) AS exited
     FROM (${after}) a FULL OUTER JOIN (${before}) b ON a.segment_id = b.segment_id AND a.account_id = b.account_id
     GROUP BY 1 ORDER BY 1`,
  );
  return rows;
}

export interface SchemeFlow {
  readonly scheme: string;
  readonly from: string;
  readonly to: string;
  readonly accounts: number;
}

/** Primary-assignment flows between two runs per scheme (the data of a Sankey); `from` = `to` is staying. */
export async function schemeFlows(store: Store, fromRun: number, toRun: number): Promise<SchemeFlow[]> {
  const lit = store.dialect.literal;
  return store.query<{ scheme: string; from: string; to: string; accounts: number }>(
    `SELECT coalesce(b.scheme, a.scheme) AS scheme, coalesce(b.segment_id, '(new account)') AS "from",
       coalesce(a.segment_id, '(gone)') AS "to", count(*) AS accounts
     FROM (SELECT * FROM strata_assignments WHERE run_id = ${lit(toRun)}) a
     FULL OUTER JOIN (SELECT * FROM strata_assignments WHERE run_id = ${lit(fromRun)}) b
       ON a.scheme = b.scheme AND a.account_id = b.account_id
     GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC, 2, 3`,
  );
}
