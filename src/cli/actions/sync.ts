import {
  destinationOf,
  type PlannedWrite,
  planSync,
  runSync,
  type SyncPlan,
  syncStatePath,
} from '../../activate/sync/sync.js';
import { SyncStateDb } from '../../activate/sync/sync-state.js';
import { readClock } from '../../engine/clock.js';
import { formatKind } from '../../format/numbers.js';
import { durationWords, plural } from '../../format/words.js';
import { metricKind } from '../../language/metric-kinds.js';
import { ownValue } from '../../own-key.js';
import type { Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import type {
  SyncFailuresInput,
  SyncPlanInput,
  SyncReplayInput,
  SyncRunInput,
  SyncStatusInput,
} from '../commands/sync.js';
import { count, formatTable, type Output } from '../output.js';
import { createProgress } from '../progress.js';
import { withWorkspace } from '../workspace-session.js';

/** How a property's numbers read: its metric's kind (a health score 53.6, MRR in money), else as they are. */
type Shown = (property: string, value: PlannedWrite['from']) => string;

function valueWords(workspace: Workspace, destination: string): Shown {
  const fields = destinationOf(workspace, destination).fields;
  const currency = workspace.config.settings.currency;
  return (property, value) => {
    if (value === null) return '(empty)';
    const field = ownValue(fields, property);
    if (typeof value !== 'number' || typeof field !== 'object' || !('metric' in field)) return String(value);
    const kind = metricKind(field.metric, workspace.metrics);
    return kind === 'text' ? String(value) : formatKind(value, kind, currency);
  };
}

/** The values of the latest run: the one clock's time for reads, said on the way. */
async function sayRunClock(store: Store, workspace: Workspace, output: Output): Promise<void> {
  const clock = await readClock(store, workspace, undefined);
  output.useClock(clock);
}

function renderPlan(plan: SyncPlan, shown: Shown): string {
  const target = `${plan.type} ${plan.object}`;
  const lines = [
    `destination ${plan.destination} (${target}), values of run ${plan.runId} as of ${plan.asOf}`,
    plan.pending === 0
      ? `nothing to write: the ${count(plan.records)} records hold what Strata last wrote`
      : `${plural(plan.pending, 'record')} of ${count(plan.records)} to write (${count(plan.neverWritten)} never written, ${count(plan.toMatch)} to find by ${plan.type === 'hubspot' && plan.object === 'contacts' ? 'email' : 'domain or email'} first)`,
  ];
  if (plan.dead > 0) lines.push(`${plural(plan.dead, 'dead-lettered record')} left out (strata sync replay)`);
  if (plan.newer > 0)
    lines.push(
      `${plural(plan.newer, 'record')} ${plan.newer === 1 ? 'holds' : 'hold'} values written in real time after this run, left as ${plan.newer === 1 ? 'it is' : 'they are'}`,
    );
  const fields = Object.entries(plan.fields).filter(([, n]) => n > 0);
  if (fields.length > 0)
    lines.push(
      '',
      formatTable(
        ['property', 'records it changes'],
        fields.map(([property, n]) => [property, n]),
        { kinds: [undefined, 'count'] },
      ),
    );
  if (plan.writes.length > 0)
    lines.push(
      '',
      `The writes of the first ${plural(plan.shownRecords, 'record')}:`,
      formatTable(
        ['record', 'CRM record', 'property', 'from', 'to'],
        plan.writes.map((w) => [
          w.record,
          w.crmId || (w.matchKey ? `find ${w.matchKey}` : '(no match key)'),
          w.property,
          w.firstWrite ? '(never written)' : shown(w.property, w.from),
          shown(w.property, w.to),
        ]),
      ),
    );
  lines.push('', 'From what Strata last wrote, not read back from the CRM; nothing was sent.');
  return lines.join('\n');
}

/** `strata sync plan <destination>`: the writes of the next sync, writing nothing. */
export async function runSyncPlan(options: SyncPlanInput, output: Output) {
  return withWorkspace(options.workspace, async (store, workspace) => {
    await sayRunClock(store, workspace, output);
    const plan = await planSync(store, workspace, options.destination, { limit: options.limit });
    output.result(plan, () => renderPlan(plan, valueWords(workspace, options.destination)));
    return plan;
  });
}

/** `strata sync run <destination>`: the changed records written, with progress. */
export async function runSyncRun(options: SyncRunInput, output: Output) {
  return withWorkspace(options.workspace, async (store, workspace) => {
    await sayRunClock(store, workspace, output);
    const progress = createProgress(`sync ${options.destination}`, !output.json);
    const outcome = await runSync(store, workspace, options.destination, {
      progress: (done, total) => progress.update(done / total, `${count(done)} of ${count(total)}`),
    }).finally(() => progress.stop());
    output.result(outcome, () =>
      [
        `destination ${outcome.destination}: run ${outcome.runId} as of ${outcome.asOf}`,
        outcome.planned === 0
          ? `nothing to write: the ${count(outcome.records)} records hold what Strata last wrote`
          : `${plural(outcome.written, 'record')} written, ${count(outcome.failed)} failed, ${count(outcome.unmatched)} not found in the CRM, of ${count(outcome.planned)} changed (${durationWords(outcome.seconds)})`,
        ...(outcome.created.length ? [`created properties: ${outcome.created.join(', ')}`] : []),
        ...(outcome.updated.length ? [`added options to: ${outcome.updated.join(', ')}`] : []),
        ...(outcome.failed > 0
          ? [`strata sync failures ${outcome.destination} lists the failures; the next sync tries them again`]
          : []),
      ].join('\n'),
    );
    if (outcome.failed > 0) output.warn(`${plural(outcome.failed, 'record')} failed`);
    return outcome;
  });
}

/** Opens the sync state of the workspace (no store needed). */
async function withState<T>(
  options: { workspace: string },
  work: (state: SyncStateDb, workspace: Workspace) => Promise<T>,
) {
  return withWorkspace(options.workspace, async (_store, workspace) => {
    const state = await SyncStateDb.open(syncStatePath(workspace));
    try {
      return await work(state, workspace);
    } finally {
      state.close();
    }
  });
}

/** `strata sync failures <destination> [--dead]`. */
export async function runSyncFailures(options: SyncFailuresInput, output: Output) {
  return withState(options, async (state, workspace) => {
    destinationOf(workspace, options.destination);
    const rows = await state.failures(options.destination, { dead: options.dead, limit: options.limit });
    output.result(rows, () =>
      rows.length === 0
        ? `no failed records for ${options.destination}`
        : formatTable(
            ['record', 'tries', 'status', 'last try', 'reason'],
            rows.map((r) => [r.record, r.attempts, r.status, r.updatedAt.slice(0, 19), r.lastError]),
            { kinds: [undefined, 'count'] },
          ),
    );
    return rows;
  });
}

/** `strata sync replay <destination> [--record ID ...]`. */
export async function runSyncReplay(options: SyncReplayInput, output: Output) {
  return withState(options, async (state, workspace) => {
    destinationOf(workspace, options.destination);
    const replayed = await state.replay(options.destination, options.record);
    output.result(
      { destination: options.destination, replayed },
      () =>
        `${plural(replayed, 'dead-lettered record')} due again: the next strata sync run ${options.destination} writes them`,
    );
    return { replayed };
  });
}

/** `strata sync status [<destination>]`: the log of syncs. */
export async function runSyncStatus(options: SyncStatusInput, output: Output) {
  return withState(options, async (state, workspace) => {
    if (options.destination !== undefined) destinationOf(workspace, options.destination);
    const rows = await state.log(options.destination, options.limit);
    output.result(rows, () =>
      rows.length === 0
        ? 'no syncs yet (strata sync run <destination>)'
        : formatTable(
            // The values' time: the run's, or a real-time sync's (the trigger's, later than its run).
            [
              'destination',
              'started',
              'run',
              'values as of',
              'status',
              'changed',
              'written',
              'failed',
              'not found',
            ],
            rows.map((r) => [
              r.destination,
              r.startedAt.slice(0, 19),
              r.runId,
              r.asOf.slice(0, 19),
              r.status,
              r.planned,
              r.written,
              r.failed,
              r.unmatched,
            ]),
            {
              kinds: [
                undefined,
                undefined,
                'count',
                undefined,
                undefined,
                'count',
                'count',
                'count',
                'count',
              ],
            },
          ),
    );
    return rows;
  });
}
