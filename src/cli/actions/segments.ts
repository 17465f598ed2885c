import { compareSnapshots, schemeFlows } from '../../engine/membership-diff.js';
import { listRuns, previousRun, readRun } from '../../engine/run-snapshot.js';
import { segmentDetail, segmentMembers } from '../../engine/snapshots.js';
import { overlaps } from '../../engine/warnings.js';
import { didYouMean, StrataError } from '../../errors.js';
import { playbookLines, plural } from '../../format/words.js';
import { metricKind } from '../../language/metric-kinds.js';
import { hasOwnKey, ownValue } from '../../own-key.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import type {
  SegmentsListInput,
  SegmentsMembersInput,
  SegmentsOverlapInput,
  SegmentsShowInput,
  TransitionsInput,
} from '../commands/segments.js';
import { count, formatTable, type Output } from '../output.js';
import { withWorkspace } from '../workspace-session.js';

function checkSegment(workspace: Workspace, id: string): void {
  const ids = workspace.segments.map((s) => s.id);
  if (!ids.includes(id))
    throw new StrataError('unknown_segment', `unknown segment '${id}'${didYouMean(id, ids)}`);
}

/** `strata segments list`: every segment with its definition summary and size in the latest run. */
export async function runSegmentsList(options: SegmentsListInput, output: Output) {
  await withWorkspace(options.workspace, async (store, workspace) => {
    const wanted = options.run;
    // Without runs the list still shows the definitions; a named run must exist.
    const run =
      wanted === undefined && (await listRuns(store)).length === 0 ? null : await readRun(store, wanted);
    const runId = run?.runId ?? null;
    const rows = workspace.segments.map((s) => ({
      segment: s.id,
      framework: s.framework,
      parent: s.parent,
      accounts: run === null ? null : (ownValue(run.sizes.segments, s.id) ?? null),
      playbook: hasOwnKey(workspace.config.playbooks, s.id),
    }));
    const asOf = run?.asOf ?? null;
    output.result({ runId, asOf, segments: rows }, () =>
      [
        runId === null
          ? "no runs yet: sizes appear after 'strata run'"
          : `sizes from run ${runId} as of ${asOf}`,
        '',
        formatTable(
          ['segment', 'framework', 'parent', 'accounts', 'playbook'],
          rows.map((r) => [
            r.segment,
            r.framework ?? '',
            r.parent ?? '',
            r.accounts ?? '',
            r.playbook ? 'yes' : 'no',
          ]),
          { kinds: [undefined, undefined, undefined, 'count'] },
        ),
      ].join('\n'),
    );
  });
}

/** A playbook as labelled lines ("  owner    cs"), not JSON; "playbook: none" without one. */
function playbookText(playbook: Parameters<typeof playbookLines>[0] | null): string[] {
  if (!playbook) return ['playbook: none'];
  const lines = playbookLines(playbook);
  const width = Math.max(...lines.map(([label]) => label.length));
  return ['playbook:', ...lines.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`)];
}

/** `strata segments show <id>`: definition as written, size history, overlaps, playbook. */
export async function runSegmentsShow(options: SegmentsShowInput, output: Output) {
  const { id } = options;
  await withWorkspace(options.workspace, async (store, workspace) => {
    checkSegment(workspace, id);
    const detail = await segmentDetail(store, workspace, id);
    const { history } = detail;
    output.result(detail, () =>
      [
        `${workspace.file}:`,
        detail.definition,
        '',
        ...playbookText(detail.playbook),
        '',
        formatTable(
          ['run', 'as of', 'accounts'],
          history.map((h) => [h.run_id, h.as_of, h.accounts ?? '-']),
          { kinds: [undefined, undefined, 'count'] },
        ),
        '',
        formatTable(
          ['overlaps with', 'accounts', 'jaccard'],
          detail.overlaps.map((o) => [o.segment, o.accounts, o.jaccard.toFixed(3)]),
          { kinds: [undefined, 'count'] },
        ),
      ].join('\n'),
    );
  });
}

/** `strata segments members <id>`: a page of members with their metrics. */
export async function runSegmentsMembers(options: SegmentsMembersInput, output: Output) {
  const { id } = options;
  await withWorkspace(options.workspace, async (store, workspace) => {
    checkSegment(workspace, id);
    const run = await readRun(store, options.run);
    const runId = run.runId;
    const page = await segmentMembers(store, {
      run,
      segment: id,
      limit: options.limit,
      offset: options.offset,
      ...(options.sort ? { sort: options.sort } : {}),
      ...(options.search ? { search: options.search } : {}),
    });
    const metricNames = run.metrics;
    // A metric named mrr is the account's MRR already: one column of it, not two.
    const ownMrr = !metricNames.includes('mrr');
    const kinds = metricNames.map((n) => metricKind(n, workspace.metrics));
    output.result({ runId, asOf: run.asOf, segment: id, ...page }, () =>
      [
        `${plural(page.total, 'account', 'accounts', count(page.total))} in '${id}' (run ${runId} as of ${run.asOf}); showing ${page.members.length} from ${options.offset}`,
        '',
        formatTable(
          ['account', 'name', 'plan', ...(ownMrr ? ['mrr'] : []), ...metricNames],
          page.members.map((m) => [
            m.account_id,
            m.name,
            m.plan,
            ...(ownMrr ? [m.mrr] : []),
            ...metricNames.map((n) => ownValue(m.metrics, n) ?? ''),
          ]),
          {
            kinds: [undefined, undefined, undefined, ...(ownMrr ? ['money' as const] : []), ...kinds],
            currency: workspace.config.settings.currency,
          },
        ),
      ].join('\n'),
    );
  });
}

/** `strata transitions [--from RUN --to RUN]`: entered / exited per segment and flows between primary segments. */
export async function runTransitions(options: TransitionsInput, output: Output) {
  await withWorkspace(options.workspace, async (store) => {
    const toRun = await readRun(store, options.to);
    const fromRun =
      options.from !== undefined ? await readRun(store, options.from) : await previousRun(store, toRun.runId);
    if (fromRun === null) throw new StrataError('no_runs', 'only one run so far: transitions need two');
    const [from, to] = [fromRun.runId, toRun.runId];
    const { segments } = await compareSnapshots(store, fromRun, toRun);
    const flows = await schemeFlows(store, fromRun, toRun);
    const [fromAsOf, toAsOf] = [fromRun.asOf, toRun.asOf];
    output.result({ from, to, fromAsOf, toAsOf, segments, flows }, () =>
      [
        `run ${from} (as of ${fromAsOf}) -> run ${to} (as of ${toAsOf})`,
        '',
        formatTable(
          ['segment', 'before', 'after', 'entered', 'exited'],
          segments.map((s) => [s.segment, s.before, s.after, s.entered, s.exited]),
          { kinds: [undefined, 'count', 'count', 'count', 'count'] },
        ),
        '',
        formatTable(
          ['scheme', 'from', 'to', 'accounts'],
          flows.map((f) => [f.scheme, f.from, f.to, f.accounts]),
          { kinds: [undefined, undefined, undefined, 'count'] },
        ),
      ].join('\n'),
    );
  });
}

/** `strata segments overlap`: every pair of segments sharing accounts, with counts and Jaccard similarity. */
export async function runSegmentsOverlap(options: SegmentsOverlapInput, output: Output) {
  await withWorkspace(options.workspace, async (store) => {
    const run = await readRun(store, options.run);
    const runId = run.runId;
    const pairs = (await overlaps(store, run)).sort((x, y) => y.jaccard - x.jaccard);
    output.result({ runId, asOf: run.asOf, pairs }, () =>
      [
        `segments sharing accounts in run ${runId} as of ${run.asOf}, most similar first`,
        '',
        formatTable(
          ['segment', 'segment', 'shared', 'jaccard'],
          pairs.map((p) => [p.a, p.b, p.both, Number(p.jaccard.toFixed(3))]),
          { kinds: [undefined, undefined, 'count'] },
        ),
      ].join('\n'),
    );
  });
}
