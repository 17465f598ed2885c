import { formatKind } from '../format/numbers.js';
import { metricKind } from '../language/metric-kinds.js';
import type { Workspace } from '../workspace/load-workspace.js';

type Figure = (value: number | null | undefined) => string;

/**
 * How a table writes a metric's values: in the metric's kind (src/language/metric-kinds.ts),
 * money in the workspace's currency. `average` is for means over accounts: a mean of counts
 * or days keeps its digits (0.4 sessions a month is not 0).
 */
export function metricFigure(workspace: Workspace, metric: string, average = false): Figure {
  const kind = metricKind(metric, workspace.metrics);
  const { currency } = workspace.config.settings;
  const shown = kind === 'text' || (average && (kind === 'count' || kind === 'days')) ? 'number' : kind;
  return (value) => formatKind(value, shown, currency);
}
