import type { Dialect, SqlValue } from '../dialect/dialect.js';
import type { Comparison, ConditionNode, MetricNode, ScoredFeatures, SegmentNode } from '../language/ast.js';
import { conditionPaths, isBranch } from '../language/condition-paths.js';
import { isTextMetric } from '../language/value-types.js';
import { ownValue } from '../own-key.js';
import { MetricCompiler } from './metric-sql.js';
import { clusterSql, modelSql } from './model-sql.js';
import { cellSql, fmSql, NEVER_ACTIVE, payingSql, quintileSql } from './rfm-sql.js';
import { ScanRegistry } from './scan-registry.js';

/** What a workspace compiles from: named metrics and segments, already checked by src/workspace. */
export interface CompileInput {
  readonly metrics: Readonly<Record<string, MetricNode>>;
  readonly segments: readonly SegmentNode[];
  /** The instant the workspace is evaluated at: no row after it is seen. */
  readonly asOf: Date;
  /** Metrics given a column of the output (default every one); conditions may use others. */
  readonly metricOutputs?: readonly string[];
  /**
   * Also output condition nodes of every segment (`explainColumn`: holds or not) and each
   * leaf's value (`explainValueColumn`), from the same expressions the segment flags use:
   * every node with values as text for `strata explain` ('nodes'), the leaves with their
   * values as computed for a run's audit trail ('leaves': what changed when an account
   * entered or left).
   */
  readonly explain?: 'nodes' | 'leaves';
}

/** Column name of a metric and of a segment flag in the compiled relation. */
export const metricColumn = (name: string) => `metric:${name}`;
export const segmentColumn = (id: string) => `segment:${id}`;
/** Columns of an explained condition node (`path` as in strata.yaml: where.any[1]): whether it holds, and a leaf's value. */
export const explainColumn = (id: string, path: string) => `explain:${id}:${path}`;
export const explainValueColumn = (id: string, path: string) => `explain-value:${id}:${path}`;

/** Whether a leaf has a value column (`explainValueColumn`): every kind but segment membership. */
export const leafHasValue = (node: ConditionNode) => !isBranch(node) && node.kind !== 'segment';

/**
 * Compiles a workspace into ONE query with one row per account that exists at `asOf`:
 * its metric values and a boolean per segment. Each table is scanned once, every metric
 * and condition being a filtered aggregate of that scan; percentile ranks are one window
 * layer over the result; segment references and parents are inlined (cycles were
 * rejected when the workspace was loaded).
 */
export function compileWorkspace(dialect: Dialect, input: CompileInput): string {
  const layers = compileLayers(dialect, input);
  if (layers.needsTable) {
    throw new Error(`${dialect.name} ranks need the base layer in a table: use compileLayers`);
  }
  return layers.finish(`(${layers.base})`);
}

/**
 * The compiled workspace in two layers: `base` (one row per account, one column per
 * aggregate-derived value) and `finish(relation)`, which adds the percentile ranks of
 * base columns and names the outputs. A dialect without window functions needs the base
 * in a table first (`rankNeedsTable`).
 */
export interface CompiledLayers {
  readonly base: string;
  readonly ranks: readonly { readonly column: string; readonly alias: string }[];
  /** The dialect needs the base layer in a table before `finish` (ranks or positions without window functions). */
  readonly needsTable: boolean;
  finish(relation: string): string;
}

export function compileLayers(dialect: Dialect, input: CompileInput): CompiledLayers {
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
  /** Base columns ranked (by name); rank i is column `p<i>` of the rank layer. */
  const rankColumns: string[] = [];
  const rank = (baseRef: string) => {
    const column = baseColumnName(baseRef);
    const index = rankColumns.indexOf(column);
    return `r.${q(`p${index >= 0 ? index : rankColumns.push(column) - 1}`)}`;
  };
  /**
   * Columns computed from base columns (saved models and clusters over their features), in
   * a layer wrapped around the base one; they are ranked and compared like base columns.
   */
  const derivedColumns: string[] = [];
  const derived = (sql: string) => {
    const index = derivedColumns.indexOf(sql);
    return `r.${q(`d${index >= 0 ? index : derivedColumns.push(sql) - 1}`)}`;
  };
  const baseColumnName = (ref: string) => {
    const index = baseColumns.findIndex((_, i) => ref === `r.${q(`b${i}`)}`);
    if (index >= 0) return `b${index}`;
    const derivedIndex = derivedColumns.findIndex((_, i) => ref === `r.${q(`d${i}`)}`);
    if (derivedIndex < 0) throw new Error(`not a base column: ${ref}`);
    return `d${derivedIndex}`;
  };
  /** A saved model's features as base columns (doubles), named as the derived layer sees them. */
  const featureColumns = (scorer: ScoredFeatures) => {
    // The features are compiled from the definitions saved with the model, on the same scans.
    const own = new MetricCompiler(dialect, scans, asOf, scorer.metrics);
    return scorer.features.map((feature) =>
      q(baseColumnName(base(dialect.toDouble(own.expression(feature))))),
    );
  };
  /**
   * Base columns positioned (rank positions within a pool, for RFM); position i is `q<i>`,
   * with the pool's row count in `q<i>_count`.
   */
  const positionColumns: { column: string; pool: string }[] = [];
  const position = (baseRef: string, poolRef: string) => {
    const column = baseColumnName(baseRef);
    const pool = baseColumnName(poolRef);
    const index = positionColumns.findIndex((p) => p.column === column && p.pool === pool);
    const i = index >= 0 ? index : positionColumns.push({ column, pool }) - 1;
    return quintileSql(`r.${q(`q${i}`)}`, `r.${q(`q${i}_count`)}`);
  };
  /** An RFM metric: quintiles of its inputs' rank positions among paying accounts, combined as configured. */
  const rfmRef = (node: Extract<MetricNode, { kind: 'rfm' }>): string => {
    const key = (name: string, missing: number, sign = '') =>
      base(`${sign}coalesce(${dialect.toDouble(metrics.expression(name))}, ${lit(missing)})`);
    const paying = base(payingSql(metrics.expression(node.monetary)));
    // Recency ranks the least recent first (never active the least of all), as F and M rank the lowest first.
    const r = position(key(node.recency, NEVER_ACTIVE, '-'), paying);
    const f = position(key(node.frequency, 0), paying);
    const m = position(key(node.monetary, 0), paying);
    const fm = `CASE WHEN ${paying} = 0 THEN NULL ELSE ${fmSql(f, m)} END`;
    switch (node.part) {
      case 'r':
        return r;
      case 'f':
        return f;
      case 'm':
        return m;
      case 'fm':
        return fm;
      case 'cell':
        return cellSql(node.cells, { r, f, m, fm, paying }, lit);
    }
  };
  /** A metric's column in the final layer (percentiles and RFM scores come from the window layers). */
  const metricRef = (name: string): string => {
    const node = ownValue(input.metrics, name);
    if (node?.kind === 'rfm') return rfmRef(node);
    if (node?.kind === 'model') return derived(modelSql(dialect, node.scorer, featureColumns(node.scorer)));
    if (node?.kind === 'cluster')
      return derived(clusterSql(dialect, node.scorer, featureColumns(node.scorer)));
    if (node?.kind !== 'percentile') return base(metrics.expression(name));
    // The percentile of a percentile is the same ranks: rank once.
    const inner = ownValue(input.metrics, node.metric);
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
        return dialect.distinctFrom(side(value), val(value));
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

  /** How much a metric fell (drop) or rose over the window. */
  const change = (node: Extract<ConditionNode, { kind: 'metricChange' }>) => {
    const now = base(metrics.expression(node.metric));
    const before = base(metrics.expression(node.metric, node.withinDays));
    return node.direction === 'drop' ? `(${before} - ${now})` : `(${now} - ${before})`;
  };
  const performedCount = (node: Extract<ConditionNode, { kind: 'performed' }>) =>
    `coalesce(${base(metrics.eventAggregate('count', '', node.filter, node.withinDays))}, 0)`;
  const seenAt = (node: Extract<ConditionNode, { kind: 'seen' }>) =>
    base(metrics.eventAggregate(node.which === 'first' ? 'min' : 'max', 'ts', node.filter, null));
  /** The percentile rank (0-100) a rank condition compares. */
  const rankOf = (node: Extract<ConditionNode, { kind: 'rank' }>) => {
    // Ranking a percentile metric again gives the same ranks: use it as it is.
    const kind = ownValue(input.metrics, node.metric)?.kind;
    if (kind === 'percentile') return metricRef(node.metric);
    return rank(
      kind === 'model' || kind === 'cluster' ? metricRef(node.metric) : base(metrics.expression(node.metric)),
    );
  };
  /**
   * The value a leaf compares (NULL when unknown; none for references and branches): as
   * text for `strata explain`, or for a run's leaves numbers as computed, which the audit
   * trail turns into text only for the few accounts that changed (casting every account's
   * values would cost a run at a million accounts about a second).
   */
  const leafValue = (node: ConditionNode, asText: boolean): string | null => {
    const text = (sql: string) => (asText ? dialect.castText(sql) : sql);
    // Times as ISO text either way: few leaves read them, and one form reads back on every engine.
    const time = (sql: string) => dialect.isoTimestamp(sql);
    switch (node.kind) {
      case 'trait':
        return base(metrics.trait(node.trait, 0, 'text'));
      case 'metric':
        return text(metricRef(node.metric));
      case 'metricChange':
        return text(change(node));
      case 'performed':
        return text(performedCount(node));
      case 'seen':
        return time(seenAt(node));
      case 'recent':
        return time(base(node.field));
      case 'rank':
        return text(rankOf(node));
      default:
        return null;
    }
  };

  const byId = new Map(input.segments.map((s) => [s.id, s]));
  // Every leaf is TRUE or FALSE, never NULL: an unknown value fails its comparison, so
  // `not` of it holds (NOT NULL would be NULL and silently drop the account).
  const condition = (node: ConditionNode): string => {
    const sql = conditionSql(node);
    return node.kind === 'all' || node.kind === 'any' || node.kind === 'not' || node.kind === 'segment'
      ? sql
      : `coalesce(${sql}, ${lit(false)})`;
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
        const text = isTextMetric(node.metric, input.metrics);
        return compare(text ? null : ref, dialect.castText(ref), node);
      }
      case 'metricChange':
        return `${change(node)} >= ${lit(node.by)}`;
      case 'performed': {
        const count = performedCount(node);
        return node.atMost === null
          ? `${count} >= ${lit(node.atLeast)}`
          : `${count} BETWEEN ${lit(node.atLeast)} AND ${lit(node.atMost)}`;
      }
      case 'seen': {
        const seen = seenAt(node);
        const parts = [`${seen} IS NOT NULL`];
        if (node.before) parts.push(`${seen} < ${metrics.moment(node.before)}`);
        if (node.after) parts.push(`${seen} >= ${metrics.moment(node.after)}`);
        return `(${parts.join(' AND ')})`;
      }
      case 'recent':
        return node.field === 'created_at'
          ? `${base('created_at')} > ${dialect.minusDays(asOf, node.withinDays)}`
          : `(${base('renewal_at')} >= ${asOf} AND ${base('renewal_at')} <= ${dialect.minusDays(asOf, -node.withinDays)})`;
      case 'rank': {
        const pct = rankOf(node);
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
    const own = `coalesce(${condition(found.where)}, ${lit(false)})`;
    return found.parent ? `(${segment(found.parent)} AND ${own})` : own;
  };

  const outputNames = new Set(input.metricOutputs ?? Object.keys(input.metrics));
  const outputs = [
    ...[...outputNames].map((name) => `${metricRef(name)} AS ${q(metricColumn(name))}`),
    ...input.segments.map((s) => `${segment(s.id)} AS ${q(segmentColumn(s.id))}`),
    ...(input.explain
      ? input.segments.flatMap((s) =>
          conditionPaths(s.where).flatMap(({ node, path }) => {
            const leaves = input.explain === 'leaves';
            if (leaves && isBranch(node)) return [];
            // The metric column has an output metric's value; a segment's flag says whether
            // its whole condition holds when it has no parent.
            const kept = leaves && node.kind === 'metric' && outputNames.has(node.metric);
            const value = kept ? null : leafValue(node, !leaves);
            const flagged = leaves && path === 'where' && !s.parent;
            return [
              ...(flagged ? [] : [`${condition(node)} AS ${q(explainColumn(s.id, path))}`]),
              ...(value ? [`${value} AS ${q(explainValueColumn(s.id, path))}`] : []),
            ];
          }),
        )
      : []),
  ];
  // Account columns are referenced by bare name and scan columns have unique names, so
  // the dialect may nest the joins (ClickHouse 18.16 allows one JOIN per SELECT).
  const innerLayer = `SELECT account_id${baseColumns.map((sql, i) => `,\n      ${sql} AS ${q(`b${i}`)}`).join('')}
    FROM ${dialect.joinOnAccount([`${q('accounts')}`, ...scans.relations()])}
    WHERE created_at <= ${asOf}`;
  const baseLayer =
    derivedColumns.length === 0
      ? innerLayer
      : `SELECT *${derivedColumns.map((sql, i) => `,\n      ${sql} AS ${q(`d${i}`)}`).join('')}
    FROM (${innerLayer}) features`;
  const ranks = rankColumns.map((column, i) => ({ column, alias: `p${i}` }));
  const positions = positionColumns.map(({ column, pool }, i) => ({ column, alias: `q${i}`, pool }));
  return {
    base: baseLayer,
    ranks,
    needsTable: dialect.rankNeedsTable && (ranks.length > 0 || positions.length > 0),
    finish: (relation: string) => {
      let layer = ranks.length > 0 ? dialect.rankLayer(relation, ranks) : `SELECT * FROM ${relation}`;
      if (positions.length > 0) layer = dialect.positionLayer(relation, positions, layer);
      return `SELECT r.account_id${outputs.map((o) => `,\n  ${o}`).join('')}\nFROM (${layer}) r`;
    },
  };
}
