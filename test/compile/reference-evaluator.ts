import type {
  BuiltinMetric,
  Comparison,
  ConditionNode,
  EventFilter,
  MetricNode,
  Moment,
  SegmentNode,
} from '../../src/language/ast.js';

/**
 * A deliberately naive evaluator of the segment language over plain arrays of rows,
 * written from the language's stated semantics (not from the compiler), so that the
 * differential test can hold the SQL compiler against it. Speed does not matter here:
 * every metric is recomputed by filtering whole tables, memoised only to keep nested
 * change / score / percentile metrics from blowing up.
 */

export const DAY = 86_400;

/** Times are whole seconds since the epoch (UTC), so boundaries compare exactly. */
export interface AccountRow {
  readonly account_id: string;
  readonly created_at: number;
  readonly employees: number | null;
  readonly industry: string | null;
  readonly plan: string | null;
  readonly mrr: number | null;
  readonly arr: number | null;
  readonly renewal_at: number | null;
  readonly traits: Readonly<Record<string, string | number>> | null;
  /** Absent: no parent. */
  readonly parent_account_id?: string | null;
}
export interface UserRow {
  readonly user_id: string;
  readonly account_id: string;
  readonly created_at: number | null;
}
export interface EventRow {
  readonly event_id: string;
  readonly account_id: string;
  readonly event: string;
  readonly ts: number;
  readonly properties: Readonly<Record<string, string | number | null>> | null;
}
export interface TicketRow {
  readonly ticket_id: string;
  readonly account_id: string;
  readonly created_at: number;
  readonly resolved_at: number | null;
}
export interface SurveyRow {
  readonly account_id: string;
  readonly user_id: string;
  readonly ts: number;
  readonly nps: number;
}
export interface TraitRow {
  readonly account_id: string;
  readonly trait: string;
  readonly value: string | null;
  readonly ts: number;
}
export interface World {
  readonly accounts: readonly AccountRow[];
  readonly users: readonly UserRow[];
  readonly events: readonly EventRow[];
  readonly tickets: readonly TicketRow[];
  readonly surveys: readonly SurveyRow[];
  readonly trait_history: readonly TraitRow[];
}

export type Value = number | string | null;

// Listed again rather than imported: only types may come from src/compile.
const SOME_BUILTINS = 'seats tenure_days days_to_renewal tickets_open tickets_30d nps_latest nps_category';
const BUILTINS = new Set([
  ...SOME_BUILTINS.split(' '),
  'last_seen_days',
  'events_30d',
  'signup_month',
  'signup_quarter',
]);
/** Account columns that name a metric without a declaration. */
const NUMERIC_COLUMNS = new Set(['employees', 'mrr', 'arr']);
/** Every account column a trait can name; those the row type leaves out are NULL in the store. */
const ACCOUNT_COLUMNS = new Set('name domain employees industry region country plan mrr arr'.split(' '));

/** Plain decimal text only: the generator never writes exponents or padded numbers. */
export function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : null;
}
const asText = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);
const isNumber = (value: unknown): value is number => typeof value === 'number';
const ANY: EventFilter = { event: 'any', where: {} };
const inWindow = (ts: number, t: number, days: number | null) =>
  ts <= t && (days === null || ts > t - days * DAY);

function matches(event: EventRow, filter: EventFilter): boolean {
  if (filter.event !== 'any' && event.event !== filter.event) return false;
  return Object.entries(filter.where).every(([key, want]) => {
    const have = event.properties?.[key];
    return typeof want === 'number' ? asNumber(have) === want : asText(have) === String(want);
  });
}

function equals(value: Value, want: string | number | boolean): boolean {
  if (typeof want === 'number') return asNumber(value) === want;
  const text = asText(value);
  return text !== null && text === String(want);
}

/** One comparison of a trait or metric value; anything but exists / ne is false on null. */
export function compare(value: Value, c: Comparison): boolean {
  if (c.op === 'exists') return (value !== null) === c.value;
  if (c.op === 'ne') return !equals(value, c.value);
  if (value === null) return false;
  switch (c.op) {
    case 'eq':
      return equals(value, c.value);
    case 'in':
      return c.value.some((want) => equals(value, want));
    case 'between': {
      const n = asNumber(value);
      return n !== null && c.value[0] <= n && n <= c.value[1];
    }
    case 'contains':
      return asText(value)?.toLowerCase().includes(c.value.toLowerCase()) ?? false;
    default: {
      // A number compares numerically, a string by its text (code-unit order, ASCII here).
      const have = typeof c.value === 'number' ? asNumber(value) : asText(value);
      if (have === null) return false;
      const sign = have < c.value ? -1 : have > c.value ? 1 : 0;
      return { gt: sign > 0, gte: sign >= 0, lt: sign < 0, lte: sign <= 0 }[c.op];
    }
  }
}

export class ReferenceEvaluator {
  /** Accounts that exist at the evaluation time. */
  readonly accounts: readonly AccountRow[];
  private readonly memo = new Map<string, Value>();
  private readonly memberships = new Map<string, boolean>();
  private readonly segments: ReadonlyMap<string, SegmentNode>;

  constructor(
    private readonly world: World,
    private readonly metrics: Readonly<Record<string, MetricNode>>,
    segments: readonly SegmentNode[],
    /** Evaluation time T, in seconds. */
    private readonly asOf: number,
  ) {
    this.accounts = world.accounts.filter((a) => a.created_at <= asOf);
    this.segments = new Map(segments.map((s) => [s.id, s]));
  }

  /** The value of metric `name` for `account` as evaluated at time `t` (T by default). */
  metric(name: string, account: AccountRow, t = this.asOf): Value {
    const key = `${name}|${account.account_id}|${t}`;
    if (!this.memo.has(key)) this.memo.set(key, this.compute(this.node(name), account, t));
    return this.memo.get(key) ?? null;
  }

  member(id: string, account: AccountRow): boolean {
    const key = `${id}|${account.account_id}`;
    let value = this.memberships.get(key);
    if (value === undefined) {
      const segment = this.segments.get(id);
      if (!segment) throw new Error(`reference: unknown segment ${id}`);
      // A parent-level segment holds only tops of hierarchies; a child-level one only accounts with a parent.
      const hasParent = (account.parent_account_id ?? '') !== '';
      const atLevel = segment.level === 'account' || (segment.level === 'parent') !== hasParent;
      value =
        atLevel &&
        (segment.parent === null || this.member(segment.parent, account)) &&
        this.holds(segment.where, account);
      this.memberships.set(key, value);
    }
    return value;
  }

  private node(name: string): MetricNode {
    const declared = this.metrics[name];
    if (declared) return declared;
    if (BUILTINS.has(name)) return { kind: 'builtin', name: name as BuiltinMetric };
    if (NUMERIC_COLUMNS.has(name)) return { kind: 'trait', trait: name };
    throw new Error(`reference: unknown metric ${name}`);
  }

  private events(account: AccountRow, filter: EventFilter, days: number | null, t: number): EventRow[] {
    return this.world.events.filter(
      (e) => e.account_id === account.account_id && inWindow(e.ts, t, days) && matches(e, filter),
    );
  }

  /**
   * A roll-up as stated: the metric over the account and every account below it that exists
   * at T, found by following each account's parents up (any number of levels) until the chain
   * ends or reaches the account. NULL values are skipped; count counts the others.
   */
  private rollup(node: Extract<MetricNode, { kind: 'rollup' }>, account: AccountRow, t: number): Value {
    const parentOf = new Map(this.world.accounts.map((a) => [a.account_id, a.parent_account_id ?? null]));
    const below = (a: AccountRow) => {
      const seen = new Set<string>();
      for (
        let at: string | null = a.account_id;
        at !== null && !seen.has(at);
        at = parentOf.get(at) ?? null
      ) {
        if (at === account.account_id) return true;
        seen.add(at);
      }
      return false;
    };
    const values = this.accounts
      .filter(below)
      .map((a) => this.metric(node.metric, a, t))
      .filter(isNumber);
    if (node.using === 'count') return values.length;
    if (values.length === 0) return null;
    if (node.using === 'sum') return values.reduce((s, v) => s + v, 0);
    if (node.using === 'avg') return values.reduce((s, v) => s + v, 0) / values.length;
    return node.using === 'min' ? Math.min(...values) : Math.max(...values);
  }

  /** Latest trait_history value at or before t; otherwise the account column or traits key. */
  traitAt(account: AccountRow, trait: string, t: number): Value {
    let latest: TraitRow | undefined;
    for (const row of this.world.trait_history) {
      if (row.account_id !== account.account_id || row.trait !== trait || row.ts > t) continue;
      if (!latest || row.ts > latest.ts) latest = row;
    }
    if (latest) return latest.value;
    if (ACCOUNT_COLUMNS.has(trait)) return (account as unknown as Record<string, Value>)[trait] ?? null;
    return account.traits?.[trait] ?? null;
  }

  private compute(node: MetricNode, account: AccountRow, t: number): Value {
    const id = account.account_id;
    switch (node.kind) {
      case 'count':
        return this.events(account, node.filter, node.withinDays, t).length;
      case 'recency': {
        const times = this.events(account, node.filter, null, t).map((e) => e.ts);
        return times.length ? Math.floor((t - Math.max(...times)) / DAY) : null;
      }
      case 'distinctEvents': {
        const seen = new Set(this.events(account, ANY, node.withinDays, t).map((e) => e.event));
        const hits = node.events.filter((name) => seen.has(name)).length;
        return node.ratio ? hits / node.events.length : hits;
      }
      case 'countDistinct': {
        // A value that reads as a number counts by that number (3 and '3' are one), others by their text.
        const keys = this.events(account, node.filter, node.withinDays, t).flatMap((e) => {
          const value = e.properties?.[node.property];
          if (value === null || value === undefined) return [];
          const n = asNumber(value);
          return [n === null ? `text ${value}` : `number ${n}`];
        });
        return new Set(keys).size;
      }
      case 'aggregate': {
        const xs = this.events(account, node.filter, node.withinDays, t)
          .map((e) => asNumber(e.properties?.[node.property]))
          .filter(isNumber);
        const total = xs.reduce((a, b) => a + b, 0);
        if (node.fn === 'sum') return total;
        if (xs.length === 0) return null;
        if (node.fn === 'avg') return total / xs.length;
        return node.fn === 'min' ? Math.min(...xs) : Math.max(...xs);
      }
      case 'trait':
        return asNumber(this.traitAt(account, node.trait, t));
      case 'tickets':
        return this.world.tickets.filter(
          (k) =>
            k.account_id === id &&
            inWindow(k.created_at, t, node.withinDays) &&
            (!node.open || k.resolved_at === null || k.resolved_at > t),
        ).length;
      case 'traitChanges':
        return this.world.trait_history.filter(
          (r) => r.account_id === id && r.trait === node.trait && inWindow(r.ts, t, node.withinDays),
        ).length;
      case 'change': {
        const now = this.metric(node.metric, account, t);
        const then = this.metric(node.metric, account, t - node.withinDays * DAY);
        return isNumber(now) && isNumber(then) ? now - then : null;
      }
      case 'percentile': {
        if (t !== this.asOf)
          throw new Error('reference: a percentile is only defined at the evaluation time');
        const value = this.metric(node.metric, account, t);
        if (!isNumber(value)) return null;
        const all = this.accounts.map((a) => this.metric(node.metric, a, t)).filter(isNumber);
        if (all.length <= 1) return 0;
        return (100 * all.filter((v) => v < value).length) / (all.length - 1);
      }
      case 'score': {
        let total = 0;
        let weights = 0;
        for (const c of node.components) {
          const v = this.metric(c.metric, account, t);
          weights += c.weight;
          if (isNumber(v)) total += c.weight * Math.min(1, Math.max(0, (v - c.bad) / (c.good - c.bad)));
        }
        return (100 * total) / weights;
      }
      case 'rfm':
        throw new Error('reference: RFM metrics are not generated');
      case 'rollup':
        return this.rollup(node, account, t);
      case 'indicator': {
        const text =
          'trait' in node.source
            ? this.traitAt(account, node.source.trait, t)
            : this.metric(node.source.metric, account, t);
        return text !== null && String(text) === node.value ? 1 : 0;
      }
      case 'model':
      case 'cluster':
        throw new Error('reference: saved models are checked against src/ml in test/predict');
      case 'builtin':
        return this.builtin(node.name, account, t);
    }
  }

  private builtin(name: BuiltinMetric, account: AccountRow, t: number): Value {
    const id = account.account_id;
    switch (name) {
      case 'seats':
        return this.world.users.filter(
          (u) => u.account_id === id && (u.created_at === null || u.created_at <= t),
        ).length;
      case 'tenure_days':
        return Math.floor((t - account.created_at) / DAY);
      case 'days_to_renewal':
        return account.renewal_at === null ? null : Math.floor((account.renewal_at - t) / DAY);
      case 'tickets_open':
        return this.compute({ kind: 'tickets', withinDays: null, open: true }, account, t);
      case 'tickets_30d':
        return this.compute({ kind: 'tickets', withinDays: 30, open: false }, account, t);
      case 'nps_latest': {
        let latest: SurveyRow | undefined;
        for (const s of this.world.surveys) {
          if (s.account_id === id && s.ts <= t && (!latest || s.ts > latest.ts)) latest = s;
        }
        return latest?.nps ?? null;
      }
      case 'nps_category': {
        const nps = this.builtin('nps_latest', account, t);
        if (!isNumber(nps)) return null;
        return nps >= 9 ? 'promoter' : nps >= 7 ? 'passive' : 'detractor';
      }
      case 'last_seen_days':
        return this.compute({ kind: 'recency', filter: ANY }, account, t);
      case 'sessions_30d':
        return this.compute(
          { kind: 'count', filter: { event: 'session_start', where: {} }, withinDays: 30 },
          account,
          t,
        );
      case 'events_30d':
        return this.compute({ kind: 'count', filter: ANY, withinDays: 30 }, account, t);
      case 'signup_month':
      case 'signup_quarter': {
        const date = new Date(account.created_at * 1000);
        const [year, month] = [date.getUTCFullYear(), date.getUTCMonth()];
        return name === 'signup_month'
          ? `${year}-${String(month + 1).padStart(2, '0')}`
          : `${year}-Q${Math.floor(month / 3) + 1}`;
      }
    }
  }

  private moment(m: Moment): number {
    return 'daysAgo' in m ? this.asOf - m.daysAgo * DAY : Date.parse(m.date) / 1000;
  }

  /** A condition at T; two-valued: a comparison on null is false, so `not` of it is true. */
  holds(c: ConditionNode, account: AccountRow): boolean {
    const T = this.asOf;
    switch (c.kind) {
      case 'trait':
        return compare(this.traitAt(account, c.trait, T), c);
      case 'metric':
        return compare(this.metric(c.metric, account), c);
      case 'performed': {
        const n = this.events(account, c.filter, c.withinDays, T).length;
        return n >= c.atLeast && (c.atMost === null || n <= c.atMost);
      }
      case 'segment':
        return this.member(c.segment, account);
      case 'metricChange': {
        const now = this.metric(c.metric, account);
        const then = this.metric(c.metric, account, T - c.withinDays * DAY);
        if (!isNumber(now) || !isNumber(then)) return false;
        return (c.direction === 'drop' ? then - now : now - then) >= c.by;
      }
      case 'seen': {
        const times = this.events(account, c.filter, null, T).map((e) => e.ts);
        if (times.length === 0) return false;
        const ts = c.which === 'first' ? Math.min(...times) : Math.max(...times);
        return (
          (c.before === null || ts < this.moment(c.before)) &&
          (c.after === null || ts >= this.moment(c.after))
        );
      }
      case 'recent': {
        if (c.field === 'created_at') return account.created_at > T - c.withinDays * DAY;
        const at = account.renewal_at;
        return at !== null && T <= at && at <= T + c.withinDays * DAY;
      }
      case 'rank': {
        const p = this.compute({ kind: 'percentile', metric: c.metric }, account, T);
        if (!isNumber(p)) return false;
        return c.side === 'top' ? p >= 100 - c.percent : p <= c.percent;
      }
      case 'all':
        return c.conditions.every((x) => this.holds(x, account));
      case 'any':
        return c.conditions.some((x) => this.holds(x, account));
      case 'not':
        return !this.holds(c.condition, account);
    }
  }
}
