import type { Dialect, SqlValue } from '../dialect/dialect.js';
import { TABLES } from '../model/tables.js';
import type { Comparison, ConditionNode, MetricNode, SegmentNode } from './ast.js';
import { MetricCompiler } from './metric-sql.js';
import { ScanRegistry } from './scan-registry.js';

/** What a workspace compiles from: named metrics and segments, already checked by src/workspace. */
export interface CompileInput {
  readonly metrics: Readonly<Record<string, MetricNode>>;
  readonly segments: readonly SegmentNode[];
  /** The instant the workspace is evaluated at: no row after it is seen. */
  readonly asOf: Date;
}

/** Account columns usable as numeric metrics without a declaration. */
export const NUMERIC_ACCOUNT_COLUMNS = TABLES.accounts.columns
  .filter((c) => c.type === 'integer' || c.type === 'double')
  .map((c) => c.name);

/** Column name of a metric and of a segment flag in the compiled relation. */
export const metricColumn = (name: string) => `metric:${name}`;
export const segmentColumn = (id: string) => `segment:${id}`;

/**
 * Compiles a workspace into ONE query with one row per account that exists at `asOf`:
 * its metric values and a boolean per segment. Each table is scanned once, every metric
 * and condition being a filtered aggregate of that scan; percentile ranks are one window
 * layer over the result; segment references and parents are inlined (cycles were
 * rejected when the workspace was loaded).
 */
export function compileWorkspace(dialect: Dialect, input: CompileInput): string {
  const q = dialect.quoteIdentifier;
  const lit = dialect.literal;
  const asOf = lit(input.asOf);
  const scans = new ScanRegistry(dialect, asOf);
  const metrics = new MetricCompiler(dialect, scans, asOf, input.metrics);

  const baseColumns: string[] = [];
  const base = (sql: string) => {
    const index = baseColumns.indexOf(sql);
    return `r.${q(`b${index >= 0 ? index : baseColumns.push(sql) - 1}`)}`;
  };
  const rankColumns: string[] = [];
  const rank = (baseRef: string) => {
    const sql = dialect.percentRank(baseRef.replace(/^r\./, 'b.'));
    const index = rankColumns.indexOf(sql);
    return `r.${q(`p${index >= 0 ? index : rankColumns.push(sql) - 1}`)}`;
  };
  /** A metric's column in the final layer (percentiles come from the window layer). */
  const metricRef = (name: string): string => {
    const node = input.metrics[name];
    if (node?.kind !== 'percentile') return base(metrics.expression(name));
    // The percentile of a percentile is the same ranks: rank once.
    const inner = input.metrics[node.metric];
    return inner?.kind === 'percentile' ? metricRef(node.metric) : rank(metricRef(node.metric));
  };

  /** `numeric` is null for a value that is only text (nps_category): numbers then compare as text. */
  const compare = (numeric: string | null, text: string, comparison: Comparison): string => {
    const { op, value } = comparison;
    const side = (v: string | number | boolean) =>
      typeof v === 'number' && numeric !== null ? numeric : text;
    const val = (v: SqlValue) => lit(typeof v === 'boolean' || numeric === null ? String(v) : v);
    switch (op) {
      case 'eq':
        return `${side(value)} = ${val(value)}`;
      case 'ne':
        return `${side(value)} IS DISTINCT FROM ${val(value)}`;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        return `${side(value)} ${{ gt: '>', gte: '>=', lt: '<', lte: '<=' }[op]} ${val(value)}`;
      case 'between':
        return `${numeric} BETWEEN ${lit(value[0])} AND ${lit(value[1])}`;
      case 'in':
        // Each element compares on its own side, so [5, growth] mixes a number and a text.
        return `(${value.map((v) => `${side(v)} = ${val(v)}`).join(' OR ')})`;
      case 'exists':
        return value ? `${text} IS NOT NULL` : `${text} IS NULL`;
      case 'contains':
        return dialect.containsText(text, lit(value));
    }
  };

  const byId = new Map(input.segments.map((s) => [s.id, s]));
  // Every leaf is TRUE or FALSE, never NULL: an unknown value fails its comparison, so
  // `not` of it holds (NOT NULL would be NULL and silently drop the account).
  const condition = (node: ConditionNode): string => {
    const sql = conditionSql(node);
    return node.kind === 'all' || node.kind === 'any' || node.kind === 'not' || node.kind === 'segment'
      ? sql
      : `coalesce(${sql}, FALSE)`;
  };
  const conditionSql = (node: ConditionNode): string => {
    switch (node.kind) {
      case 'trait':
        return compare(
          base(metrics.trait(node.trait, 0, 'number')),
          base(metrics.trait(node.trait, 0, 'text')),
          node,
        );
      case 'metric': {
        const ref = metricRef(node.metric);
        const text = MetricCompiler.isText(node.metric, input.metrics);
        return compare(text ? null : ref, `CAST(${ref} AS VARCHAR)`, node);
      }
      case 'metricChange': {
        const now = base(metrics.expression(node.metric));
        const before = base(metrics.expression(node.metric, node.withinDays));
        return node.direction === 'drop'
          ? `${before} - ${now} >= ${lit(node.by)}`
          : `${now} - ${before} >= ${lit(node.by)}`;
      }
      case 'performed': {
        const count = `coalesce(${base(metrics.eventAggregate('count', '', node.filter, node.withinDays))}, 0)`;
        return node.atMost === null
          ? `${count} >= ${lit(node.atLeast)}`
          : `${count} BETWEEN ${lit(node.atLeast)} AND ${lit(node.atMost)}`;
      }
      case 'seen': {
        const fn = node.which === 'first' ? 'min' : 'max';
        const seen = base(metrics.eventAggregate(fn, 'ts', node.filter, null));
        const parts = [`${seen} IS NOT NULL`];
        if (node.before) parts.push(`${seen} < ${metrics.moment(node.before)}`);
        if (node.after) parts.push(`${seen} >= ${metrics.moment(node.after)}`);
        return `(${parts.join(' AND ')})`;
      }
      case 'recent':
        return node.field === 'created_at'
          ? `${base('a.created_at')} > ${dialect.minusDays(asOf, node.withinDays)}`
          : `(${base('a.renewal_at')} >= ${asOf} AND ${base('a.renewal_at')} <= ${dialect.minusDays(asOf, -node.withinDays)})`;
      case 'rank': {
        // Ranking a percentile metric again gives the same ranks: use it as it is.
        const ranked = input.metrics[node.metric]?.kind === 'percentile';
        const pct = ranked ? metricRef(node.metric) : rank(base(metrics.expression(node.metric)));
        return node.side === 'top'
          ? `${pct} >= ${lit(100 - node.percent)}`
          : `${pct} <= ${lit(node.percent)}`;
      }
      case 'segment':
        return segment(node.segment);
      case 'all':
        return `(${node.conditions.map(condition).join(' AND ')})`;
      case 'any':
        return `(${node.conditions.map(condition).join(' OR ')})`;
      case 'not':
        return `(NOT ${condition(node.condition)})`;
    }
  };
  // NULL (unknown) counts as "not a member": every segment is a definite TRUE or FALSE.
  const segment = (id: string): string => {
    const found = byId.get(id);
    if (!found) throw new Error(`unresolved segment ${id}`);
    const own = `coalesce(${condition(found.where)}, FALSE)`;
    return found.parent ? `(${segment(found.parent)} AND ${own})` : own;
  };

  const outputs = [
    ...Object.keys(input.metrics).map((name) => `${metricRef(name)} AS ${q(metricColumn(name))}`),
    ...input.segments.map((s) => `${segment(s.id)} AS ${q(segmentColumn(s.id))}`),
  ];
  const baseLayer = `SELECT a.account_id${baseColumns.map((sql, i) => `,\n      ${sql} AS ${q(`b${i}`)}`).join('')}
    FROM accounts a
    ${scans.joins()}
    WHERE a.created_at <= ${asOf}`;
  const rankLayer = `SELECT b.*${rankColumns.map((sql, i) => `, ${sql} AS ${q(`p${i}`)}`).join('')} FROM (${baseLayer}) b`;
  return `SELECT r.account_id${outputs.map((o) => `,\n  ${o}`).join('')}\nFROM (${rankLayer}) r`;
}
