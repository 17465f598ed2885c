import type { AggregateFunction, Dialect } from '../dialect/dialect.js';
import { StrataError } from '../errors.js';
import type { EventFilter, MetricNode, Moment } from '../language/ast.js';
import { TABLES } from '../model/tables.js';
import { ownValue } from '../own-key.js';
import type { ScanRegistry } from './scan-registry.js';

const ACCOUNT_COLUMNS = new Set(TABLES.accounts.columns.map((c) => c.name));

/**
 * Turns metrics into SQL expressions over `accounts a` and the scans, at the evaluation
 * time or `shiftDays` before it (for changes over a window). Every event, ticket, user,
 * survey and trait-history input becomes a filtered aggregate of that table's one scan.
 */
export class MetricCompiler {
  constructor(
    private readonly dialect: Dialect,
    private readonly scans: ScanRegistry,
    /** SQL timestamp literal of the evaluation time. */
    readonly asOf: string,
    private readonly metrics: Readonly<Record<string, MetricNode>>,
  ) {}

  /** The evaluation time moved back by `shiftDays`. */
  at(shiftDays: number): string {
    return shiftDays === 0 ? this.asOf : this.dialect.minusDays(this.asOf, shiftDays);
  }

  /** SQL timestamp of a moment: N days before the evaluation time, or a date. */
  moment(moment: Moment): string {
    return 'daysAgo' in moment ? this.at(moment.daysAgo) : this.dialect.literal(new Date(moment.date));
  }

  /** Condition on events matching `filter` in the `withinDays` window ending `shiftDays` before the evaluation time. */
  eventMatch(filter: EventFilter, withinDays: number | null, shiftDays = 0): string {
    const lit = this.dialect.literal;
    const parts: string[] = [];
    if (filter.event !== 'any') parts.push(`event = ${lit(filter.event)}`);
    for (const [key, value] of Object.entries(filter.where)) {
      parts.push(
        typeof value === 'number'
          ? `${this.dialect.jsonNumber('properties', key)} = ${lit(value)}`
          : `${this.dialect.jsonText('properties', key)} = ${lit(String(value))}`,
      );
    }
    if (shiftDays > 0) parts.push(`ts <= ${this.at(shiftDays)}`);
    if (withinDays !== null) parts.push(`ts > ${this.dialect.minusDays(this.asOf, shiftDays + withinDays)}`);
    return parts.length > 0 ? parts.join(' AND ') : lit(true);
  }

  /**
   * `fn` of `value` over events matching `filter` in the window ending `shiftDays` before the
   * evaluation time, as a column of the one events scan. It also tells the scan how far back
   * (or for which event) rows are needed, so older events are skipped before aggregating.
   */
  eventAggregate(
    fn: AggregateFunction,
    value: string,
    filter: EventFilter,
    withinDays: number | null,
    shiftDays = 0,
  ): string {
    const reach = {
      days: withinDays === null ? null : shiftDays + withinDays,
      key: filter.event === 'any' ? null : filter.event,
    };
    return this.scans.aggregate('events', fn, value, this.eventMatch(filter, withinDays, shiftDays), reach);
  }

  /** An account trait (column or traits key) as of the time: the latest trait_history value, else the current one. */
  trait(trait: string, shiftDays: number, as: 'number' | 'text'): string {
    const history = this.scans.latest(
      'trait_history',
      'value',
      'ts',
      `trait = ${this.dialect.literal(trait)} AND ts <= ${this.at(shiftDays)}`,
      { days: null, key: trait },
    );
    const current = ACCOUNT_COLUMNS.has(trait)
      ? this.dialect.castText(this.dialect.quoteIdentifier(trait))
      : this.dialect.jsonText('traits', trait);
    // A trait cleared in the history (NULL value) stays cleared; no history row: the current value.
    const text = `CASE WHEN ${this.dialect.latestFound(history)} THEN ${this.dialect.latestValue(history)} ELSE ${current} END`;
    return as === 'text' ? text : this.dialect.toNumber(text);
  }

  /** SQL for metric `name` as of `shiftDays` before the evaluation time. */
  expression(name: string, shiftDays = 0): string {
    const node = ownValue(this.metrics, name);
    if (!node) throw new StrataError('unknown_metric', `unknown metric '${name}'`);
    return this.node(node, shiftDays, name);
  }

  private node(node: MetricNode, shift: number, name: string): string {
    const d = this.dialect;
    const lit = d.literal;
    const at = this.at(shift);
    switch (node.kind) {
      case 'count':
        return `coalesce(${this.eventAggregate('count', '', node.filter, node.withinDays, shift)}, 0)`;
      case 'recency':
        return d.wholeDaysBetween(this.eventAggregate('max', 'ts', node.filter, null, shift), at);
      case 'distinctEvents': {
        // One count of the distinct listed events seen, as hand-written SQL counts adoption:
        // a count per event (whether it was seen) made the events scan a quarter slower.
        const names = node.events.map((event) => lit(event)).join(', ');
        const window = this.eventMatch({ event: 'any', where: {} }, node.withinDays, shift);
        const days = node.withinDays === null ? null : shift + node.withinDays;
        const seen = this.scans.aggregate(
          'events',
          'countDistinct',
          'event',
          `event IN (${names}) AND ${window}`,
          node.events.map((event) => ({ days, key: event })),
        );
        // An account with no scanned events has no row in the scan: NULL, which is none seen.
        return node.ratio ? `(coalesce(${seen}, 0) / ${lit(node.events.length)}.0)` : `coalesce(${seen}, 0)`;
      }
      case 'countDistinct': {
        // Numbers by value (7, 7.0 and "7" are one, as `where: { n: 7 }` matches all three),
        // everything else by its text: two counts, so no engine's number-to-text spelling matters.
        const number = d.jsonNumber('properties', node.property);
        const text = `CASE WHEN ${number} IS NULL THEN ${d.jsonText('properties', node.property)} END`;
        // + 0 makes -0 the 0 it equals: current ClickHouse would count them apart.
        const [numbers, texts] = [`(${number} + 0)`, text].map((value) =>
          this.eventAggregate('countDistinct', value, node.filter, node.withinDays, shift),
        );
        return `(coalesce(${numbers}, 0) + coalesce(${texts}, 0))`;
      }
      case 'aggregate': {
        const value = d.jsonNumber('properties', node.property);
        const aggregated = this.eventAggregate(node.fn, value, node.filter, node.withinDays, shift);
        return node.fn === 'sum' ? `coalesce(${aggregated}, 0)` : aggregated;
      }
      case 'trait':
        return this.trait(node.trait, shift, 'number');
      case 'tickets': {
        const window =
          node.withinDays === null
            ? lit(true)
            : `created_at > ${d.minusDays(this.asOf, shift + node.withinDays)}`;
        const open = node.open ? ` AND (resolved_at IS NULL OR resolved_at > ${at})` : '';
        return `coalesce(${this.scans.aggregate('tickets', 'count', '', `created_at <= ${at} AND ${window}${open}`)}, 0)`;
      }
      case 'traitChanges':
        return `coalesce(${this.scans.aggregate('trait_history', 'count', '', `trait = ${lit(node.trait)} AND ts <= ${at} AND ts > ${d.minusDays(this.asOf, shift + node.withinDays)}`, { days: null, key: node.trait })}, 0)`;
      case 'change':
        return `(${this.expression(node.metric, shift)} - ${this.expression(node.metric, shift + node.withinDays)})`;
      case 'score': {
        const total = node.components.reduce((sum, c) => sum + c.weight, 0);
        const parts = node.components.map((c) => {
          // Scaled 0-1 between the anchors and clamped; a missing value scores as bad.
          const scaled = `(${this.expression(c.metric, shift)} - ${lit(c.bad)}) / ${lit(c.good - c.bad)}`;
          // The missing value becomes 0 before clamping: least()/greatest() skip NULLs, so
          // clamping first would turn "no NPS answer" into a perfect score.
          return `${lit(c.weight)} * greatest(0, least(1, coalesce(${scaled}, 0)))`;
        });
        return `(100.0 * (${parts.join(' + ')}) / ${lit(total)})`;
      }
      case 'percentile':
        throw new StrataError(
          'unsupported_metric',
          `metric '${name}' is a percentile rank; it cannot be used inside a score or a change`,
        );
      case 'rollup':
        throw new StrataError(
          'unsupported_metric',
          `metric '${name}' is rolled up over account hierarchies; it cannot be used inside another metric`,
        );
      case 'rfm':
        throw new StrataError(
          'unsupported_metric',
          `metric '${name}' is an RFM score over all accounts; it cannot be used inside another metric`,
        );
      case 'model':
      case 'cluster':
        throw new StrataError(
          'unsupported_metric',
          `metric '${name}' is a saved ${node.kind === 'model' ? 'model' : 'clustering'}; it cannot be used inside another metric or a change`,
        );
      case 'indicator': {
        const text =
          'trait' in node.source
            ? this.trait(node.source.trait, shift, 'text')
            : this.expression(node.source.metric, shift);
        return `CASE WHEN ${text} = ${lit(node.value)} THEN 1 ELSE 0 END`;
      }
      case 'builtin':
        return this.builtin(node.name, shift);
    }
  }

  private builtin(name: Extract<MetricNode, { kind: 'builtin' }>['name'], shift: number): string {
    const d = this.dialect;
    const at = this.at(shift);
    switch (name) {
      case 'seats':
        return `coalesce(${this.scans.aggregate('users', 'count', '', `created_at IS NULL OR created_at <= ${at}`)}, 0)`;
      case 'tenure_days':
        return d.wholeDaysBetween('created_at', at);
      case 'days_to_renewal':
        return d.wholeDaysBetween(at, 'renewal_at');
      case 'tickets_open':
        return this.node({ kind: 'tickets', withinDays: null, open: true }, shift, name);
      case 'tickets_30d':
        return this.node({ kind: 'tickets', withinDays: 30, open: false }, shift, name);
      case 'nps_latest':
        return this.scans.argMax('surveys', 'nps', 'ts', `ts <= ${at}`);
      case 'nps_category': {
        const nps = this.builtin('nps_latest', shift);
        return `CASE WHEN ${nps} >= 9 THEN 'promoter' WHEN ${nps} >= 7 THEN 'passive' WHEN ${nps} >= 0 THEN 'detractor' END`;
      }
      case 'last_seen_days':
        return this.node({ kind: 'recency', filter: { event: 'any', where: {} } }, shift, name);
      // The signup cohort as text ('2024-03', '2024-Q1'), so segments can target a cohort.
      case 'signup_month':
        return d.monthLabel('created_at', 'month');
      case 'signup_quarter':
        return d.monthLabel('created_at', 'quarter');
      case 'sessions_30d':
        return this.node(
          { kind: 'count', filter: { event: 'session_start', where: {} }, withinDays: 30 },
          shift,
          name,
        );
      case 'events_30d':
        return this.node({ kind: 'count', filter: { event: 'any', where: {} }, withinDays: 30 }, shift, name);
    }
  }
}
