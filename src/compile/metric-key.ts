import type { MetricNode } from '../language/ast.js';
import { ownValue } from '../own-key.js';

/** JSON with object keys sorted, so equal structures give equal text whatever built them. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A metric's definition with each metric it names replaced by that one's definition, recursively. */
function resolved(metrics: Readonly<Record<string, MetricNode>>, name: string): unknown {
  const node = ownValue(metrics, name);
  if (!node) return { unknown: name };
  const inline = (other: string) => resolved(metrics, other);
  switch (node.kind) {
    case 'change':
    case 'percentile':
    case 'rollup':
      return { ...node, metric: inline(node.metric) };
    case 'score':
      return { ...node, components: node.components.map((c) => ({ ...c, metric: inline(c.metric) })) };
    case 'indicator':
      return 'metric' in node.source ? { ...node, source: { metric: inline(node.source.metric) } } : node;
    case 'rfm':
      return {
        ...node,
        recency: inline(node.recency),
        frequency: inline(node.frequency),
        monetary: inline(node.monetary),
      };
    default:
      return node;
  }
}

/**
 * The structural key of metric `name` in `metrics`: two metrics with equal keys (in this
 * or another metric map, such as a saved model's) compile to the same SQL, so the
 * compiler shares one column between them without comparing SQL text.
 */
export function metricKey(metrics: Readonly<Record<string, MetricNode>>, name: string): string {
  return canonicalJson(resolved(metrics, name));
}
