import { BUILTIN_METRICS, type BuiltinMetric, type MetricNode } from '../compile/ast.js';
import { NUMERIC_ACCOUNT_COLUMNS } from '../compile/compile-workspace.js';
import { didYouMean, StrataError } from '../errors.js';
import { hasOwnKey, ownValue } from '../own-key.js';
import type { Workspace } from './load-workspace.js';
import { implicitModelMetric } from './model-files.js';

/** The node of metric `name`: declared in the workspace, built in, or a numeric account column. */
export function metricNode(
  workspace: Workspace,
  name: string,
  path: readonly (string | number)[],
): MetricNode {
  const declared = ownValue(workspace.metrics, name);
  if (declared) return declared;
  if ((BUILTIN_METRICS as readonly string[]).includes(name))
    return { kind: 'builtin', name: name as BuiltinMetric };
  if (NUMERIC_ACCOUNT_COLUMNS.includes(name)) return { kind: 'trait', trait: name };
  const implicit = implicitModelMetric(workspace.dir, name);
  if (implicit) return implicit;
  const known = [...Object.keys(workspace.metrics), ...BUILTIN_METRICS, ...NUMERIC_ACCOUNT_COLUMNS];
  throw new StrataError('unknown_metric', `unknown metric '${name}'${didYouMean(name, known)}`, {
    ...workspace.locate(path),
    path: path.join('.'),
  });
}

/**
 * `roots` (output name -> node) with every metric they are built from, by name, so the
 * compiler can evaluate just these instead of the whole workspace.
 */
export function withInputs(workspace: Workspace, roots: Readonly<Record<string, MetricNode>>) {
  const metrics: Record<string, MetricNode> = { ...roots };
  const visit = (node: MetricNode) => {
    const inputs =
      node.kind === 'change' || node.kind === 'percentile'
        ? [node.metric]
        : node.kind === 'score'
          ? node.components.map((c) => c.metric)
          : node.kind === 'indicator' && 'metric' in node.source
            ? [node.source.metric]
            : [];
    for (const input of inputs) {
      if (hasOwnKey(metrics, input)) continue;
      const inputNode = metricNode(workspace, input, ['metrics', input]);
      metrics[input] = inputNode;
      visit(inputNode);
    }
  };
  for (const node of Object.values(roots)) visit(node);
  return metrics;
}
