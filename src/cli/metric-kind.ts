import type { NumberKind } from '../format/numbers.js';
import type { MetricNode } from '../language/ast.js';
import { ownValue } from '../own-key.js';

/** Account columns and traits that hold money (in `settings.currency`). */
const MONEY = new Set(['mrr', 'arr', 'revenue', 'ltv']);

/**
 * How a metric's values read in a table (src/format/numbers.ts), from what the metric is:
 * a health score one decimal, MRR and its changes as money, counts whole, days whole,
 * ratios and model probabilities as percentages; anything else three significant digits.
 * Read from the metric's definition, so a renamed metric keeps its kind.
 */
export function metricKind(
  name: string,
  metrics: Readonly<Record<string, MetricNode>>,
  seen: ReadonlySet<string> = new Set(),
): NumberKind {
  const node = ownValue(metrics, name);
  if (!node) return MONEY.has(name) ? 'money' : 'number';
  switch (node.kind) {
    case 'score':
    case 'percentile':
      return 'score';
    case 'count':
    case 'tickets':
    case 'traitChanges':
      return 'count';
    case 'recency':
      return 'days';
    case 'distinctEvents':
      return node.ratio ? 'share' : 'count';
    case 'model':
      return 'share';
    case 'trait':
      return MONEY.has(node.trait) ? 'money' : 'number';
    case 'builtin':
      return node.name.endsWith('_days')
        ? 'days'
        : /^(seats|tickets_|events_|sessions_)/.test(node.name)
          ? 'count'
          : 'number';
    case 'change':
      // A change reads as what it changes (a change of MRR is money); a cycle stops at number.
      return seen.has(node.metric) ? 'number' : metricKind(node.metric, metrics, new Set([...seen, name]));
    default:
      return 'number';
  }
}
