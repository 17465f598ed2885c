import type { Dialect, SqlValue } from '../dialect/dialect.js';
import { TABLES } from '../model/tables.js';
import type { Comparison, ConditionNode, EventFilter, MetricNode, SegmentNode } from './ast.js';

/** What a workspace compiles from: named metrics and segments, already checked by src/workspace. */
export interface CompileInput {
  readonly metrics: Readonly<Record<string, MetricNode>>;
  readonly segments: readonly SegmentNode[];
  /** The instant the workspace is evaluated at: no row after it is seen. */
  readonly asOf: Date;
}

const ACCOUNT_COLUMNS = new Set(TABLES.accounts.columns.map((c) => c.name));
/** Account columns usable as numeric metrics without a declaration. */
export const NUMERIC_ACCOUNT_COLUMNS = TABLES.accounts.columns
  .filter((c) => c.type === 'integer' || c.type === 'double')
  .map((c) => c.name);

/** Column name of a metric and of a segment flag in the per-account relation. */
export const metricColumn = (name: string) => `metric:${name}`;
export const segmentColumn = (id: string) => `segment:${id}`;

/**
 * Compiles a workspace into ONE query with one row per account that exists at `asOf`:
 * its metric values and a boolean per segment. Events are scanned once, every event
 * metric and condition being a filtered aggregate of that one scan; the other tables
 * are scanned once each. Segment references are inlined (cycles are rejected earlier).
 */
export function compileWorkspace(dialect: Dialect, input: CompileInput): string {
  const q = dialect.quoteIdentifier;
  const lit = dialect.literal;
  const asOf = lit(input.asOf);
  const eventAggregates: string[] = [];
  /** Registers a filtered aggregate of the one events scan (deduplicated); returns its column name. */
  const eventAggregate = (sql: string) => {
    const existing = eventAggregates.indexOf(sql);
    return q(`e${existing >= 0 ? existing : eventAggregates.push(sql) - 1}`);
  };
  const eventColumn = (sql: string) => `ev.${eventAggregate(sql)}`;

  const matches = (filter: EventFilter, withinDays: number | null) => {
    const parts: string[] = [];
    if (filter.event !== 'any') parts.push(`event = ${lit(filter.event)}`);
    for (const [key, value] of Object.entries(filter.where)) {
      parts.push(
        typeof value === 'number'
          ? `${dialect.jsonNumber('properties', key)} = ${lit(value)}`
          : `${dialect.jsonText('properties', key)} = ${lit(String(value))}`,
      );
    }
    if (withinDays !== null) parts.push(`ts > ${dialect.minusDays(asOf, withinDays)}`);
    return parts.length > 0 ? parts.join(' AND ') : 'TRUE';
  };

  const traitText = (trait: string) =>
    ACCOUNT_COLUMNS.has(trait) ? `CAST(a.${q(trait)} AS VARCHAR)` : dialect.jsonText('a.traits', trait);
  const traitNumber = (trait: string) =>
    ACCOUNT_COLUMNS.has(trait) ? `CAST(a.${q(trait)} AS DOUBLE)` : dialect.jsonNumber('a.traits', trait);

  const metricSql = (node: MetricNode): string => {
    switch (node.kind) {
      case 'count':
        return `coalesce(${eventColumn(dialect.aggregateIf('count', '', matches(node.filter, node.withinDays)))}, 0)`;
      case 'recency':
        return dialect.wholeDaysBetween(
          eventColumn(dialect.aggregateIf('max', 'ts', matches(node.filter, null))),
          asOf,
        );
      case 'distinctEvents': {
        const seen = node.events.map(
          (event) =>
            `CASE WHEN coalesce(${eventColumn(dialect.aggregateIf('count', '', matches({ event, where: {} }, node.withinDays)))}, 0) > 0 THEN 1 ELSE 0 END`,
        );
        const total = `(${seen.join(' + ')})`;
        return node.ratio ? `(${total} / ${lit(node.events.length)}.0)` : total;
      }
      case 'aggregate': {
        const value = dialect.jsonNumber('properties', node.property);
        const aggregated = eventColumn(
          dialect.aggregateIf(node.fn, value, matches(node.filter, node.withinDays)),
        );
        return node.fn === 'sum' ? `coalesce(${aggregated}, 0)` : aggregated;
      }
      case 'trait':
        return traitNumber(node.trait);
      case 'builtin':
        switch (node.name) {
          case 'seats':
            return 'coalesce(us.seats, 0)';
          case 'tenure_days':
            return dialect.wholeDaysBetween('a.created_at', asOf);
          case 'days_to_renewal':
            return dialect.wholeDaysBetween(asOf, 'a.renewal_at');
          case 'tickets_open':
            return 'coalesce(tk.tickets_open, 0)';
          case 'nps_latest':
            return 'sv.nps_latest';
        }
    }
  };

  const metricRef = (name: string) => `m.${q(metricColumn(name))}`;

  const compare = (numeric: string, text: string, comparison: Comparison): string => {
    const { op, value } = comparison;
    const side = (v: string | number | boolean) => (typeof v === 'number' ? numeric : text);
    const val = (v: SqlValue) => lit(typeof v === 'boolean' ? String(v) : v);
    switch (op) {
      case 'eq':
        return `${side(value)} = ${val(value)}`;
      case 'ne':
        return `${side(value)} IS DISTINCT FROM ${val(value)}`;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        const sign = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[op];
        return `${side(value)} ${sign} ${val(value)}`;
      }
      case 'between':
        return `${numeric} BETWEEN ${lit(value[0])} AND ${lit(value[1])}`;
      case 'in':
        return `${side(value[0] ?? '')} IN (${value.map(val).join(', ')})`;
      case 'exists':
        return value ? `${text} IS NOT NULL` : `${text} IS NULL`;
      case 'contains':
        return `contains(lower(${text}), lower(${lit(value)}))`;
    }
  };

  const byId = new Map(input.segments.map((s) => [s.id, s]));
  const conditionSql = (node: ConditionNode): string => {
    switch (node.kind) {
      case 'trait':
        return `coalesce(${compare(`m.${q(`trait:${node.trait}`)}`, `m.${q(`text:${node.trait}`)}`, node)}, FALSE)`;
      case 'metric': {
        const ref = metricRef(node.metric);
        return `coalesce(${compare(ref, `CAST(${ref} AS VARCHAR)`, node)}, FALSE)`;
      }
      case 'performed': {
        const n = `coalesce(m.${eventAggregate(dialect.aggregateIf('count', '', matches(node.filter, node.withinDays)))}, 0)`;
        return node.atMost === null
          ? `${n} >= ${lit(node.atLeast)}`
          : `${n} BETWEEN ${lit(node.atLeast)} AND ${lit(node.atMost)}`;
      }
      case 'segment':
        return segmentSql(node.segment);
      case 'all':
        return `(${node.conditions.map(conditionSql).join(' AND ')})`;
      case 'any':
        return `(${node.conditions.map(conditionSql).join(' OR ')})`;
      case 'not':
        return `(NOT ${conditionSql(node.condition)})`;
    }
  };
  const segmentSql = (id: string): string => {
    const segment = byId.get(id);
    if (!segment) throw new Error(`unresolved segment ${id}`);
    const own = conditionSql(segment.where);
    return segment.parent ? `(${segmentSql(segment.parent)} AND ${own})` : `(${own})`;
  };

  // Compile segments first: they register the event aggregates and traits they need.
  const traitsUsed = new Set<string>();
  const collectTraits = (node: ConditionNode): void => {
    if (node.kind === 'trait') traitsUsed.add(node.trait);
    if (node.kind === 'all' || node.kind === 'any') node.conditions.forEach(collectTraits);
    if (node.kind === 'not') collectTraits(node.condition);
  };
  for (const segment of input.segments) collectTraits(segment.where);
  const segmentColumns = input.segments.map((s) => `${segmentSql(s.id)} AS ${q(segmentColumn(s.id))}`);
  const metricColumns = Object.entries(input.metrics).map(
    ([name, node]) => `${metricSql(node)} AS ${q(metricColumn(name))}`,
  );
  const traitColumns = [...traitsUsed].flatMap((t) => [
    `${traitNumber(t)} AS ${q(`trait:${t}`)}`,
    `${traitText(t)} AS ${q(`text:${t}`)}`,
  ]);
  // Performed-conditions read their event counts through the middle layer.
  const countColumns = eventAggregates.map((_, i) => `ev.${q(`e${i}`)}`);

  const events = `SELECT account_id${eventAggregates.map((sql, i) => `, ${sql} AS ${q(`e${i}`)}`).join('')}
    FROM events WHERE ts <= ${asOf} GROUP BY account_id`;
  const users = `SELECT account_id, count(*) AS seats FROM users WHERE created_at IS NULL OR created_at <= ${asOf} GROUP BY account_id`;
  const tickets = `SELECT account_id, ${dialect.aggregateIf('count', '', `resolved_at IS NULL OR resolved_at > ${asOf}`)} AS tickets_open
    FROM tickets WHERE created_at <= ${asOf} GROUP BY account_id`;
  const surveys = `SELECT account_id, arg_max(nps, ts) AS nps_latest FROM surveys WHERE ts <= ${asOf} GROUP BY account_id`;
  const middle = `SELECT a.account_id, ${[...metricColumns, ...traitColumns, ...countColumns].join(',\n    ') || 'NULL AS "none"'}
    FROM accounts a
    LEFT JOIN (${events}) ev ON ev.account_id = a.account_id
    LEFT JOIN (${users}) us ON us.account_id = a.account_id
    LEFT JOIN (${tickets}) tk ON tk.account_id = a.account_id
    LEFT JOIN (${surveys}) sv ON sv.account_id = a.account_id
    WHERE a.created_at <= ${asOf}`;
  const outer = [
    'm.account_id',
    ...Object.keys(input.metrics).map((name) => `m.${q(metricColumn(name))}`),
    ...segmentColumns,
  ];
  return `SELECT ${outer.join(',\n  ')}\nFROM (${middle}) m`;
}
