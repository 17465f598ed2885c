import { type ExplainedNode, explainMembership } from '../../engine/explain-membership.js';
import { type LeafReader, leafReader, threshold } from '../../engine/leaf-text.js';
import { formatKind, percent, signedKind } from '../../format/numbers.js';
import { modelDrivers } from '../../ml/model-drivers.js';
import type { ExplainInput } from '../commands/explain.js';
import type { Output } from '../output.js';
import { withWorkspace } from '../workspace-session.js';

/** A condition tree as indented lines: holds or not, the leaf in words, what decided a branch. */
function renderTree(node: ExplainedNode, reader: LeafReader, depth = 1): string[] {
  // A component or feature value by its metric's kind; a feature that is no metric reads as a number.
  const value = (metric: string, v: number | null) => {
    if (v === null) return 'none';
    const kind = reader.kindOf(metric);
    return formatKind(v, kind === 'text' ? 'number' : kind, reader.currency);
  };
  const limit = (metric: string, v: number) => threshold(v, reader.kindOf(metric), reader.currency);
  const mark = node.holds ? 'true ' : 'false';
  const decided =
    node.decidedBy && node.children && node.decidedBy.length < node.children.length
      ? ` (decided by ${node.decidedBy.map((p) => p.slice(node.path.length + 1)).join(', ')})`
      : '';
  return [
    `${'  '.repeat(depth)}${mark}  ${node.text}${decided}   [${node.path}]`,
    ...(node.components ?? []).map(
      (c) =>
        `${'  '.repeat(depth + 2)}${c.metric} = ${value(c.metric, c.value)} (bad ${limit(c.metric, c.bad)}, good ${limit(c.metric, c.good)}, weight ${c.weight}): ${c.points.toFixed(1)} points`,
    ),
    ...(node.drivers
      ? [
          `${'  '.repeat(depth + 2)}model ${node.drivers.model} v${node.drivers.version}: probability ${percent(node.drivers.probability)}, driven by`,
          ...node.drivers.contributions.map(
            (c) =>
              `${'  '.repeat(depth + 3)}${c.feature} = ${value(c.feature, c.value)} ${c.direction} it (${signedKind(c.contribution, 'number')} log-odds)`,
          ),
        ]
      : []),
    ...(node.children ?? []).flatMap((child) => renderTree(child, reader, depth + 1)),
  ];
}

/** `strata explain <account> [<segment>]`: in or out of each segment and why, and each scheme's primary. */
export async function runExplain(o: ExplainInput, output: Output) {
  const { account, segment, run: runId } = o;
  let reader: LeafReader | undefined;
  const report = await withWorkspace(o.workspace, (store, workspace) => {
    reader = leafReader(workspace.metrics, workspace.config.settings.currency);
    return explainMembership(store, workspace, account, {
      drivers: modelDrivers,
      ...(segment === undefined ? {} : { segment }),
      ...(runId === undefined ? {} : { runId }),
    });
  });
  const words = reader ?? leafReader({});
  output.result(report, () =>
    [
      runId === undefined
        ? `account ${report.account} as of ${report.asOf} (run ${report.runId}'s time, evaluated again now by strata.yaml as it is)`
        : `account ${report.account} as of ${report.asOf} (run ${report.runId}'s time and definition version ${report.definition.slice(0, 8)}, evaluated again now)`,
      ...report.segments.flatMap((s) => [
        '',
        `${s.segment}: ${s.member ? 'IN' : 'out'}${s.parent ? ` (parent ${s.parent.segment}: ${s.parent.member ? 'in' : 'out'})` : ''}${
          s.storedMember !== null
            ? ` - run ${report.runId} stored ${s.storedMember ? 'in' : 'out'}: data changed since`
            : ''
        }`,
        ...renderTree(s.tree, words),
      ]),
      ...(segment === undefined
        ? report.schemes.flatMap((s) => [
            '',
            `scheme ${s.scheme}: primary ${s.primary} (${s.reason}; order ${s.order.join(' > ')})${
              s.storedPrimary !== null && s.storedPrimary !== s.primary
                ? ` - run ${report.runId} stored ${s.storedPrimary}`
                : ''
            }`,
          ])
        : []),
    ].join('\n'),
  );
  return report;
}
