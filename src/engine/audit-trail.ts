import {
  explainColumn,
  explainValueColumn,
  leafHasValue,
  metricColumn,
  segmentColumn,
} from '../compile/compile-workspace.js';
import type { Sql } from '../dialect/sql.js';
import { accountsMergedSince } from '../identity/account-merges.js';
import type { ConditionNode, SegmentNode } from '../language/ast.js';
import { conditionPaths, isBranch } from '../language/condition-paths.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { definitionWorkspace, segmentFingerprints } from './definition-versions.js';
import { type ChangeCounts, countChanges } from './membership-diff.js';
import { type StoredRun, schemeColumn } from './run-snapshot.js';

/**
 * The audit trail of a run: every entry and exit with why (`strata_changes`), beside the
 * definition version it applied (definition-versions.ts). A run's table keeps whether each
 * leaf of each segment's condition tree holds, so the next run finds, in the database, the
 * leaves whose truth changed for an account that entered or left.
 */

/**
 * Why an account entered or left: `data` (leaves changed; the reason rows say which),
 * `definition` (the segment, or a metric or segment it is built from, was edited or is
 * new or removed), `new_account` / `gone` (in one run only), `first_run` (no run before),
 * `unrecorded` (the run before predates the audit trail, so there is nothing to compare).
 */
export type ChangeCause =
  | 'data'
  | 'definition'
  | 'new_account'
  | 'gone'
  | 'first_run'
  | 'unrecorded'
  | 'merge';

/** Pseudo-path of the parent in a reason row: a child enters or leaves with its parent. */
export const PARENT_PATH = 'parent';

/** A segment's leaves (not all / any / not), with their paths as in strata.yaml. */
export function segmentLeaves(segment: SegmentNode): { path: string; node: ConditionNode }[] {
  return conditionPaths(segment.where).filter(({ node }) => !isBranch(node));
}

/**
 * The column holding whether a leaf holds: the segment's own flag when the leaf is its
 * whole condition and it has no parent (they are the same), else the leaf's column.
 */
export function leafHoldsColumn(segment: SegmentNode, path: string): string {
  return path === 'where' && !segment.parent ? segmentColumn(segment.id) : explainColumn(segment.id, path);
}

/**
 * The column holding a leaf's value in an evaluation: a metric comparison's metric column
 * when there is one (every declared metric), else the leaf's value column; none for segment
 * references. A stored run keeps only the metric columns: writing every leaf's value for
 * every account made a run at 100k accounts half a second slower.
 */
export function leafValueColumn(
  segment: string,
  leaf: { path: string; node: ConditionNode },
  metrics: readonly string[],
): string | null {
  if (!leafHasValue(leaf.node)) return null;
  if (leaf.node.kind === 'metric' && metrics.includes(leaf.node.metric))
    return metricColumn(leaf.node.metric);
  return explainValueColumn(segment, leaf.path);
}

/** Names of the leaf columns a run table keeps for `segments` (unquoted): whether each leaf holds, where no flag says it. */
export function leafColumnNames(segments: readonly SegmentNode[]): string[] {
  return segments.flatMap((s) =>
    segmentLeaves(s)
      .map((leaf) => leafHoldsColumn(s, leaf.path))
      .filter((column) => column.startsWith('explain:')),
  );
}

/** What `recordChanges` is given: the new run, its definition and the run before. */
export interface ChangeInput {
  readonly runId: number;
  /** The new run's table (quoted), holding the changed accounts' leaf values too (`changedLeafValues`) until the trail is written. */
  readonly table: Sql;
  readonly workspace: Workspace;
  readonly hash: string;
  readonly previous: StoredRun | null;
}

/**
 * Writes run `runId`'s entries and exits (and their reasons) against `previous`: the
 * accounts whose flags differ (a full join of the two runs' flags alone), a scratch table
 * of their leaves on both sides, then an INSERT per segment that moved and per compared
 * leaf of it. Called inside the run's transaction. Returns what it counted on the way for
 * the run's report (entered, exited, moved; null for a first run).
 */
export async function recordChanges(store: Store, input: ChangeInput): Promise<ChangeCounts | null> {
  const { sql } = store.dialect;
  const { runId, table, workspace, previous } = input;
  // Rows of an earlier try of this run id cut off before its strata_runs row (ClickHouse).
  await store.deleteRows('strata_changes', sql`run_id = ${runId}`);
  if (!previous) {
    for (const s of workspace.segments)
      await insertChange(
        store,
        sql`${transitionRow(store, runId, sql`account_id`, s.id, sql.value('entered'), sql.value('first_run'))} FROM ${table} WHERE ${sql.id(segmentColumn(s.id))}`,
      );
    return null;
  }
  const columns = new SideColumns(store);
  const plans = await planSegments(store, input, previous, columns);
  const { scratch, counts } = await changedAccounts(store, input, previous, plans, columns);
  // A merge or its undo since the previous run moved its two accounts' rows (src/identity).
  const merged = await accountsMergedSince(store, previous.createdAt);
  try {
    await insertChanges(store, runId, plans, scratch, merged, counts);
  } finally {
    await store.dropScratch(scratch);
  }
  return counts;
}

/** One row of `strata_changes` for a transition (no leaf: path, holds and values NULL). */
function transitionRow(
  store: Store,
  runId: number,
  account: Sql,
  segment: string,
  change: Sql,
  cause: Sql,
): Sql {
  return store.dialect
    .sql`SELECT ${runId}, ${account}, ${segment}, ${change}, ${cause}, NULL, NULL, NULL, NULL, NULL`;
}

function insertChange(store: Store, select: Sql): Promise<void> {
  const { sql } = store.dialect;
  return store.execute(
    sql`INSERT INTO strata_changes (run_id, account_id, segment, change, cause, path, holds_before, holds_after, value_before, value_after) ${select}`,
  );
}

/** A column on both sides of the scratch table: its alias there, and its expression in each run. */
interface SidePair {
  readonly a: Sql;
  readonly b: Sql;
  readonly newExpr: Sql;
  readonly oldExpr: Sql;
}

/** Every column of the scratch table, by a short alias (a<i> new side, b<i> old side). */
class SideColumns {
  readonly newSide: Sql[];
  readonly oldSide: Sql[];
  readonly aliases: Sql[] = [];
  private n = 0;

  constructor(private readonly store: Store) {
    const { sql, fn } = store.dialect;
    this.newSide = [sql`account_id`, sql`1 AS ${sql.id('pa')}`];
    // bid is an expression, not the bare column: ClickHouse 18.16 loses a joined key selected twice.
    this.oldSide = [
      sql`account_id`,
      sql`${fn.castText(sql`account_id`)} AS ${sql.id('bid')}`,
      sql`1 AS ${sql.id('pb')}`,
    ];
  }

  /** A column of each side (an old side without it gives NULL in the reason rows). */
  pair(newExpr: Sql, oldExpr: Sql | null): SidePair {
    const { sql } = this.store.dialect;
    const i = this.n++;
    this.newSide.push(sql`${newExpr} AS ${sql.id(`a${i}`)}`);
    this.aliases.push(sql.id(`a${i}`));
    if (oldExpr !== null) {
      this.oldSide.push(sql`${oldExpr} AS ${sql.id(`b${i}`)}`);
      this.aliases.push(sql.id(`b${i}`));
    }
    return {
      a: sql.id(`a${i}`),
      b: oldExpr === null ? sql`NULL` : sql.id(`b${i}`),
      newExpr,
      oldExpr: oldExpr ?? sql`NULL`,
    };
  }
}

/** A segment of either run: its flags on both sides, why it moved, and the leaves compared when data moved it. */
interface SegmentPlan {
  readonly id: string;
  readonly flags: SidePair;
  readonly cause: ChangeCause;
  readonly leaves: readonly { path: string; holds: SidePair; values: SidePair | null }[];
}

/**
 * Each segment of either run with its cause: `definition` when it, or what it is built from,
 * was edited, else `data` (its leaves compared) or `unrecorded` when the previous run's
 * definition is not kept.
 */
async function planSegments(
  store: Store,
  input: ChangeInput,
  previous: StoredRun,
  columns: SideColumns,
): Promise<SegmentPlan[]> {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const { workspace } = input;
  // The previous run's columns: older runs kept no leaves.
  const [sample] = await store.query<Record<string, unknown>>(sql`SELECT * FROM ${previous.table} LIMIT 1`);
  const before = new Set(Object.keys(sample ?? {}));
  const oldWorkspace = await definitionWorkspace(store, workspace, previous.workspaceHash, input.hash).catch(
    () => null,
  );
  const oldPrints = oldWorkspace ? segmentFingerprints(oldWorkspace) : null;
  const newPrints = segmentFingerprints(workspace);
  const flagOf = (run: 'new' | 'old', id: string) =>
    (run === 'new' ? workspace.segments.some((s) => s.id === id) : previous.segments.includes(id))
      ? q(segmentColumn(id))
      : sql.value(false);
  const ids = [...new Set([...workspace.segments.map((s) => s.id), ...previous.segments])];
  const metrics = Object.keys(workspace.metrics);
  return ids.map((id) => {
    const flags = columns.pair(flagOf('new', id), flagOf('old', id));
    const segment = workspace.segments.find((s) => s.id === id);
    const edited =
      !segment ||
      !previous.segments.includes(id) ||
      (oldPrints !== null && oldPrints.get(id) !== newPrints.get(id));
    const cause: ChangeCause = edited ? 'definition' : oldPrints === null ? 'unrecorded' : 'data';
    if (cause !== 'data' || !segment) return { id, flags, cause, leaves: [] };
    const parent = segment.parent
      ? [
          {
            path: PARENT_PATH,
            holds: columns.pair(flagOf('new', segment.parent), flagOf('old', segment.parent)),
            values: null,
          },
        ]
      : [];
    const leaves = segmentLeaves(segment)
      .filter(({ path }) => before.has(leafHoldsColumn(segment, path)))
      .map((leaf) => {
        const holds = q(leafHoldsColumn(segment, leaf.path));
        // Values as text only here, for the accounts that changed; the previous
        // run's only where it kept them (its metric columns).
        const newValue = leafValueColumn(id, leaf, metrics);
        const oldValue = leafValueColumn(id, leaf, previous.metrics);
        return {
          path: leaf.path,
          holds: columns.pair(holds, holds),
          values: newValue
            ? columns.pair(
                fn.castText(q(newValue)),
                oldValue && before.has(oldValue) ? fn.castText(q(oldValue)) : null,
              )
            : null,
        };
      });
    return { id, flags, cause, leaves: [...parent, ...leaves] };
  });
}

/** Whether two flags differ, a missing one (an account only one run has) being false. */
export const differs = (store: Store, p: { a: Sql; b: Sql }) =>
  store.dialect.sql`coalesce(${p.a}, ${false}) <> coalesce(${p.b}, ${false})`;

/** The key of an account only the previous run has comes from its own column: an engine may leave a FULL JOIN's USING key empty on that side. */
const changedAccount = (store: Store) => {
  const { sql } = store.dialect;
  return sql`CASE WHEN ${sql.id('pa')} IS NULL THEN ${sql.id('bid')} ELSE account_id END`;
};

/**
 * The scratch table of the accounts whose flags differ, with every paired column of both
 * runs: first those accounts (and those whose primary segment moved), by a join of the
 * run's flags and schemes alone (narrow and fast), counted there for the run's report; then
 * every leaf of just them. Returns its name, which the caller drops, and the counts.
 */
async function changedAccounts(
  store: Store,
  input: ChangeInput,
  previous: StoredRun,
  plans: readonly SegmentPlan[],
  columns: SideColumns,
): Promise<{ scratch: string; counts: ChangeCounts }> {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const anyOf = (conditions: Sql[]) =>
    conditions.length > 0 ? sql.join(conditions, sql` OR `) : sql.value(false);
  const suffix = `${input.runId}_${Date.now()}`;
  const changedIds = `strata_changed_ids_${suffix}`;
  const schemes = Object.keys(input.workspace.config.schemes).filter((s) => previous.schemes.includes(s));
  const side = (side: 'new' | 'old') => {
    const [p, s] = side === 'new' ? ['a', 'as'] : ['b', 'bs'];
    return sql.join([
      ...plans.map(
        (plan, i) => sql`${side === 'new' ? plan.flags.newExpr : plan.flags.oldExpr} AS ${q(`${p}${i}`)}`,
      ),
      ...schemes.map((scheme, i) => sql`${q(schemeColumn(scheme))} AS ${q(`${s}${i}`)}`),
    ]);
  };
  const moved = (i: number) => sql`${q(`as${i}`)} <> ${q(`bs${i}`)}`;
  // Kept for the counts of the run's report (countChanges).
  const kept = [
    ...plans.flatMap((_, i) => [q(`a${i}`), q(`b${i}`)]),
    ...schemes.flatMap((_, i) => [q(`as${i}`), q(`bs${i}`)]),
  ];
  // The new side is the run's table: the evaluation's flags, and the primary segments.
  await store.createScratch(
    changedIds,
    sql`SELECT ${changedAccount(store)} AS ${q('changed_id')}, ${sql.join(kept)} FROM
       (SELECT account_id, 1 AS ${q('pa')}, ${side('new')} FROM ${input.table}) a
       FULL OUTER JOIN (SELECT account_id, ${fn.castText(sql`account_id`)} AS ${q('bid')}, 1 AS ${q('pb')}, ${side('old')}
         FROM ${previous.table}) b USING (account_id)
     WHERE ${anyOf([...plans.map((_, i) => differs(store, { a: q(`a${i}`), b: q(`b${i}`) })), ...schemes.map((_, i) => moved(i))])}`,
  );
  let counts: ChangeCounts;
  const scratch = `strata_changed_${suffix}`;
  const changed = sql`account_id IN (SELECT ${q('changed_id')} FROM ${q(changedIds)})`;
  try {
    counts = await countChanges(store, q(changedIds), { segments: plans.map((p) => p.id), schemes });
    await store.createScratch(
      scratch,
      // Columns named, not *: ClickHouse 18.16 expands * over a FULL JOIN to a key it cannot find.
      sql`SELECT account_id, ${q('pa')}, ${q('bid')}, ${q('pb')}, ${sql.join(columns.aliases)}
       FROM (SELECT ${sql.join(columns.newSide)} FROM ${input.table} WHERE ${changed}) a
       FULL OUTER JOIN (SELECT ${sql.join(columns.oldSide)} FROM ${previous.table} WHERE ${changed}) b USING (account_id)
       WHERE ${anyOf(plans.map((p) => differs(store, p.flags)))}`,
    );
  } finally {
    await store.dropScratch(changedIds);
  }
  return { scratch, counts };
}

/** The transition rows of each segment that moved, and a reason row per leaf whose truth changed. */
async function insertChanges(
  store: Store,
  runId: number,
  plans: readonly SegmentPlan[],
  scratch: string,
  merged: readonly string[],
  counts: ChangeCounts,
): Promise<void> {
  const { sql } = store.dialect;
  const q = (name: string) => sql.id(name);
  const from = q(scratch);
  const account = changedAccount(store);
  for (const [i, plan] of plans.entries()) {
    // Only the segments that changed at all: most runs move a few, and each INSERT costs a
    // statement even when it writes nothing.
    const counted = counts.segments[i];
    if (!counted || counted.entered + counted.exited === 0) continue;
    const change = sql`CASE WHEN coalesce(${plan.flags.a}, ${false}) THEN ${'entered'} ELSE ${'exited'} END`;
    const byMerge =
      merged.length > 0
        ? sql`WHEN ${account} IN (${sql.join(merged.map((id) => sql.value(id)))}) THEN ${'merge'} `
        : sql.empty;
    const cause = sql`CASE ${byMerge}WHEN ${q('pb')} IS NULL THEN ${'new_account'} WHEN ${q('pa')} IS NULL THEN ${'gone'} ELSE ${plan.cause} END`;
    await insertChange(
      store,
      sql`${transitionRow(store, runId, account, plan.id, change, cause)} FROM ${from} WHERE ${differs(store, plan.flags)}`,
    );
    for (const leaf of plan.leaves)
      await insertChange(
        store,
        sql`SELECT ${runId}, ${account}, ${plan.id}, ${change}, ${'data'}, ${leaf.path},
           ${leaf.holds.b}, ${leaf.holds.a}, ${leaf.values?.b ?? sql`NULL`}, ${leaf.values?.a ?? sql`NULL`}
         FROM ${from}
         WHERE ${differs(store, plan.flags)} AND ${q('pa')} IS NOT NULL AND ${q('pb')} IS NOT NULL AND ${differs(store, leaf.holds)}`,
      );
  }
}
