import { triggerModes } from '../../activate/incremental/trigger-modes.js';
import { type DestinationEffect, destinationEffects } from '../../activate/sync/sync-effects.js';
import { type Backtest, backtestWorkspace } from '../../analytics/backtest/backtest.js';
import { planWorkspace } from '../../engine/plan-workspace.js';
import type { RunReport } from '../../engine/run-report.js';
import { runWorkspace } from '../../engine/run-workspace.js';
import { durationWords, plural } from '../../format/words.js';
import type { PlanInput, RunInput } from '../commands/run.js';
import { count, formatTable, type Output } from '../output.js';
import { createProgress } from '../progress.js';
import { commandTime, withWorkspace } from '../workspace-session.js';

/** The segment table of a run: size, change and flows against the previous run. */
export function renderRun(report: RunReport): string {
  const lines = [
    `run ${report.runId} as of ${report.asOf} - ${plural(report.accounts, 'account', 'accounts', count(report.accounts))}${report.previousRunId ? `, compared with run ${report.previousRunId}` : ''} (${durationWords(report.seconds)})`,
    '',
    formatTable(
      ['segment', 'framework', 'parent', 'accounts', 'change', 'entered', 'exited'],
      report.segments.map((s) => [
        s.segment,
        s.framework ?? '',
        s.parent ?? '',
        s.after,
        s.after - s.before,
        s.entered,
        s.exited,
      ]),
      {
        kinds: [undefined, undefined, undefined, 'count', 'count', 'count', 'count'],
        signed: [false, false, false, false, true],
      },
    ),
  ];
  const schemes = [...new Set(report.schemes.map((s) => s.scheme))];
  for (const scheme of schemes) {
    const moved = report.moved[scheme];
    const movedWords =
      moved === undefined ? '' : ` (${plural(moved, 'account', 'accounts', count(moved))} moved)`;
    lines.push('', `scheme ${scheme}${movedWords}`);
    lines.push(
      formatTable(
        ['primary segment', 'accounts'],
        report.schemes.filter((s) => s.scheme === scheme).map((s) => [s.segment, s.accounts]),
        { kinds: [undefined, 'count'] },
      ),
    );
  }
  if (report.warnings.length > 0) {
    lines.push('', `${plural(report.warnings.length, 'warning')}:`);
    for (const w of report.warnings)
      lines.push(`  ${w.level === 'strong' ? 'WARNING' : 'warning'}: ${w.message}`);
  }
  return lines.join('\n');
}

/** The outcome table of a backtest: members then, and churn and expansion after, against the rest. */
export function renderBacktest(report: Backtest): string {
  const rate = (r: number | null) => (r === null ? '–' : `${(r * 100).toFixed(1)}%`);
  return [
    `as of ${report.asOf}, outcomes over the next ${report.horizonDays} days (nothing written)`,
    ...(report.horizonObserved
      ? []
      : [
          `note: the data ends ${report.observedUntil?.slice(0, 10) ?? 'before it starts'}, before the horizon: churn and expansion are not all known yet`,
        ]),
    '',
    formatTable(
      ['segment', 'members', 'paying', 'churned', 'others churned', 'expanded', 'others expanded'],
      report.segments.map((s) => [
        s.segment,
        s.members,
        s.paying,
        rate(s.churnRate),
        rate(s.others.churnRate),
        rate(s.expansionRate),
        rate(s.others.expansionRate),
      ]),
      { kinds: [undefined, 'count', 'count'] },
    ),
    '',
    `all ${plural(report.accounts, 'account', 'accounts', count(report.accounts))}: ${count(report.all.paying)} paying, churned ${rate(report.all.churnRate)}, expanded ${rate(report.all.expansionRate)}`,
  ].join('\n');
}

/** `strata run [--as-of T] [--dry-run [--horizon 90d]]`. */
export async function runRun(options: RunInput, output: Output) {
  if (options.dryRun) {
    const days = options.horizon;
    const report = await withWorkspace(options.workspace, async (store, workspace) =>
      backtestWorkspace(store, workspace, {
        asOf: await commandTime(store, workspace, options.asOf, 'run', output),
        horizonDays: days,
      }),
    );
    output.result(report, () => renderBacktest(report));
    return report;
  }
  const progress = createProgress('run', !output.json);
  const report = await withWorkspace(options.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, options.asOf, 'run', output);
    return runWorkspace(
      store,
      workspace,
      asOf,
      progress.shown ? (fraction) => progress.update(fraction, 'evaluating') : undefined,
    );
  }).finally(() => progress.stop());
  output.result(report, () => renderRun(report));
  return report;
}

/**
 * `strata plan [--as-of T [--horizon 90d]]`. With `--as-of`, a backtest too: how each
 * segment's members at T went on to behave.
 */
export async function runPlan(options: PlanInput, output: Output) {
  const given = options.asOf;
  const days = options.horizon;
  const result = await withWorkspace(options.workspace, async (store, workspace) => {
    // The time `strata run` would use, so a plan and the run after it agree.
    const asOf = await commandTime(store, workspace, options.asOf, 'run', output);
    let destinations: DestinationEffect[] = [];
    const plan = await planWorkspace(store, workspace, asOf, async (evaluation) => {
      destinations = await destinationEffects(store, workspace, evaluation);
    });
    const planned = { ...plan, destinations, triggers: triggerModes(workspace) };
    return given
      ? { ...planned, backtest: await backtestWorkspace(store, workspace, { asOf, horizonDays: days }) }
      : planned;
  });
  output.result(result, () =>
    [
      result.asOf === result.againstAsOf
        ? `plan against run ${result.againstRunId}, both as of ${result.asOf} (nothing written)`
        : `plan as of ${result.asOf} against run ${result.againstRunId} as of ${result.againstAsOf}: changes include the data since (nothing written)`,
      '',
      formatTable(
        ['segment', 'status', 'added', 'removed', 'unchanged'],
        result.segments.map((s) => [
          s.segment,
          s.status,
          `+${count(s.added)}`,
          `-${count(s.removed)}`,
          s.unchanged,
        ]),
        { kinds: [undefined, undefined, undefined, undefined, 'count'] },
      ),
      ...renderDestinationEffects(result.destinations),
      ...renderTriggerModes(result.triggers),
      ...('backtest' in result ? ['', renderBacktest(result.backtest)] : []),
    ].join('\n'),
  );
}

/** How `strata serve` keeps each trigger segment current, and how late a change can be found. */
function renderTriggerModes(modes: ReturnType<typeof triggerModes>): string[] {
  if (modes.length === 0) return [];
  return [
    '',
    'Triggers, as strata serve keeps their segments current (--apply-every 1 s, --sweep-every 60 s by default):',
    formatTable(
      ['trigger', 'segment', 'accounts with new data', 'changes with time alone'],
      modes.map((m) => [
        m.trigger,
        m.segment,
        m.incremental ? 'in memory, at each apply' : `compiled query, at each apply (${m.reason})`,
        m.withOthers
          ? m.incremental
            ? 'ranks computed again and every account swept every --sweep-every after data arrives'
            : 'every account swept after each apply (ranks)'
          : m.withTime
            ? 'swept every --sweep-every'
            : 'none',
      ]),
    ),
  ];
}

/** Per CRM destination: what its next sync writes as the workspace stands, and with this edit. */
function renderDestinationEffects(effects: readonly DestinationEffect[]): string[] {
  if (effects.length === 0) return [];
  const fields = (changed: Readonly<Record<string, number>>) =>
    Object.entries(changed)
      .filter(([, n]) => n > 0)
      .map(([property, n]) => `${property} ${count(n)}`)
      .join(', ') || 'none';
  return [
    '',
    'CRM destinations, the records their next sync writes (strata sync plan NAME lists them):',
    formatTable(
      ['destination', 'without the edit', 'with it', 'properties it changes, with the edit'],
      effects.map((e) => [e.destination, e.now.pending, e.edited.pending, fields(e.edited.fields)]),
      { kinds: [undefined, 'count', 'count'] },
    ),
  ];
}
