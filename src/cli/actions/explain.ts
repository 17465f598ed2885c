import { type ExplainedNode, explainMembership } from '../../engine/explain-membership.js';
import { modelDrivers } from '../../ml/model-drivers.js';
import type { ExplainInput } from '../commands/explain.js';
import type { Output } from '../output.js';
import { withWorkspace } from '../workspace-session.js';

/** A condition tree as indented lines: holds or not, the leaf in words, what decided a branch. */
function renderTree(node: ExplainedNode, depth = 1): string[] {
  const mark = node.holds ? 'true ' : 'false';
  const decided =
    node.decidedBy && node.children && node.decidedBy.length < node.children.length
      ? ` (decided by ${node.decidedBy.map((p) => p.slice(node.path.length + 1)).join(', ')})`
      : '';
  return [
    `${'  '.repeat(depth)}${mark}  ${node.text}${decided}   [${node.path}]`,
    ...(node.components ?? []).map(
      (c) =>
        `${'  '.repeat(depth + 2)}${c.metric} = ${c.value === null ? 'none' : c.value} (bad ${c.bad}, good ${c.good}, weight ${c.weight}): ${c.points.toFixed(1)} points`,
    ),
    ...(node.drivers
      ? [
          `${'  '.repeat(depth + 2)}model ${node.drivers.model} v${node.drivers.version}: probability ${node.drivers.probability.toFixed(3)}, driven by`,
          ...node.drivers.contributions.map(
            (c) =>
              `${'  '.repeat(depth + 3)}${c.feature} = ${c.value === null ? 'none' : Number(c.value.toPrecision(6))} ${c.direction} it (${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(3)} log-odds)`,
          ),
        ]
      : []),
    ...(node.children ?? []).flatMap((child) => renderTree(child, depth + 1)),
  ];
}

/** `strata explain <account> [<segment>]`: in or out of each segment and why, and each scheme's primary. */
export async function runExplain(o: ExplainInput, output: Output) {
  const { account, segment, run: runId } = o;
  const report = await withWorkspace(o.workspace, (store, workspace) =>
    explainMembership(store, workspace, account, {
      drivers: modelDrivers,
      ...(segment === undefined ? {} : { segment }),
      ...(runId === undefined ? {} : { runId }),
    }),
  );
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
        ...renderTree(s.tree),
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
