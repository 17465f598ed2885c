import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { diffMemberships, runMemberships, type SegmentDiff } from './membership-diff.js';
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

/** Sizes, changes against the previous run, scheme counts and warnings of a stored run. */
export async function describeRun(
  store: Store,
  workspace: Workspace,
  runId: number,
  seconds: number,
): Promise<RunReport> {
  const lit = store.dialect.literal;
  const [run] = await store.query<{ as_of: string; accounts: number }>(
    `SELECT as_of, accounts FROM strata_runs WHERE run_id = ${lit(runId)}`,
  );
  const [previous] = await store.query<{ id: number | null }>(
    `SELECT max(run_id) AS id FROM strata_runs WHERE run_id < ${lit(runId)}`,
  );
  const previousRunId = previous?.id ?? null;
  const before =
    previousRunId === null
      ? 'SELECT segment_id, account_id FROM strata_memberships WHERE FALSE'
      : runMemberships(store, previousRunId);
  const diffs = new Map(
    (await diffMemberships(store, before, runMemberships(store, runId))).map((d) => [d.segment, d]),
  );
  const segments = workspace.segments.map((s) => ({
    ...(diffs.get(s.id) ?? { segment: s.id, before: 0, after: 0, entered: 0, exited: 0 }),
    framework: s.framework,
    parent: s.parent,
  }));
  const schemes = await store.query<{ scheme: string; segment: string; accounts: number }>(
    `SELECT scheme, segment_id AS segment, count(*) AS accounts FROM strata_assignments WHERE run_id = ${lit(runId)} GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  // Primary segments in the scheme's own order, the fallback last.
  const rankIn = (scheme: string, segment: string) => {
    const index = workspace.config.schemes[scheme]?.order.indexOf(segment) ?? -1;
    return index < 0 ? Number.MAX_SAFE_INTEGER : index;
  };
  schemes.sort(
    (a, b) => a.scheme.localeCompare(b.scheme) || rankIn(a.scheme, a.segment) - rankIn(b.scheme, b.segment),
  );
  const moved: Record<string, number> = {};
  if (previousRunId !== null) {
    const rows = await store.query<{ scheme: string; n: number }>(
      `SELECT a.scheme, count(*) AS n FROM strata_assignments a JOIN strata_assignments b
         ON a.scheme = b.scheme AND a.account_id = b.account_id
       WHERE a.run_id = ${lit(runId)} AND b.run_id = ${lit(previousRunId)} AND a.segment_id <> b.segment_id GROUP BY 1`,
    );
    for (const row of rows) moved[row.scheme] = row.n;
  }
  const sizes = new Map(segments.map((s) => [s.segment, s.after]));
  return {
    runId,
    asOf: run?.as_of ?? '',
    previousRunId,
    accounts: run?.accounts ?? 0,
    segments,
    schemes,
    moved,
    warnings: await runWarnings(store, workspace, runId, sizes),
    seconds,
  };
}
