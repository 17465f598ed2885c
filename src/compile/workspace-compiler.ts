import type { Dialect, SqlValue } from '../dialect/dialect.js';
import type { Comparison, ConditionNode, MetricNode, ScoredFeatures, SegmentNode } from '../language/ast.js';
import { isTextMetric } from '../language/value-types.js';
import { ownValue } from '../own-key.js';
import { ColumnLayers } from './column-layers.js';
import { canonicalJson, metricKey } from './metric-key.js';
import { MetricCompiler } from './metric-sql.js';
import { clusterSql, modelSql } from './model-sql.js';
import { cellSql, fmSql, NEVER_ACTIVE, payingSql, quintileSql } from './rfm-sql.js';
import { type AccountRows, ScanRegistry } from './scan-registry.js';

type Rfm = Extract<MetricNode, { kind: 'rfm' }>;
type Leaf<K extends ConditionNode['kind']> = Extract<ConditionNode, { kind: K }>;

const ORDER = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/**
 * Metrics and conditions of one workspace as SQL text over the compiled layers' columns
 * (the text stays inside src/compile; compile-workspace.ts hands out fragments). Each
 * aggregate becomes a base column keyed by what it computes, so a metric used by several
 * segments is computed once.
 */
export class WorkspaceCompiler {
  readonly asOf: string;
  readonly scans: ScanRegistry;
  readonly columns: ColumnLayers;
  private readonly metrics: MetricCompiler;
  private readonly keys = new Map<string, string>();
  private readonly byId: ReadonlyMap<string, SegmentNode>;

  constructor(
    private readonly dialect: Dialect,
    private readonly input: {
      readonly metrics: Readonly<Record<string, MetricNode>>;
      readonly segments: readonly SegmentNode[];
      readonly asOf: Date;
      readonly rows: AccountRows;
    },
  ) {
    this.asOf = dialect.literal(input.asOf);
    this.scans = new ScanRegistry(dialect, this.asOf, input.rows);
    this.metrics = new MetricCompiler(dialect, this.scans, this.asOf, input.metrics);
    this.columns = new ColumnLayers(dialect);
    this.byId = new Map(input.segments.map((s) => [s.id, s]));
  }

  /** A workspace metric's structural key (cached: a saved model's is large). */
  private key(name: string): string {
    let key = this.keys.get(name);
    if (key === undefined) {
      key = metricKey(this.input.metrics, name);
      this.keys.set(name, key);
    }
    return key;
  }

  /** Metric `name` (`shift` days back) as a base column. */
  private value(name: string, shift = 0): string {
    const node = ownValue(this.input.metrics, name);
    // A trait metric is the trait itself, as a trait condition reads it.
    if (node?.kind === 'trait') return this.trait(node.trait, 'number', shift);
    return this.columns.baseColumn(`metric:${shift}:${this.key(name)}`, () =>
      this.metrics.expression(name, shift),
    );
  }

  private trait(trait: string, as: 'number' | 'text', shift = 0): string {
    return this.columns.baseColumn(`trait:${as}:${shift}:${JSON.stringify(trait)}`, () =>
      this.metrics.trait(trait, shift, as),
    );
  }

  /** A saved model's features as base columns (doubles), named as the derived layer sees them. */
  private featureColumns(scorer: ScoredFeatures): string[] {
    // The features are compiled from the definitions saved with the model, on the same scans.
    const own = new MetricCompiler(this.dialect, this.scans, this.asOf, scorer.metrics);
    return scorer.features.map((feature) =>
      this.columns.quotedName(
        this.columns.baseColumn(`double:${metricKey(scorer.metrics, feature)}`, () =>
          this.dialect.toDouble(own.expression(feature)),
        ),
      ),
    );
  }

  /** An RFM metric: quintiles of its inputs' rank positions among paying accounts, combined as configured. */
  private rfmRef(node: Rfm): string {
    const d = this.dialect;
    const input = (name: string, missing: number, sign = '') =>
      this.columns.baseColumn(
        `rfm:${sign}:${missing}:${this.key(name)}`,
        () => `${sign}coalesce(${d.toDouble(this.metrics.expression(name))}, ${d.literal(missing)})`,
      );
    const paying = this.columns.baseColumn(`paying:${this.key(node.monetary)}`, () =>
      payingSql(this.metrics.expression(node.monetary)),
    );
    const quintile = (ref: string) => {
      const { position, count } = this.columns.position(ref, paying);
      return quintileSql(position, count);
    };
    // Recency ranks the least recent first (never active the least of all), as F and M rank the lowest first.
    const r = quintile(input(node.recency, NEVER_ACTIVE, '-'));
    const f = quintile(input(node.frequency, 0));
    const m = quintile(input(node.monetary, 0));
    const fm = `CASE WHEN ${paying} = 0 THEN NULL ELSE ${fmSql(f, m)} END`;
    if (node.part === 'cell') return cellSql(node.cells, { r, f, m, fm, paying }, d.literal);
    return { r, f, m, fm }[node.part];
  }

  /** A metric's column in the final layer (percentiles and RFM scores come from the window layers). */
  metricRef(name: string): string {
    const node = ownValue(this.input.metrics, name);
    if (node?.kind === 'rfm') return this.rfmRef(node);
    if (node?.kind === 'model') {
      const scorer = node.scorer;
      const key = this.key(name);
      return this.columns.derivedColumn(key, () =>
        modelSql(this.dialect, scorer, this.featureColumns(scorer), (tree, sql) =>
          this.columns.stagedColumn(`${key}:tree:${tree}`, () => sql),
        ),
      );
    }
    if (node?.kind === 'cluster') {
      const scorer = node.scorer;
      return this.columns.derivedColumn(this.key(name), () =>
        clusterSql(this.dialect, scorer, this.featureColumns(scorer)),
      );
    }
    if (node?.kind === 'rollup') return this.columns.rollup(this.metricRef(node.metric), node.using);
    if (node?.kind !== 'percentile') return this.value(name);
    // The percentile of a percentile is the same ranks: rank once.
    const inner = ownValue(this.input.metrics, node.metric);
    return inner?.kind === 'percentile'
      ? this.metricRef(node.metric)
      : this.columns.rank(this.metricRef(node.metric));
  }

  /** `numeric` is null for a value that is only text (nps_category): numbers then compare as text. */
  private compare(numeric: string | null, text: string, comparison: Comparison): string {
    const { op, value } = comparison;
    const lit = this.dialect.literal;
    const side = (v: string | number | boolean) =>
      typeof v === 'number' && numeric !== null ? numeric : text;
    const val = (v: SqlValue) => lit(typeof v === 'boolean' || numeric === null ? String(v) : v);
    switch (op) {
      case 'eq':
        return `${side(value)} = ${val(value)}`;
      case 'ne':
        return this.dialect.distinctFrom(side(value), val(value));
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        return `${side(value)} ${ORDER[op]} ${val(value)}`;
      case 'between':
        return `${numeric} BETWEEN ${lit(value[0])} AND ${lit(value[1])}`;
      case 'in':
        // Each element compares on its own side, so [5, growth] mixes a number and a text.
        return `(${value.map((v) => `${side(v)} = ${val(v)}`).join(' OR ')})`;
      case 'exists':
        return value ? `${text} IS NOT NULL` : `${text} IS NULL`;
      case 'contains':
        return this.dialect.containsText(text, lit(value));
    }
  }

  /** How much a metric fell (drop) or rose over the window. */
  private change(node: Leaf<'metricChange'>): string {
    const now = this.value(node.metric);
    const before = this.value(node.metric, node.withinDays);
    return node.direction === 'drop' ? `(${before} - ${now})` : `(${now} - ${before})`;
  }

  /** An aggregate of the events scan as a base column, keyed by what it aggregates. */
  private events(
    fn: 'count' | 'min' | 'max',
    value: string,
    filter: Leaf<'performed'>['filter'],
    days: number | null,
  ) {
    return this.columns.baseColumn(`events:${fn}:${value}:${days}:${canonicalJson(filter)}`, () =>
      this.metrics.eventAggregate(fn, value, filter, days),
    );
  }

  private performedCount(node: Leaf<'performed'>): string {
    return `coalesce(${this.events('count', '', node.filter, node.withinDays)}, 0)`;
  }

  private seenAt(node: Leaf<'seen'>): string {
    return this.events(node.which === 'first' ? 'min' : 'max', 'ts', node.filter, null);
  }

  /** An account column as a base column. */
  private field(name: 'created_at' | 'renewal_at'): string {
    return this.columns.baseColumn(`field:${name}`, () => name);
  }

  /** The percentile rank (0-100) a rank condition compares. */
  private rankOf(node: Leaf<'rank'>): string {
    // Ranking a percentile metric again gives the same ranks: use it as it is.
    const kind = ownValue(this.input.metrics, node.metric)?.kind;
    if (kind === 'percentile') return this.metricRef(node.metric);
    return this.columns.rank(
      kind === 'model' || kind === 'cluster' ? this.metricRef(node.metric) : this.value(node.metric),
    );
  }

  /**
   * The value a leaf compares (NULL when unknown; none for references and branches): as
   * text for `strata explain`, or for a run's leaves numbers as computed, which the audit
   * trail turns into text only for the few accounts that changed (casting every account's
   * values would cost a run at a million accounts about a second).
   */
  leafValue(node: ConditionNode, asText: boolean): string | null {
    const text = (sql: string) => (asText ? this.dialect.castText(sql) : sql);
    // Times as ISO text either way: few leaves read them, and one form reads back on every engine.
    const time = (sql: string) => this.dialect.isoTimestamp(sql);
    switch (node.kind) {
      case 'trait':
        return this.trait(node.trait, 'text');
      case 'metric':
        return text(this.metricRef(node.metric));
      case 'metricChange':
        return text(this.change(node));
      case 'performed':
        return text(this.performedCount(node));
      case 'seen':
        return time(this.seenAt(node));
      case 'recent':
        return time(this.field(node.field));
      case 'rank':
        return text(this.rankOf(node));
      default:
        return null;
    }
  }

  // Every leaf is TRUE or FALSE, never NULL: an unknown value fails its comparison, so
  // `not` of it holds (NOT NULL would be NULL and silently drop the account).
  condition(node: ConditionNode): string {
    const sql = this.conditionSql(node);
    return node.kind === 'all' || node.kind === 'any' || node.kind === 'not' || node.kind === 'segment'
      ? sql
      : `coalesce(${sql}, ${this.dialect.literal(false)})`;
  }

  private conditionSql(node: ConditionNode): string {
    const lit = this.dialect.literal;
    switch (node.kind) {
      case 'trait':
        return this.compare(this.trait(node.trait, 'number'), this.trait(node.trait, 'text'), node);
      case 'metric': {
        const ref = this.metricRef(node.metric);
        const text = isTextMetric(node.metric, this.input.metrics);
        return this.compare(text ? null : ref, this.dialect.castText(ref), node);
      }
      case 'metricChange':
        return `${this.change(node)} >= ${lit(node.by)}`;
      case 'performed': {
        const count = this.performedCount(node);
        return node.atMost === null
          ? `${count} >= ${lit(node.atLeast)}`
          : `${count} BETWEEN ${lit(node.atLeast)} AND ${lit(node.atMost)}`;
      }
      case 'seen':
        return this.seenSql(node);
      case 'recent':
        return this.recentSql(node);
      case 'rank': {
        const pct = this.rankOf(node);
        return node.side === 'top'
          ? `${pct} >= ${lit(100 - node.percent)}`
          : `${pct} <= ${lit(node.percent)}`;
      }
      case 'segment':
        return this.segment(node.segment);
      case 'all':
        return `(${node.conditions.map((c) => this.condition(c)).join(' AND ')})`;
      case 'any':
        return `(${node.conditions.map((c) => this.condition(c)).join(' OR ')})`;
      case 'not':
        return `(NOT ${this.condition(node.condition)})`;
    }
  }

  private seenSql(node: Leaf<'seen'>): string {
    const seen = this.seenAt(node);
    const parts = [`${seen} IS NOT NULL`];
    if (node.before) parts.push(`${seen} < ${this.metrics.moment(node.before)}`);
    if (node.after) parts.push(`${seen} >= ${this.metrics.moment(node.after)}`);
    return `(${parts.join(' AND ')})`;
  }

  private recentSql(node: Leaf<'recent'>): string {
    const { asOf, dialect } = this;
    if (node.field === 'created_at')
      return `${this.field('created_at')} > ${dialect.minusDays(asOf, node.withinDays)}`;
    const renewal = this.field('renewal_at');
    return `(${renewal} >= ${asOf} AND ${renewal} <= ${dialect.minusDays(asOf, -node.withinDays)})`;
  }

  // NULL (unknown) counts as "not a member": every segment is a definite TRUE or FALSE.
  segment(id: string): string {
    const found = this.byId.get(id);
    if (!found) throw new Error(`unresolved segment ${id}`);
    const own = `coalesce(${this.condition(found.where)}, ${this.dialect.literal(false)})`;
    const levelled = found.level === 'account' ? own : `(${this.atLevel(found.level)} AND ${own})`;
    return found.parent ? `(${this.segment(found.parent)} AND ${levelled})` : levelled;
  }

  /** Whether the account is at a segment's level: the top of its hierarchy, or under a parent. */
  private atLevel(level: 'parent' | 'child'): string {
    const parent = `coalesce(${this.trait('parent_account_id', 'text')}, '')`;
    return level === 'parent' ? `${parent} = ''` : `${parent} <> ''`;
  }
}
