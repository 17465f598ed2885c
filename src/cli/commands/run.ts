import { planWorkspace } from '../../engine/plan-workspace.js';
import type { RunReport } from '../../engine/run-report.js';
import { runWorkspace } from '../../engine/run-workspace.js';
import { StrataError } from '../../errors.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/store.js';
import { loadWorkspace, type Workspace } from '../../workspace/load-workspace.js';
import { count, formatTable, type Output } from '../output.js';
import { createProgress } from '../progress.js';

/** Parses `--as-of` (any ISO-8601 date or timestamp; UTC when no offset is given). */
export function parseAsOf(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  if (Number.isNaN(date.getTime()))
    throw new StrataError('invalid_argument', `--as-of ${text}: expected an ISO date or timestamp`);
  return date;
}

/** Opens the workspace and its store, runs `work`, and always closes the store. */
export async function withWorkspace<T>(
  dir: string,
  work: (store: Store, workspace: Workspace) => Promise<T>,
  load: Parameters<typeof loadWorkspace>[1] = {},
): Promise<T> {
  const workspace = loadWorkspace(dir, load);
  const store = await openStore(workspace);
  try {
    return await work(store, workspace);
  } finally {
    await store.close();
  }
}

/** The segment table of a run: size, change and flows against the previous run. */
export function renderRun(report: RunReport): string {
  const sign = (n: number) => (n > 0 ? `+${n}` : String(n));
  const lines = [
    `run ${report.runId} as of ${report.asOf} - ${count(report.accounts)} accounts${report.previousRunId ? `, compared with run ${report.previousRunId}` : ''} (${report.seconds.toFixed(1)} s)`,
    '',
    formatTable(
      ['segment', 'framework', 'parent', 'accounts', 'change', 'entered', 'exited'],
      report.segments.map((s) => [
        s.segment,
        s.framework ?? '',
        s.parent ?? '',
        s.after,
        sign(s.after - s.before),
        s.entered,
        s.exited,
      ]),
    ),
  ];
  const schemes = [...new Set(report.schemes.map((s) => s.scheme))];
  for (const scheme of schemes) {
    const moved = report.moved[scheme];
    lines.push('', `scheme ${scheme}${moved !== undefined ? ` (${count(moved)} accounts moved)` : ''}`);
    lines.push(
      formatTable(
        ['primary segment', 'accounts'],
        report.schemes.filter((s) => s.scheme === scheme).map((s) => [s.segment, s.accounts]),
      ),
    );
  }
  if (report.warnings.length > 0) {
    lines.push('', `${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}:`);
    for (const w of report.warnings)
      lines.push(`  ${w.level === 'strong' ? 'WARNING' : 'warning'}: ${w.message}`);
  }
  return lines.join('\n');
}

/** `strata run [--as-of T]`. */
export async function runRun(options: { workspace: string; asOf?: string }, output: Output) {
  const asOf = parseAsOf(options.asOf) ?? new Date();
  const progress = createProgress('run', !output.json);
  const report = await withWorkspace(options.workspace, (store, workspace) =>
    runWorkspace(store, workspace, asOf, (fraction) => progress.update(fraction, 'evaluating')),
  ).finally(() => progress.stop());
  output.result(report, () => renderRun(report));
  return report;
}

/** `strata plan [--as-of T]`. */
export async function runPlan(options: { workspace: string; asOf?: string }, output: Output) {
  const plan = await withWorkspace(options.workspace, (store, workspace) =>
    planWorkspace(store, workspace, parseAsOf(options.asOf)),
  );
  output.result(plan, () =>
    [
      `plan against run ${plan.againstRunId}, both as of ${plan.asOf} (nothing written)`,
      '',
      formatTable(
        ['segment', 'status', 'added', 'removed', 'unchanged'],
        plan.segments.map((s) => [s.segment, s.status, `+${s.added}`, `-${s.removed}`, s.unchanged]),
      ),
    ].join('\n'),
  );
}
