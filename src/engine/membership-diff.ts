import { segmentColumn } from '../compile/compile-workspace.js';
import type { Sql } from '../dialect/sql.js';
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
  const sql = store.dialect.sql;
  const q = (name: string) => sql.id(name);
  const inAfter = new Set(after.segments);
  const ids = [...after.segments, ...(before?.segments ?? []).filter((id) => !inAfter.has(id))];
  const shared = before ? after.schemes.filter((s) => before.schemes.includes(s)) : [];
  // Each side renames its columns (a0.., b0..): the join then needs no qualified names,
  // which ClickHouse 18.16 resolves badly when both sides share column names.
  const side = (snapshot: Snapshot, prefix: 'a' | 'b') => {
    const flags = ids.map(
      (id, i) =>
        sql`${snapshot.segments.includes(id) ? q(segmentColumn(id)) : sql.value(false)} AS ${q(`${prefix}${i}`)}`,
    );
    const schemes = shared.map((scheme, i) => sql`${q(schemeColumn(scheme))} AS ${q(`${prefix}s${i}`)}`);
    const columns = [...flags, ...schemes];
    return sql`(SELECT account_id, ${columns.length > 0 ? sql.join(columns) : sql`1 AS nothing`} FROM ${snapshot.table})`;
  };
  const count = (condition: Sql) => sql`count(CASE WHEN ${condition} THEN 1 END)`;
  const flag = (prefix: 'a' | 'b', i: number) =>
    prefix === 'b' && !before ? sql.value(false) : sql`coalesce(${q(`${prefix}${i}`)}, ${false})`;
  const columns: Sql[] = [];
  for (const [i] of ids.entries()) {
    const [a, b] = [flag('a', i), flag('b', i)];
    columns.push(count(b), count(a), count(sql`${a} AND NOT ${b}`), count(sql`${b} AND NOT ${a}`));
  }
  for (const [i] of shared.entries()) columns.push(count(sql`${q(`as${i}`)} <> ${q(`bs${i}`)}`));
  if (columns.length === 0) return { segments: [], moved: {} };
  const from = before
    ? sql`${side(after, 'a')} a FULL OUTER JOIN ${side(before, 'b')} b USING (account_id)`
    : sql`${side(after, 'a')} a`;
  const [row] = await store.query<Record<string, number>>(
    sql`SELECT ${sql.join(columns.map((c, i) => sql`${c} AS ${q(`c${i}`)}`))} FROM ${from}`,
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

/**
 * Accounts that entered and exited each segment (`segments`) and, per scheme both runs have,
 * accounts in both whose primary segment changed (`moved`): `compareSnapshots`' counts of a
 * run against the run before, which the audit trail takes from the accounts that changed.
 */
export interface ChangeCounts {
  readonly segments: readonly {
    readonly segment: string;
    readonly entered: number;
    readonly exited: number;
  }[];
  readonly moved: Readonly<Record<string, number>>;
}

/**
 * The counts of `ChangeCounts` in one pass over `table`, which holds (at least) every account
 * whose flags or primary segments differ between two runs: segment i's flags as `a<i>` (after)
 * and `b<i>` (before), scheme i's primary segments as `as<i>` and `bs<i>`.
 */
export async function countChanges(
  store: Store,
  table: Sql,
  input: { readonly segments: readonly string[]; readonly schemes: readonly string[] },
): Promise<ChangeCounts> {
  const { sql } = store.dialect;
  const q = (name: string) => sql.id(name);
  const flag = (name: string) => sql`coalesce(${q(name)}, ${false})`;
  const count = (condition: Sql, alias: string) =>
    sql`count(CASE WHEN ${condition} THEN 1 END) AS ${q(alias)}`;
  const [row] = await store.query<Record<string, number>>(
    sql`SELECT ${sql.join([
      ...input.segments.flatMap((_, i) => [
        count(sql`${flag(`a${i}`)} AND NOT ${flag(`b${i}`)}`, `e${i}`),
        count(sql`${flag(`b${i}`)} AND NOT ${flag(`a${i}`)}`, `x${i}`),
      ]),
      ...input.schemes.map((_, i) => count(sql`${q(`as${i}`)} <> ${q(`bs${i}`)}`, `m${i}`)),
      // Never an empty list, even with no segments and no schemes.
      sql`count(*) AS ${q('n')}`,
    ])} FROM ${table}`,
  );
  const value = (name: string) => Number(row?.[name] ?? 0);
  return {
    segments: input.segments.map((segment, i) => ({
      segment,
      entered: value(`e${i}`),
      exited: value(`x${i}`),
    })),
    moved: Object.fromEntries(input.schemes.map((scheme, i) => [scheme, value(`m${i}`)])),
  };
}

/**
 * `compareSnapshots(store, before, after)` from counts the run already has: the sizes both
 * runs stored, and the audit trail's `ChangeCounts` (null for a first run: all entered).
 */
export function diffFromCounts(
  before: StoredRun | null,
  after: StoredRun,
  counts: ChangeCounts | null,
): SnapshotDiff {
  const inAfter = new Set(after.segments);
  const ids = [...after.segments, ...(before?.segments ?? []).filter((id) => !inAfter.has(id))];
  const size = (run: StoredRun | null, id: string) =>
    run?.segments.includes(id) ? (run.sizes.segments[id] ?? 0) : 0;
  const changes = new Map(counts?.segments.map((c) => [c.segment, c]));
  return {
    segments: ids.map((segment) => ({
      segment,
      before: size(before, segment),
      after: size(after, segment),
      entered: counts ? (changes.get(segment)?.entered ?? 0) : size(after, segment),
      exited: changes.get(segment)?.exited ?? 0,
    })),
    moved: counts?.moved ?? {},
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
  const sql = store.dialect.sql;
  const q = (name: string) => sql.id(name);
  const schemes = [...new Set([...from.schemes, ...to.schemes])].sort();
  if (schemes.length === 0) return [];
  /** The run's primary segments renamed, with a presence flag telling a missing account from a missing scheme. */
  const side = (run: StoredRun, scheme: string, name: string) =>
    sql`(SELECT account_id, 1 AS ${q(`${name}_present`)}, ${run.schemes.includes(scheme) ? q(schemeColumn(scheme)) : sql.value('(no scheme)')} AS ${q(name)} FROM ${run.table})`;
  const label = (name: string, missing: string) =>
    sql`CASE WHEN ${q(`${name}_present`)} IS NULL THEN ${missing} ELSE ${q(name)} END`;
  const parts = schemes.map(
    (scheme) =>
      sql`SELECT ${scheme} AS scheme, ${label('before', '(new account)')} AS from_segment,
         ${label('after', '(gone)')} AS to_segment, count(*) AS accounts
       FROM ${side(to, scheme, 'after')} a FULL OUTER JOIN ${side(from, scheme, 'before')} b USING (account_id)
       GROUP BY from_segment, to_segment`,
  );
  const rows = await store.query<{
    scheme: string;
    from_segment: string;
    to_segment: string;
    accounts: number;
  }>(
    sql`SELECT * FROM (${sql.join(parts, sql` UNION ALL `)}) flows ORDER BY scheme, accounts DESC, from_segment, to_segment`,
  );
  return rows.map((r) => ({
    scheme: r.scheme,
    from: r.from_segment,
    to: r.to_segment,
    accounts: r.accounts,
  }));
}
