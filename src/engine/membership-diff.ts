import { segmentColumn } from '../compile/compile-workspace.js';
import type { Store } from '../store/store.js';
import { type Snapshot, type StoredRun, schemeColumn } from './run-snapshot.js';

export interface SegmentDiff {
  readonly segment: string;
  readonly before: number;
  readonly after: number;
  readonly entered: number;
  readonly exited: number;
}

export interface SnapshotDiff {
  /** Every segment of either side, in the order of `after` then the ones only `before` has. */
  readonly segments: readonly SegmentDiff[];
  /** Accounts in both snapshots whose primary segment changed, per scheme both have. */
  readonly moved: Readonly<Record<string, number>>;
}

/**
 * Per segment: sizes before and after, accounts that entered and that exited; per scheme:
 * accounts that moved. One full outer join of the two snapshots on account_id, all counts
 * as aggregates of that single pass. `before` null compares with nothing (a first run).
 */
export async function compareSnapshots(
  store: Store,
  before: Snapshot | null,
  after: Snapshot,
): Promise<SnapshotDiff> {
  const q = store.dialect.quoteIdentifier;
  const inBefore = new Set(before?.segments ?? []);
  const inAfter = new Set(after.segments);
  const ids = [...after.segments, ...(before?.segments ?? []).filter((id) => !inAfter.has(id))];
  const count = (condition: string) => `count(CASE WHEN ${condition} THEN 1 END)`;
  const flag = (side: 'a' | 'b', id: string) =>
    (side === 'a' ? inAfter : inBefore).has(id)
      ? `coalesce(${side}.${q(segmentColumn(id))}, FALSE)`
      : 'FALSE';
  const columns: string[] = [];
  for (const id of ids) {
    const [a, b] = [flag('a', id), flag('b', id)];
    columns.push(count(b), count(a), count(`${a} AND NOT ${b}`), count(`${b} AND NOT ${a}`));
  }
  const shared = before ? after.schemes.filter((s) => before.schemes.includes(s)) : [];
  for (const scheme of shared)
    columns.push(count(`a.${q(schemeColumn(scheme))} <> b.${q(schemeColumn(scheme))}`));
  if (columns.length === 0) return { segments: [], moved: {} };
  const from = before
    ? `${after.table} a FULL OUTER JOIN ${before.table} b ON a.account_id = b.account_id`
    : `${after.table} a`;
  const [row] = await store.query<Record<string, number>>(
    `SELECT ${columns.map((c, i) => `${c} AS c${i}`).join(', ')} FROM ${from}`,
  );
  const value = (i: number) => Number(row?.[`c${i}`] ?? 0);
  return {
    segments: ids.map((segment, i) => ({
      segment,
      before: value(4 * i),
      after: value(4 * i + 1),
      entered: value(4 * i + 2),
      exited: value(4 * i + 3),
    })),
    moved: Object.fromEntries(shared.map((scheme, i) => [scheme, value(4 * ids.length + i)])),
  };
}

export interface SchemeFlow {
  readonly scheme: string;
  readonly from: string;
  readonly to: string;
  readonly accounts: number;
}

/**
 * Primary-assignment flows between two runs per scheme (the data of a Sankey); `from` =
 * `to` is staying. An account only one run has comes from '(new account)' or goes to
 * '(gone)'; a scheme only one run has comes from or goes to '(no scheme)'.
 */
export async function schemeFlows(store: Store, from: StoredRun, to: StoredRun): Promise<SchemeFlow[]> {
  const q = store.dialect.quoteIdentifier;
  const lit = store.dialect.literal;
  const side = (run: StoredRun, alias: string, scheme: string, missing: string) =>
    run.schemes.includes(scheme)
      ? `coalesce(${alias}.${q(schemeColumn(scheme))}, ${lit(missing)})`
      : `CASE WHEN ${alias}.account_id IS NULL THEN ${lit(missing)} ELSE '(no scheme)' END`;
  const schemes = [...new Set([...from.schemes, ...to.schemes])].sort();
  if (schemes.length === 0) return [];
  const parts = schemes.map(
    (scheme) =>
      `SELECT ${lit(scheme)} AS scheme, ${side(from, 'b', scheme, '(new account)')} AS "from",
         ${side(to, 'a', scheme, '(gone)')} AS "to", count(*) AS accounts
       FROM ${to.table} a FULL OUTER JOIN ${from.table} b ON a.account_id = b.account_id GROUP BY "from", "to"`,
  );
  return store.query<{ scheme: string; from: string; to: string; accounts: number }>(
    `SELECT * FROM (${parts.join(' UNION ALL ')}) flows ORDER BY scheme, accounts DESC, "from", "to"`,
  );
}
