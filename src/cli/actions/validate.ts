import { type IdenticalSegments, identicalSegments } from '../../analytics/validation/identical-segments.js';
import { type ValidationCard, validateSegment } from '../../analytics/validation/validation-card.js';
import { readRun } from '../../engine/run-snapshot.js';
import { didYouMean, StrataError } from '../../errors.js';
import { formatKind } from '../../format/numbers.js';
import { plural } from '../../format/words.js';
import { type MetricKind, metricKind } from '../../language/metric-kinds.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import type { ValidateInput } from '../commands/validate.js';
import { formatTable, type Output } from '../output.js';
import { withWorkspace } from '../workspace-session.js';

const CRITERIA = ['distinct', 'measurable', 'accessible', 'substantial', 'actionable', 'stability'] as const;

/** An adjusted p-value: two significant digits, and "< 0.001" below that (not 0, nor 1.2e-10). */
const pValue = (p: number) => (p < 0.001 ? '< 0.001' : String(Number(p.toPrecision(2))));

/** The kind a mean of a metric reads as: a mean of whole things or days is a plain number. */
const mean = (kind: Exclude<MetricKind, 'text'>) => (kind === 'count' || kind === 'days' ? 'number' : kind);

function renderCard(card: ValidationCard, workspace: Workspace): string {
  const kindOf = (metric: string): Exclude<MetricKind, 'text'> => {
    const kind = metricKind(metric, workspace.metrics);
    return kind === 'text' ? 'number' : kind;
  };
  const currency = workspace.config.settings.currency;
  const top = card.distinct.metrics
    .filter((m) => m.cohensD !== null)
    .sort((a, b) => Math.abs(b.cohensD ?? 0) - Math.abs(a.cohensD ?? 0))
    .slice(0, 6);
  return [
    `${card.segment}: ${card.overall.toUpperCase()} (run ${card.runId}, as of ${card.asOf.slice(0, 10)}, ${plural(card.members, 'member')})`,
    '',
    formatTable(
      ['criterion', 'verdict', 'why'],
      CRITERIA.map((c) => [c, card[c].verdict, card[c].reason]),
    ),
    '',
    formatTable(
      ['metric', 'members', 'others', "Cohen's d", 'adjusted p'],
      top.map((m) => [
        m.metric,
        // Means of a count keep a decimal: 1.62 sessions on average is not 2.
        m.members === null ? '' : formatKind(m.members, mean(kindOf(m.metric)), currency),
        m.others === null ? '' : formatKind(m.others, mean(kindOf(m.metric)), currency),
        m.cohensD === null ? '' : Number(m.cohensD.toFixed(2)),
        m.adjustedPValue === null ? '' : pValue(m.adjustedPValue),
      ]),
      { right: [false, true, true, true, true] },
    ),
  ].join('\n');
}

function describeIdentical(pair: IdenticalSegments): string {
  const [a, b] = pair.segments;
  const runs = pair.runs.length === 1 ? 'the latest run' : `each of the last ${pair.runs.length} runs`;
  return `warning: ${a} and ${b} had the same ${pair.members.toLocaleString('en-US')} members in ${runs}: one of them is redundant, or a definition does not say what was meant`;
}

/** `strata validate [<segment>]`: one segment's validation card, or every segment's verdicts. */
export async function runValidate(options: ValidateInput, output: Output) {
  const { segment } = options;
  return withWorkspace(options.workspace, async (store, workspace) => {
    const run = await readRun(store);
    if (segment !== undefined) {
      if (!run.segments.includes(segment)) {
        throw new StrataError(
          'unknown_segment',
          `the latest run has no segment '${segment}'${didYouMean(segment, run.segments)}`,
        );
      }
      const card = await validateSegment(store, workspace, segment, { run });
      output.result(card, () => renderCard(card, workspace));
      return card;
    }
    const cards: ValidationCard[] = [];
    for (const id of run.segments) cards.push(await validateSegment(store, workspace, id, { run }));
    const identical = await identicalSegments(store);
    output.result({ runId: run.runId, cards, identical }, () =>
      [
        formatTable(
          ['segment', 'overall', ...CRITERIA],
          cards.map((c) => [c.segment, c.overall, ...CRITERIA.map((k) => c[k].verdict)]),
        ),
        ...identical.map(describeIdentical),
      ].join('\n'),
    );
    return cards;
  });
}
