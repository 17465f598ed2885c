import type { ConditionNode, EventFilter, Moment } from '../language/ast.js';

/**
 * Condition leaves in words, with the value an account had: what `strata explain`, the
 * timeline and the dashboard say ("metric sessions_30d = 4, needs >= 10").
 */

const filterText = (f: EventFilter) =>
  `${f.event}${
    Object.keys(f.where).length > 0
      ? ` where ${Object.entries(f.where)
          .map(([k, v]) => `${k} = ${v}`)
          .join(', ')}`
      : ''
  }`;
const window = (days: number | null) => (days === null ? 'ever' : `in ${days}d`);
const moment = (m: Moment) => ('date' in m ? m.date : `${m.daysAgo}d ago`);
const shown = (value: string | null | undefined) => (value === null || value === undefined ? 'none' : value);

/** A leaf in words with its value: what it compares, what it needs. */
export function leafText(node: ConditionNode, value: string | null | undefined): string {
  const needs = (c: { op: string; value: unknown }) =>
    c.op === 'exists'
      ? c.value
        ? 'needs a value'
        : 'needs none'
      : `needs ${{ eq: '=', ne: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=', between: 'between', in: 'in', contains: 'contains' }[c.op] ?? c.op} ${Array.isArray(c.value) ? c.value.join(c.op === 'between' ? ' and ' : ', ') : String(c.value)}`;
  switch (node.kind) {
    case 'trait':
      return `trait ${node.trait} = ${shown(value)}, ${needs(node)}`;
    case 'metric':
      return `metric ${node.metric} = ${shown(value)}, ${needs(node)}`;
    case 'metricChange':
      return `${node.metric} ${node.direction === 'drop' ? 'fell' : 'rose'} by ${shown(value)} in ${node.withinDays}d, needs >= ${node.by}`;
    case 'performed':
      return `${filterText(node.filter)} ${shown(value)} times ${window(node.withinDays)}, needs ${node.atMost === null ? `>= ${node.atLeast}` : `${node.atLeast} to ${node.atMost}`}`;
    case 'seen':
      return `${node.which} ${filterText(node.filter)} at ${shown(value)}, needs ${[node.before ? `before ${moment(node.before)}` : '', node.after ? `after ${moment(node.after)}` : ''].filter(Boolean).join(' and ') || 'one'}`;
    case 'recent':
      return `${node.field} ${shown(value)}, needs within ${node.withinDays}d ${node.field === 'created_at' ? 'before' : 'after'} the as-of time`;
    case 'rank':
      return `percentile of ${node.metric} = ${shown(value)}, needs ${node.side} ${node.percent}%`;
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

/** A leaf value as text; numbers in one form on every engine (DuckDB prints 20.0, ClickHouse 20), to 12 significant digits. */
export function shownValue(raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  const text = String(raw);
  // 12 significant digits: a weighted score of 63.75 computed as 63.74999999999999 reads as 63.75.
  return /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text) ? String(Number(Number(text).toPrecision(12))) : text;
}
