import { didYouMean } from '../errors.js';
import { hasOwnKey } from '../own-key.js';
import { BUILTIN_METRICS, type BuiltinMetric, type MetricNode } from './ast.js';
import { NUMERIC_ACCOUNT_COLUMNS } from './value-types.js';

/** The metric a name stands for without a declaration: a built-in metric or a numeric account column. */
export function undeclaredMetric(name: string): MetricNode | undefined {
  if ((BUILTIN_METRICS as readonly string[]).includes(name))
    return { kind: 'builtin', name: name as BuiltinMetric };
  if (NUMERIC_ACCOUNT_COLUMNS.includes(name)) return { kind: 'trait', trait: name };
  return undefined;
}

/** The error message for a metric name that nothing defines, with the nearest known name. */
export function unknownMetricMessage(name: string, declared: readonly string[]): string {
  const known = [...declared, ...BUILTIN_METRICS, ...NUMERIC_ACCOUNT_COLUMNS];
  return `unknown metric '${name}'${didYouMean(name, known)}`;
}

/**
 * `roots` (output name -> node) with every metric they are built from, by name, each input
 * found by `lookup` (which throws for an unknown one), so the compiler can evaluate just
 * these instead of the whole workspace.
 */
export function metricClosure(
  roots: Readonly<Record<string, MetricNode>>,
  lookup: (name: string) => MetricNode,
): Record<string, MetricNode> {
  const metrics: Record<string, MetricNode> = { ...roots };
  const visit = (node: MetricNode) => {
    for (const input of closureInputs(node)) {
      if (hasOwnKey(metrics, input)) continue;
      const inputNode = lookup(input);
      metrics[input] = inputNode;
      visit(inputNode);
    }
  };
  for (const node of Object.values(roots)) visit(node);
  return metrics;
}

/**
 * The metrics a node is computed from by name. An RFM metric's inputs are not followed:
 * src/analytics/rfm names them as roots itself.
 */
function closureInputs(node: MetricNode): readonly string[] {
  if (node.kind === 'change' || node.kind === 'percentile' || node.kind === 'rollup') return [node.metric];
  if (node.kind === 'score') return node.components.map((c) => c.metric);
  if (node.kind === 'indicator' && 'metric' in node.source) return [node.source.metric];
  return [];
}
