import type { NumberKind } from '../format/numbers.js';
import { TABLES } from '../model/tables.js';
import { ownValue } from '../own-key.js';
import { BUILTIN_METRICS, type MetricNode } from './ast.js';
import { isTextMetric, NUMERIC_ACCOUNT_COLUMNS } from './value-types.js';

/**
 * What kind of number each metric is, so every reader rounds it the same way (src/format):
 * a count of sessions is whole, a health score has one decimal, MRR is money, a ratio is a
 * percentage, a model's probability is a percentage. Decided from the definition, never from
 * the values; a name the language cannot place reads as a plain number (three significant
 * digits), which is never wrong, only less specific.
 */
export type MetricKind = NumberKind | 'text';

/** Names of money: account and event columns and properties holding revenue, prices or costs. */
const MONEY_NAME =
  /(^|_)(mrr|arr|revenue|amount|price|spend|cost|ltv|acv|tcv|invoice|payment|paid|value_usd)(_|$)/i;

/** Built-in metrics by kind (text ones are found by isTextMetric). */
const BUILTIN_KINDS: Readonly<Record<string, NumberKind>> = {
  seats: 'count',
  tenure_days: 'days',
  days_to_renewal: 'days',
  tickets_open: 'count',
  tickets_30d: 'count',
  nps_latest: 'number',
  last_seen_days: 'days',
  events_30d: 'count',
  sessions_30d: 'count',
};

const INTEGER_COLUMNS = new Set(
  TABLES.accounts.columns.filter((column) => column.type === 'integer').map((column) => column.name),
);

/** The kind of a trait or account column by its name and type. */
function traitKind(trait: string): NumberKind {
  if (MONEY_NAME.test(trait)) return 'money';
  return INTEGER_COLUMNS.has(trait) ? 'count' : 'number';
}

/** The kind of one metric of the workspace (`metrics` as resolved by src/workspace). */
export function metricKind(
  name: string,
  metrics: Readonly<Record<string, MetricNode>>,
  seen = new Set<string>(),
): MetricKind {
  if (isTextMetric(name, metrics)) return 'text';
  const node = ownValue(metrics, name);
  if (node === undefined) {
    // A saved model's NAME_probability and a clustering's NAME_cluster, when not declared.
    if (name.endsWith('_probability')) return 'share';
    if (name.endsWith('_cluster')) return 'count';
    return BUILTIN_KINDS[name] ?? traitKind(name);
  }
  // A change or a rank of a metric that refers back to itself would loop: the workspace refuses
  // cycles when it loads, and this guard keeps a hand-built AST from hanging a reader.
  if (seen.has(name)) return 'number';
  seen.add(name);
  switch (node.kind) {
    case 'count':
    // A count of values, whatever the property is called (invoice_no reads as a count, not money).
    case 'countDistinct':
    case 'tickets':
    case 'traitChanges':
    case 'cluster':
    case 'indicator':
      return 'count';
    case 'distinctEvents':
      return node.ratio ? 'share' : 'count';
    case 'recency':
      return 'days';
    case 'aggregate':
      return MONEY_NAME.test(node.property) ? 'money' : 'number';
    case 'trait':
      return traitKind(node.trait);
    case 'builtin':
      return BUILTIN_KINDS[node.name] ?? 'number';
    case 'change': {
      const inner = metricKind(node.metric, metrics, seen);
      return inner === 'text' ? 'number' : inner;
    }
    case 'percentile':
    case 'score':
      return 'score';
    // The sum of MRR is money, the count of it a count.
    case 'rollup':
      return node.using === 'count' ? 'count' : metricKind(node.metric, metrics, seen);
    case 'rfm':
      return 'count';
    case 'model':
      return 'share';
    default:
      return 'number';
  }
}

/** Every metric's kind, for the API's `units` and the CLI's tables. */
export function metricKinds(
  names: readonly string[],
  metrics: Readonly<Record<string, MetricNode>>,
): Record<string, MetricKind> {
  return Object.fromEntries(names.map((name) => [name, metricKind(name, metrics)]));
}

/** Every metric name a workspace can show: its declared metrics, then the built-in and account ones. */
export function knownMetrics(
  metrics: Readonly<Record<string, MetricNode>>,
): { name: string; kind: MetricKind; declared: boolean }[] {
  const declared = Object.keys(metrics);
  const undeclared = [...BUILTIN_METRICS, ...NUMERIC_ACCOUNT_COLUMNS].filter(
    (name) => !Object.hasOwn(metrics, name),
  );
  return [
    ...declared.map((name) => ({ name, kind: metricKind(name, metrics), declared: true })),
    ...undeclared.map((name) => ({ name, kind: metricKind(name, metrics), declared: false })),
  ];
}
