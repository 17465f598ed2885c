import type { Sql } from '../dialect/sql.js';
import { StrataError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { checkNames } from './check-names.js';
import { runClock } from './clock.js';
import { evaluateWorkspace } from './evaluate.js';
import { compareSnapshots } from './membership-diff.js';
import { readRun } from './run-snapshot.js';

export interface PlanReport {
  /** The run the edited workspace is compared with, and its time. */
  readonly againstRunId: number;
  readonly againstAsOf: string;
  /** The time the workspace is evaluated at: the one `strata run` would use (or --as-of). */
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
 * `strata plan`: evaluates the workspace as it is now at the time `strata run` would use
 * (the one clock's run time, `runClock`, unless `asOf` is given) and compares memberships
 * with the latest snapshot, so `plan` then `run` with nothing changed in between give the
 * same counts. When no data arrived since that snapshot, the time is the snapshot's and
 * only edits show. Writes nothing but a temp table.
 */
export async function planWorkspace(
  store: Store,
  workspace: Workspace,
  asOf?: Date,
  /** Also given the evaluation (a table in the run layout's columns, without schemes) before it is dropped. */
  alsoWith?: (evaluation: Sql) => Promise<void>,
): Promise<PlanReport> {
  const last = await readRun(store).catch((error: unknown) => {
    throw error instanceof StrataError && error.code === 'no_runs'
      ? new StrataError('no_runs', "no snapshot to compare with yet; run 'strata run' first")
      : error;
  });
  await checkNames(store, workspace);
  const at = asOf ?? (await runClock(store, workspace)).at;
  const evaluation = await evaluateWorkspace(store, workspace, at);
  const current = workspace.segments.map((s) => s.id);
  const diff = await compareSnapshots(store, last, {
    table: evaluation,
    segments: current,
    schemes: [],
  })
    .then(async (result) => {
      await alsoWith?.(evaluation);
      return result;
    })
    .finally(() => store.dropScratch(evaluation));
  const before = new Set(last.segments);
  const now = new Set(current);
  return {
    againstRunId: last.runId,
    againstAsOf: last.asOf,
    asOf: at.toISOString(),
    segments: diff.segments.map((d) => {
      const status = !before.has(d.segment)
        ? 'new'
        : !now.has(d.segment)
          ? 'removed'
          : d.entered + d.exited > 0
            ? 'changed'
            : 'unchanged';
      return {
        segment: d.segment,
        status,
        added: d.entered,
        removed: d.exited,
        unchanged: d.after - d.entered,
      };
    }),
  };
}
