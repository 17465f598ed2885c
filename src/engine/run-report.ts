import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { type ChangeCounts, compareSnapshots, diffFromCounts, type SegmentDiff } from './membership-diff.js';
import { previousRun, readRun } from './run-snapshot.js';
import { runWarnings, type Warning } from './warnings.js';

export interface RunReport {
  readonly runId: number;
  readonly asOf: string;
  readonly previousRunId: number | null;
  readonly accounts: number;
  readonly segments: readonly (SegmentDiff & {
    readonly framework: string | null;
    readonly parent: string | null;
  })[];
  readonly schemes: readonly {
    readonly scheme: string;
    readonly segment: string;
    readonly accounts: number;
  }[];
  /** Accounts whose primary segment changed since the previous run, per scheme. */
  readonly moved: Readonly<Record<string, number>>;
  readonly warnings: readonly Warning[];
  readonly seconds: number;
}

/**
 * Sizes, changes against the previous run, scheme counts and warnings of a stored run. The
 * run that just stored it passes the counts its audit trail took (`counts`, null for a first
 * run); otherwise the two runs are compared here.
 */
export async function describeRun(
  store: Store,
  workspace: Workspace,
  runId: number,
  seconds: number,
  counts?: ChangeCounts | null,
): Promise<RunReport> {
  const run = await readRun(store, runId);
  const previous = await previousRun(store, runId);
  const diff =
    counts === undefined
      ? await compareSnapshots(store, previous, run)
      : diffFromCounts(previous, run, counts);
  const diffs = new Map(diff.segments.map((d) => [d.segment, d]));
  const segments = workspace.segments.map((s) => ({
    ...(diffs.get(s.id) ?? { segment: s.id, before: 0, after: 0, entered: 0, exited: 0 }),
    framework: s.framework,
    parent: s.parent,
  }));
  // Primary segments in the scheme's own order, the fallback last.
  const schemes = Object.entries(run.sizes.schemes)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([scheme, counts]) => {
      const order = run.schemeOrder[scheme]?.order ?? [];
      const rank = (segment: string) => {
        const index = order.indexOf(segment);
        return index < 0 ? Number.MAX_SAFE_INTEGER : index;
      };
      return Object.entries(counts)
        .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
        .map(([segment, accounts]) => ({ scheme, segment, accounts }));
    });
  return {
    runId,
    asOf: run.asOf,
    previousRunId: previous?.runId ?? null,
    accounts: run.accounts,
    segments,
    schemes,
    moved: previous ? diff.moved : {},
    warnings: await runWarnings(store, workspace, run),
    seconds,
  };
}
