import { StrataError } from '../errors.js';
import type { MetricNode } from '../language/ast.js';
import { metricClosure, undeclaredMetric, unknownMetricMessage } from '../language/metric-names.js';
import { ownValue } from '../own-key.js';
import type { Workspace } from './load-workspace.js';
import { implicitModelMetric } from './model-files.js';

/**
 * The node of metric `name`: declared in the workspace, built in, a numeric account column,
 * or a saved model's output; an unknown name is an error located at `path` in strata.yaml.
 */
export function metricNode(
  workspace: Workspace,
  name: string,
  path: readonly (string | number)[],
): MetricNode {
  const node =
    ownValue(workspace.metrics, name) ?? undeclaredMetric(name) ?? implicitModelMetric(workspace.dir, name);
  if (node) return node;
  throw new StrataError('unknown_metric', unknownMetricMessage(name, Object.keys(workspace.metrics)), {
    ...workspace.locate(path),
    path: path.join('.'),
  });
}

/**
 * `roots` (output name -> node) with every metric they are built from, by name, so the
 * compiler can evaluate just these instead of the whole workspace.
 */
export function withInputs(workspace: Workspace, roots: Readonly<Record<string, MetricNode>>) {
  return metricClosure(roots, (input) => metricNode(workspace, input, ['metrics', input]));
}
