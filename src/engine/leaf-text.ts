import { formatKind, money, type NumberKind, percent } from '../format/numbers.js';
import { changeWords, plural, windowWords } from '../format/words.js';
import type { ConditionNode, EventFilter, MetricNode, Moment } from '../language/ast.js';
import { type MetricKind, metricKind } from '../language/metric-kinds.js';

/**
 * Condition leaves in words, with the value an account had: what `strata explain`, the
 * timeline and the dashboard say ("metric health = 53.6, needs < 40"). The value itself
 * stays full precision and typed (a number for what the leaf compares as a number, text for
 * text and times) in the answers; only the words round it, by the kind of number it is
 * (src/language/metric-kinds.ts), so MRR reads $579.79 and adoption 66.7%.
 */

/** What a leaf value is read with: each metric's kind of number and the workspace's currency. */
export interface LeafReader {
  readonly kindOf: (metric: string) => MetricKind;
  readonly currency: string;
}

/** The reader of a workspace's leaves (`metrics` as resolved, `currency` from settings). */
export function leafReader(metrics: Readonly<Record<string, MetricNode>>, currency = 'USD'): LeafReader {
  const kinds = new Map<string, MetricKind>();
  return {
    currency,
    kindOf: (metric) => {
      let kind = kinds.get(metric);
      if (kind === undefined) {
        kind = metricKind(metric, metrics);
        kinds.set(metric, kind);
      }
      return kind;
    },
  };
}

/** A leaf value as stored or cast to text by the engine: a number, or NaN when it is not one. */
function numberOf(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return Number(raw);
  if (typeof raw !== 'string' || !/^\s*-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i.test(raw)) return Number.NaN;
  return Number(raw);
}

/** The kind of number a leaf compares, or 'text' for text, times and traits compared as text. */
function leafKind(node: ConditionNode, reader: LeafReader): MetricKind {
  switch (node.kind) {
    case 'metric':
      return reader.kindOf(node.metric);
    case 'metricChange': {
      const kind = reader.kindOf(node.metric);
      return kind === 'text' ? 'number' : kind;
    }
    case 'performed':
      return 'count';
    case 'rank':
      // A percentile rank, 0-100: one decimal like a score.
      return 'score';
    case 'trait': {
      // A trait is a number when the condition compares it with numbers (mrr gte 500), else text
      // (a plan, a zip code written 00123).
      const values = Array.isArray(node.value) ? node.value : [node.value];
      if (node.op === 'exists' || !values.every((v) => typeof v === 'number')) return 'text';
      const kind = reader.kindOf(node.trait);
      return kind === 'text' ? 'number' : kind;
    }
    default:
      return 'text';
  }
}

/**
 * A leaf's value typed for answers (--json, the API): a number when the leaf compares a
 * number (full precision, however the engine cast it), text otherwise, null when none.
 */
export function leafValue(node: ConditionNode, raw: unknown, reader: LeafReader): number | string | null {
  if (raw === null || raw === undefined) return null;
  if (leafKind(node, reader) === 'text') return String(raw);
  const value = numberOf(raw);
  // An engine's 'inf' or 'nan' (no JSON number holds them) stays as the text it gave.
  return Number.isFinite(value) ? value : String(raw);
}

/** A leaf's value as people read it, rounded by its kind ("53.6", "$579.79", "66.7%"); null when none. */
export function shownLeafValue(
  node: ConditionNode,
  value: number | string | null | undefined,
  reader: LeafReader,
): string | null {
  if (value === null || value === undefined) return null;
  const kind = leafKind(node, reader);
  if (typeof value !== 'number' || kind === 'text') return String(value);
  // Rounded from 12 significant digits: a weighted score of 63.75 that one engine computes as
  // 63.74999999999999 reads 63.8 on every engine, as the value is meant.
  return formatKind(Number(value.toPrecision(12)), kind, reader.currency);
}

/** A threshold the user wrote, in the value's terms: money and shares as the value reads, others as written. */
export function threshold(value: unknown, kind: MetricKind, currency: string): string {
  if (typeof value !== 'number') return String(value);
  if (kind === 'money') return money(value, currency);
  // 0.5 of a share compared with a value shown as 66.7% reads 50%.
  if (kind === 'share') return percent(value, Number.isInteger(value * 100) ? 0 : 1);
  if (kind === 'count' || kind === 'days') return formatKind(value, kind as NumberKind);
  return String(value);
}

const OPERATORS: Readonly<Record<string, string>> = {
  eq: '=',
  ne: '!=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  between: 'between',
  in: 'in',
  contains: 'contains',
};

/** What a comparison needs, its values in the leaf's terms. */
function needs(c: { op: string; value: unknown }, kind: MetricKind, currency: string): string {
  if (c.op === 'exists') return c.value ? 'needs a value' : 'needs none';
  const shown = Array.isArray(c.value)
    ? c.value.map((v) => threshold(v, kind, currency)).join(c.op === 'between' ? ' and ' : ', ')
    : threshold(c.value, kind, currency);
  return `needs ${OPERATORS[c.op] ?? c.op} ${shown}`;
}

const filterText = (f: EventFilter) =>
  `${f.event}${
    Object.keys(f.where).length > 0
      ? ` where ${Object.entries(f.where)
          .map(([k, v]) => `${k} = ${v}`)
          .join(', ')}`
      : ''
  }`;
const within = (days: number) => windowWords(`${days}d`);
const moment = (m: Moment) => ('date' in m ? m.date : `${within(m.daysAgo)} ago`);

/** A metric's change over a window by its direction: "health rose by 5.8 in 30 days, needs a fall of 20 or more". */
function changeText(
  node: Extract<ConditionNode, { kind: 'metricChange' }>,
  value: unknown,
  reader: LeafReader,
) {
  const kind = leafKind(node, reader) as NumberKind;
  const need = `needs a ${node.direction === 'drop' ? 'fall' : 'rise'} of ${threshold(node.by, kind, reader.currency)} or more`;
  if (typeof value !== 'number')
    return `${node.metric} has no value to compare over ${within(node.withinDays)}, ${need}`;
  // The engine gives the fall for a drop (before - now) and the rise for a rise (now - before).
  const change = node.direction === 'drop' ? -value : value;
  const words = changeWords(change, (size) =>
    formatKind(Number(size.toPrecision(12)), kind, reader.currency),
  );
  return `${node.metric} ${words} in ${within(node.withinDays)}, ${need}`;
}

/** A leaf in words with its value (as `leafValue` types it): what it compares, what it needs. */
export function leafText(
  node: ConditionNode,
  value: number | string | null | undefined,
  reader: LeafReader,
): string {
  const shown = shownLeafValue(node, value, reader) ?? 'none';
  const kind = leafKind(node, reader);
  switch (node.kind) {
    case 'trait':
      return `trait ${node.trait} = ${shown}, ${needs(node, kind, reader.currency)}`;
    case 'metric':
      return `metric ${node.metric} = ${shown}, ${needs(node, kind, reader.currency)}`;
    case 'metricChange':
      return changeText(node, value, reader);
    case 'performed': {
      const times = typeof value === 'number' ? plural(value, 'time', 'times', shown) : `${shown} times`;
      return `${filterText(node.filter)} ${times} ${node.withinDays === null ? 'ever' : `in ${within(node.withinDays)}`}, needs ${node.atMost === null ? `>= ${node.atLeast}` : `${node.atLeast} to ${node.atMost}`}`;
    }
    case 'seen':
      return `${node.which} ${filterText(node.filter)} at ${shown}, needs ${[node.before ? `before ${moment(node.before)}` : '', node.after ? `after ${moment(node.after)}` : ''].filter(Boolean).join(' and ') || 'one'}`;
    case 'recent':
      return `${node.field} ${shown}, needs within ${within(node.withinDays)} ${node.field === 'created_at' ? 'before' : 'after'} the as-of time`;
    case 'rank':
      return `percentile of ${node.metric} = ${shown}, needs ${node.side} ${node.percent}%`;
    case 'segment':
      return `in segment ${node.segment}`;
    case 'all':
      return 'all of';
    case 'any':
      return 'any of';
    case 'not':
      return 'not';
  }
}
