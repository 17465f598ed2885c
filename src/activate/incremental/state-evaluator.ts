import type { Comparison, ConditionNode, EventFilter, MetricNode, SegmentNode } from '../../language/ast.js';
import { isTextMetric } from '../../language/value-types.js';
import { ownValue } from '../../own-key.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import { type AccountState, firstAfter, type StreamState, type TraitValue } from './account-state.js';
import type { RankTables } from './rank-tables.js';

/**
 * The segments' conditions evaluated in TypeScript over one account's state, with the
 * meaning of the compiled SQL (src/compile/workspace-compiler.ts and metric-sql.ts, read
 * side by side with this file): windows `(asOf - shift - days, asOf - shift]`, rows after
 * the evaluation time unseen, a trait as of a time from its history, NULL failing every
 * comparison, a missing score component scoring as bad, percentile ranks among the values
 * held in rank-tables.ts. Only the kinds that incremental-needs.ts accepts reach here. Times
 * are microseconds since 1970.
 */

type Value = number | string | null;
type Leaf<K extends ConditionNode['kind']> = Extract<ConditionNode, { kind: K }>;

const DAY_US = 86_400_000_000;

export class StateEvaluator {
  private readonly byId: ReadonlyMap<string, SegmentNode>;

  constructor(
    private readonly workspace: Workspace,
    /** The engine whose day arithmetic to follow (DuckDB counts days in double seconds). */
    private readonly engine: 'duckdb' | 'clickhouse',
    /** Every account's values of the ranked metrics, as of the latest refresh. */
    readonly ranks: RankTables,
  ) {
    this.byId = new Map(workspace.segments.map((segment) => [segment.id, segment]));
  }

  /** Of `segments`, those the account is in at `asOf` (µs); none when it does not exist yet. */
  members(account: string, state: AccountState, asOf: number, segments: readonly string[]): Set<string> {
    const found = new Set<string>();
    if (state.createdAt === null || state.createdAt > asOf) return found;
    const run = new Evaluation(this, account, state, asOf);
    for (const segment of segments) if (run.segment(segment)) found.add(segment);
    return found;
  }

  segmentNode(id: string): SegmentNode {
    const found = this.byId.get(id);
    if (!found) throw new Error(`unresolved segment ${id}`);
    return found;
  }

  metricNode(name: string): MetricNode | undefined {
    return ownValue(this.workspace.metrics, name);
  }

  isText(metric: string): boolean {
    return isTextMetric(metric, this.workspace.metrics);
  }

  /**
   * The values of `metrics` for an account at `asOf` (µs), for the rank tables; empty when
   * the account does not exist yet (it is not ranked).
   */
  values(account: string, state: AccountState, asOf: number, metrics: Iterable<string>) {
    const found = new Map<string, number | null>();
    if (state.createdAt === null || state.createdAt > asOf) return found;
    const run = new Evaluation(this, account, state, asOf);
    for (const metric of metrics) {
      const value = run.metric(metric, 0);
      found.set(metric, value === null ? null : Number(value));
    }
    return found;
  }

  /** Whole days from `from` to `to`, rounded down, as the engine's SQL counts them. */
  wholeDays(from: number | null, to: number | null): number | null {
    if (from === null || to === null) return null;
    return this.engine === 'duckdb'
      ? Math.floor((to / 1e6 - from / 1e6) / 86400)
      : Math.floor((to - from) / DAY_US);
  }
}

/** One account at one time: metrics and segments computed once each. */
class Evaluation {
  private readonly segments = new Map<string, boolean>();
  private readonly metrics = new Map<string, Value>();

  constructor(
    private readonly evaluator: StateEvaluator,
    private readonly account: string,
    private readonly state: AccountState,
    private readonly asOf: number,
  ) {}

  segment(id: string): boolean {
    let holds = this.segments.get(id);
    if (holds === undefined) {
      const node = this.evaluator.segmentNode(id);
      const parent = node.parent === null || this.segment(node.parent);
      holds = parent && this.atLevel(node.level) && this.condition(node.where);
      this.segments.set(id, holds);
    }
    return holds;
  }

  private atLevel(level: SegmentNode['level']): boolean {
    if (level === 'account') return true;
    const parent = this.trait('parent_account_id', 0).text ?? '';
    return level === 'parent' ? parent === '' : parent !== '';
  }

  private condition(node: ConditionNode): boolean {
    switch (node.kind) {
      case 'trait': {
        const value = this.trait(node.trait, 0);
        return compare(true, value.number, value.text, node);
      }
      case 'metric': {
        const value = this.metric(node.metric, 0);
        const text = value === null ? null : String(value);
        if (this.evaluator.isText(node.metric)) return compare(false, null, text, node);
        return compare(true, value as number | null, text, node);
      }
      case 'metricChange': {
        const [now, before] = [this.metric(node.metric, 0), this.metric(node.metric, node.withinDays)];
        if (now === null || before === null) return false;
        const change =
          node.direction === 'drop' ? Number(before) - Number(now) : Number(now) - Number(before);
        return change >= node.by;
      }
      case 'performed': {
        const count = this.count(node.filter, node.withinDays, 0);
        return count >= node.atLeast && (node.atMost === null || count <= node.atMost);
      }
      case 'seen':
        return this.seen(node);
      case 'recent':
        return this.recent(node);
      case 'segment':
        return this.segment(node.segment);
      case 'all':
        return node.conditions.every((c) => this.condition(c));
      case 'any':
        return node.conditions.some((c) => this.condition(c));
      case 'not':
        return !this.condition(node.condition);
      case 'rank': {
        const pct = this.percentile(node.metric);
        if (pct === null) return false;
        return node.side === 'top' ? pct >= 100 - node.percent : pct <= node.percent;
      }
    }
  }

  private seen(node: Leaf<'seen'>): boolean {
    const stream = this.state.streams.get(node.filter.event);
    const at = stream ? (node.which === 'first' ? first(stream, this.asOf) : last(stream, this.asOf)) : null;
    if (at === null) return false;
    const moment = (m: NonNullable<Leaf<'seen'>['before']>) =>
      'daysAgo' in m ? this.asOf - m.daysAgo * DAY_US : Date.parse(`${m.date}T00:00:00Z`) * 1000;
    if (node.before && !(at < moment(node.before))) return false;
    if (node.after && !(at >= moment(node.after))) return false;
    return true;
  }

  private recent(node: Leaf<'recent'>): boolean {
    const { asOf } = this;
    if (node.field === 'created_at')
      return this.state.createdAt !== null && this.state.createdAt > asOf - node.withinDays * DAY_US;
    const renewal = this.state.renewalAt;
    return renewal !== null && renewal >= asOf && renewal <= asOf + node.withinDays * DAY_US;
  }

  /** A trait as of `shift` days before the evaluation time: the latest history row then, else the stored value. */
  private trait(name: string, shift: number): TraitValue {
    const trait = this.state.traits.get(name);
    if (!trait) return { text: null, number: null };
    const at = this.asOf - shift * DAY_US;
    for (let i = trait.history.length - 1; i >= 0; i--) {
      const row = trait.history[i] as TraitValue & { ts: number };
      if (row.ts <= at) return row;
    }
    return trait.before ?? trait.current;
  }

  /** Matching events in `(asOf - shift - days, asOf - shift]` (all time up to its end when days is null). */
  private count(filter: EventFilter, days: number | null, shift: number): number {
    const stream = this.state.streams.get(filter.event);
    if (!stream) return 0;
    const high = this.asOf - shift * DAY_US;
    const upTo = firstAfter(stream.recent, high);
    if (days === null) return stream.oldCount + upTo;
    return upTo - firstAfter(stream.recent, high - days * DAY_US);
  }

  metric(name: string, shift: number): Value {
    const key = `${shift}\u0000${name}`;
    if (this.metrics.has(key)) return this.metrics.get(key) as Value;
    const node = this.evaluator.metricNode(name);
    const value = node ? this.node(node, shift) : this.builtin(name, shift);
    this.metrics.set(key, value);
    return value;
  }

  private node(node: MetricNode, shift: number): Value {
    const at = this.asOf - shift * DAY_US;
    switch (node.kind) {
      case 'count':
        return this.count(node.filter, node.withinDays, shift);
      case 'recency': {
        const stream = this.state.streams.get(node.filter.event);
        return this.evaluator.wholeDays(stream ? last(stream, at) : null, at);
      }
      case 'distinctEvents': {
        const seen = node.events.filter(
          (event) => this.count({ event, where: {} }, node.withinDays, shift) > 0,
        );
        return node.ratio ? seen.length / node.events.length : seen.length;
      }
      case 'trait':
        return this.trait(node.trait, shift).number;
      case 'builtin':
        return this.builtin(node.name, shift);
      case 'tickets':
        return this.tickets(node.withinDays, node.open, shift);
      case 'change': {
        const [now, before] = [
          this.metric(node.metric, shift),
          this.metric(node.metric, shift + node.withinDays),
        ];
        return now === null || before === null ? null : Number(now) - Number(before);
      }
      case 'score': {
        const total = node.components.reduce((sum, c) => sum + c.weight, 0);
        let sum = 0;
        node.components.forEach((c, i) => {
          const value = this.metric(c.metric, shift);
          const scaled = value === null ? 0 : (Number(value) - c.bad) / (c.good - c.bad);
          const part = c.weight * Math.max(0, Math.min(1, scaled));
          sum = i === 0 ? part : sum + part;
        });
        return (100.0 * sum) / total;
      }
      case 'percentile':
        // Held for the evaluation time only (incremental-needs.ts refuses an earlier one).
        return this.percentile(node.metric);
      case 'indicator': {
        const value =
          'trait' in node.source
            ? this.trait(node.source.trait, shift).text
            : this.metric(node.source.metric, shift);
        return value !== null && String(value) === node.value ? 1 : 0;
      }
      default:
        throw new Error(`a ${node.kind} metric is not evaluated incrementally`);
    }
  }

  /** The percentile rank of a metric (a percentile's own: the same ranks) among the held values. */
  private percentile(name: string): number | null {
    const node = this.evaluator.metricNode(name);
    if (node?.kind === 'percentile') return this.percentile(node.metric);
    const value = this.metric(name, 0);
    return this.evaluator.ranks.percentile(name, this.account, value === null ? null : Number(value));
  }

  private tickets(days: number | null, open: boolean, shift: number): number {
    const at = this.asOf - shift * DAY_US;
    const from = days === null ? null : this.asOf - (shift + days) * DAY_US;
    let n = 0;
    for (const ticket of this.state.tickets) {
      if (ticket.created > at || (from !== null && ticket.created <= from)) continue;
      if (open && ticket.resolved !== null && ticket.resolved <= at) continue;
      n++;
    }
    return n;
  }

  private builtin(name: string, shift: number): Value {
    const at = this.asOf - shift * DAY_US;
    const { state } = this;
    switch (name) {
      case 'seats':
        return state.users.filter((created) => created === null || created <= at).length;
      case 'tenure_days':
        return this.evaluator.wholeDays(state.createdAt, at);
      case 'days_to_renewal':
        return this.evaluator.wholeDays(at, state.renewalAt);
      case 'tickets_open':
        return this.tickets(null, true, shift);
      case 'tickets_30d':
        return this.tickets(30, false, shift);
      case 'nps_latest': {
        let latest: { ts: number; nps: number } | null = null;
        for (const survey of state.surveys)
          if (survey.ts <= at && (latest === null || survey.ts >= latest.ts)) latest = survey;
        return latest?.nps ?? null;
      }
      case 'nps_category': {
        const nps = this.builtin('nps_latest', shift) as number | null;
        if (nps === null) return null;
        return nps >= 9 ? 'promoter' : nps >= 7 ? 'passive' : nps >= 0 ? 'detractor' : null;
      }
      case 'last_seen_days':
        return this.node({ kind: 'recency', filter: { event: 'any', where: {} } }, shift);
      case 'events_30d':
        return this.count({ event: 'any', where: {} }, 30, shift);
      case 'sessions_30d':
        return this.count({ event: 'session_start', where: {} }, 30, shift);
      case 'signup_month':
        return state.signupMonth;
      case 'signup_quarter':
        return state.signupQuarter;
      default:
        // An account column used as a metric.
        return this.trait(name, shift).number;
    }
  }
}

/** The first matching time at or before `at`. */
function first(stream: StreamState, at: number): number | null {
  if (stream.oldCount > 0 && stream.oldFirst !== null && stream.oldFirst <= at) return stream.oldFirst;
  const earliest = stream.recent[0];
  return earliest !== undefined && earliest <= at ? earliest : null;
}

/** The last matching time at or before `at`. */
function last(stream: StreamState, at: number): number | null {
  const i = firstAfter(stream.recent, at);
  if (i > 0) return stream.recent[i - 1] as number;
  return stream.oldLast !== null && stream.oldLast <= at ? stream.oldLast : null;
}

/**
 * A comparison as the compiled SQL makes it, an unknown (null) side failing it: a number
 * compares with the value's number side when it has one (`hasNumber`), anything else
 * with its text.
 */
function compare(
  hasNumber: boolean,
  numeric: number | null,
  text: string | null,
  comparison: Comparison,
): boolean {
  const { op, value } = comparison;
  const equal = (v: string | number | boolean) =>
    typeof v === 'number' && hasNumber
      ? numeric !== null && numeric === v
      : text !== null && text === String(v);
  switch (op) {
    case 'eq':
      return equal(value);
    case 'ne':
      // IS DISTINCT FROM: an unknown value differs from any value.
      return !equal(value);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const byNumber = typeof value === 'number' && hasNumber;
      const side = byNumber ? numeric : text;
      if (side === null) return false;
      const v = byNumber ? value : String(value);
      if (op === 'gt') return side > v;
      if (op === 'gte') return side >= v;
      if (op === 'lt') return side < v;
      return side <= v;
    }
    case 'between':
      return hasNumber && numeric !== null && numeric >= value[0] && numeric <= value[1];
    case 'in':
      return value.some((v) => equal(v));
    case 'exists':
      return value ? text !== null : text === null;
    case 'contains':
      return text?.toLowerCase().includes(value.toLowerCase()) ?? false;
  }
}
