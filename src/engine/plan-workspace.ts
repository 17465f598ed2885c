import { segmentColumn } from '../compile/compile-workspace.js';
import { StrataError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { checkNames } from './check-names.js';
import { evaluateWorkspace } from './evaluate.js';
import { diffMemberships, runMemberships } from './membership-diff.js';

export interface PlanReport {
  /** The run the edited workspace is compared with, and the time both are evaluated at. */
  readonly againstRunId: number;
  readonly asOf: string;
  readonly segments: readonly {
    readonly segment: string;
    readonly status: 'new' | 'removed' | 'changed' | 'unchanged';
    readonly added: number;
    readonly removed: number;
    readonly unchanged: number;
  }[];
}

/**
 * `strata plan`: evaluates the workspace as it is now at the last snapshot's as-of time
 * (so only edits show, not new data) and compares memberships with that snapshot.
 * Writes nothing but a temp table.
 */
export async function planWorkspace(store: Store, workspace: Workspace, asOf?: Date): Promise<PlanReport> {
  const [last] = await store.query<{ run_id: number | null; as_of: string | null }>(
    'SELECT run_id, as_of FROM strata_runs ORDER BY run_id DESC LIMIT 1',
  );
  if (!last?.run_id || !last.as_of) {
    throw new StrataError('no_runs', "no snapshot to compare with yet; run 'strata run' first");
  }
  await checkNames(store, workspace);
  const at = asOf ?? new Date(last.as_of);
  const evaluation = await evaluateWorkspace(store, workspace, at);
  const q = store.dialect.quoteIdentifier;
  const lit = store.dialect.literal;
  const now =
    workspace.segments
      .map(
        (s) =>
          `SELECT ${lit(s.id)} AS segment_id, account_id FROM ${evaluation} WHERE ${q(segmentColumn(s.id))}`,
      )
      .join(' UNION ALL ') || 'SELECT NULL AS segment_id, NULL AS account_id WHERE FALSE';
  const diffs = await diffMemberships(store, runMemberships(store, last.run_id), now);
  const current = new Set(workspace.segments.map((s) => s.id));
  const [previous] = await store.query<{ segments: string }>(
    `SELECT segments FROM strata_runs WHERE run_id = ${lit(last.run_id)}`,
  );
  const before = new Set(JSON.parse(previous?.segments ?? '[]') as string[]);
  const ids = [...new Set([...workspace.segments.map((s) => s.id), ...before])];
  return {
    againstRunId: last.run_id,
    asOf: at.toISOString(),
    segments: ids.map((id) => {
      const d = diffs.find((x) => x.segment === id) ?? { entered: 0, exited: 0, after: 0 };
      const status = !before.has(id)
        ? 'new'
        : !current.has(id)
          ? 'removed'
          : d.entered + d.exited > 0
            ? 'changed'
            : 'unchanged';
      return { segment: id, status, added: d.entered, removed: d.exited, unchanged: d.after - d.entered };
    }),
  };
}
