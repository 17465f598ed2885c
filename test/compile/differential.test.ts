import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { stringify } from 'yaml';
import { compileWorkspace, metricColumn, segmentColumn } from '../../src/compile/compile-workspace.js';
import { storedRows } from '../../src/identity/account-rows.js';
import type {
  Comparison,
  ConditionNode,
  EventFilter,
  MetricNode,
  Moment,
  SegmentNode,
} from '../../src/language/ast.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import { DAY, ReferenceEvaluator, type Value, type World } from './reference-evaluator.js';

/*
 * Differential test: random small worlds and random workspaces, written as YAML so the
 * parser and resolver run too, are evaluated by the compiled SQL on a real DuckDB file
 * and by the naive reference evaluator; every metric value and membership must agree.
 *
 * Every row, metric and segment is built from its own "tape" of random choices, which
 * keeps the generators plain code instead of a tower of combinators: fast-check shrinks a
 * failure by dropping tapes and moving their values towards 0, and choice 0 is always the
 * simplest option (null, the first name, exactly T).
 */
const T = Date.parse('2024-09-01T00:00:00Z') / 1000;
/**
 * About 40 ms a run on two otherwise idle cores (the worlds and workspaces grew with the
 * language), twice that beside another test file: 400 runs keep it near 30 s of the CI budget.
 * STRATA_FC_RUNS asks for more locally (and STRATA_FC_SEED=random for other worlds).
 */
const NUM_RUNS = Number(process.env.STRATA_FC_RUNS ?? 400);
/**
 * A fixed seed keeps CI deterministic (a red CI lands nothing); set STRATA_FC_SEED to any
 * number (or 'random') to explore other worlds locally.
 */
const SEED =
  process.env.STRATA_FC_SEED === 'random' ? Date.now() : Number(process.env.STRATA_FC_SEED ?? 20261123);

class Tape {
  private at = 0;
  constructor(private readonly values: readonly number[]) {}
  /**
   * 0 .. n-1, scaled rather than taken modulo n so that a value shrinking towards 0 moves
   * the choice towards 0 too; 0 once the tape runs out.
   */
  int(n: number): number {
    return Math.floor(((this.values[this.at++] ?? 0) / 2 ** 31) * n);
  }
  pick<A>(xs: readonly A[]): A {
    return xs[this.int(xs.length)] as A;
  }
  maybe<A>(xs: readonly A[]): A | null {
    return this.int(3) === 0 ? null : this.pick(xs);
  }
  flag(): boolean {
    return this.int(2) === 1;
  }
  /** One to `max` distinct elements of xs. */
  some<A>(xs: readonly A[], max: number): A[] {
    return [...new Set(Array.from({ length: 1 + this.int(max) }, () => this.pick(xs)))];
  }
  times<A>(min: number, max: number, make: (i: number) => A): A[] {
    return Array.from({ length: min + this.int(max - min + 1) }, (_, i) => make(i));
  }
}
/** A tape of min..max choices; uniform values, so that the scaled choices are uniform too. */
const choices = (min: number, max: number) =>
  fc.array(fc.noBias(fc.nat()), { minLength: min, maxLength: max, size: 'max' });

// ---- worlds ---------------------------------------------------------------------------------
/** Whole days before T land on window edges exactly; the rest spreads over 2024, some after T. */
function time(r: Tape): number {
  const kind = r.int(3);
  if (kind === 0) return T - r.int(151) * DAY;
  if (kind === 1) return T + 30 * DAY - r.int(180 * DAY);
  return Date.parse('2024-01-01') / 1000 + r.int(366 * DAY);
}
const HISTORY: Record<string, readonly (string | null)[]> = {
  mrr: ['0', '800', '1500.5', 'n/a', null],
  plan: ['free', 'growth', 'enterprise', null],
  employees: ['20', '400', '2000'],
};
/** A tape per row (of ample length), so that shrinking drops whole rows and simplifies each on its own. */
const rows = (min: number, max: number) =>
  fc.array(choices(20, 20), { minLength: min, maxLength: max, size: 'max' });
const worldArb = fc.record({
  accounts: rows(1, 8),
  events: rows(0, 60),
  users: rows(0, 10),
  tickets: rows(0, 12),
  surveys: rows(0, 6),
  history: rows(0, 10),
});

function buildWorld(
  w: Record<'accounts' | 'events' | 'users' | 'tickets' | 'surveys' | 'history', number[][]>,
): World {
  const each = <R>(tapes: number[][], make: (r: Tape, i: number) => R) =>
    tapes.map((t, i) => make(new Tape(t), i));
  const accounts = each(w.accounts, (r, i) => ({
    account_id: `a${i}`,
    created_at: time(r),
    employees: r.maybe([0, 10, 50, 300, 1500]),
    industry: r.maybe(['Healthcare', 'Finance', 'retail']),
    plan: r.maybe(['free', 'starter', 'growth', 'enterprise']),
    mrr: r.maybe([0, 99.5, 800, 1200, 5000]),
    arr: r.maybe([0, 1194, 9600]),
    renewal_at: r.flag() ? time(r) + 60 * DAY : null,
    traits: r.flag() ? { use_case: r.pick(['Analytics', 'support', 'ops']), licenses: r.int(41) } : null,
    // An earlier account (so no cycle, as imports guarantee), now and then one never imported.
    parent_account_id: i > 0 && r.flag() ? `a${r.int(i)}` : r.int(6) === 0 ? 'ghost' : null,
  }));
  const owner = (r: Tape) => `a${r.int(accounts.length)}`;
  // Now and then a number stored as JSON text: `where: { n: 3 }` still compares it as a number.
  // A JSON null is no value (countDistinct leaves it out, no `where` matches it).
  const properties = (r: Tape) => ({
    ...(r.flag() ? { n: r.pick([0, 1, 2, 3, 4, 5, '2', '3', null]) } : {}),
    c: r.pick(['x', 'y']),
  });
  // "The latest" survey / trait value must be unique: a second row of an account at the same time is dropped.
  const unique = <R>(xs: R[], key: (x: R) => string) =>
    xs.filter((x, i) => xs.findIndex((o) => key(o) === key(x)) === i);
  return {
    accounts,
    events: each(w.events, (r, i) => ({
      event_id: `e${i}`,
      account_id: owner(r),
      event: r.pick(['session_start', 'report_exported', 'api_call']),
      ts: time(r),
      properties: r.int(4) ? properties(r) : null,
    })),
    users: each(w.users, (r, i) => ({
      user_id: `u${i}`,
      account_id: owner(r),
      created_at: r.flag() ? time(r) : null,
    })),
    tickets: each(w.tickets, (r, i) => {
      const created_at = time(r);
      const resolved_at = r.flag() ? created_at + r.pick([r.int(61) * DAY, r.int(60 * DAY)]) : null;
      return { ticket_id: `t${i}`, account_id: owner(r), created_at, resolved_at };
    }),
    surveys: unique(
      each(w.surveys, (r) => ({ account_id: owner(r), user_id: 'u', ts: time(r), nps: r.int(11) })),
      (s) => `${s.account_id} ${s.ts}`,
    ),
    trait_history: unique(
      each(w.history, (r) => {
        const trait = r.pick(['mrr', 'plan', 'employees']);
        return { account_id: owner(r), trait, ts: time(r), value: r.pick(HISTORY[trait] ?? []) };
      }),
      (h) => `${h.account_id} ${h.trait} ${h.ts}`,
    ),
  };
}

// ---- workspaces -----------------------------------------------------------------------------
/**
 * What a new metric or segment may refer to: only earlier ones, so there are no cycles.
 * Float rounding must never decide a test: `fuzzy` metrics (scores, changes of fuzzy or
 * averaged metrics) are compared only against values they cannot equal exactly, and a
 * drop or rise of an `inexact` one (also averages: 7/3 - 4/3 is 1 only on paper) likewise.
 */
interface Pools {
  readonly numeric: { readonly name: string; readonly fuzzy: boolean; readonly inexact: boolean }[];
  readonly percentiles: string[];
  /** Roll-ups: compared in conditions, never inside another metric. */
  readonly rollups: { readonly name: string; readonly fuzzy: boolean }[];
  readonly segments: string[];
}
interface Generated {
  readonly metrics: Record<string, MetricNode>;
  readonly segments: SegmentNode[];
}
const WINDOWS = [30, 1, 3, 7, 14, 60, 90, 365];
const EVENTS = ['session_start', 'report_exported', 'api_call', 'sso_enabled'];
/** Signup quarters of the generated accounts (around 2024) and one that none has. */
const SIGNUP_QUARTERS = ['2024-Q1', '2024-Q2', '2024-Q3', '2024-Q4', '2025-Q1', '1999-Q4'];
const PLAIN = [0, -1, 0.5, 1, 2, 3, 5, 10, 30, 50, 100, 800];
/** Decimals with a 5^4 denominator, which no score (its anchor spans are powers of two) can hit. */
const FUZZY = [50.0001, -0.0001, 0.0001, 25.0001, 74.9999];
const TEXTS = 'growth free enterprise Healthcare retail Analytics analytics ops detractor'.split(' ');
const ranked = (p: Pools) => [...p.numeric.map((m) => m.name), ...p.percentiles];

function eventFilter(r: Tape): EventFilter {
  const event = r.pick(['any', ...EVENTS]);
  if (r.int(3) < 2) return { event, where: {} };
  // '3' is compared as text: it matches {"n": 3} and {"n": "3"} alike.
  return {
    event,
    where: {
      ...(r.flag() ? { n: r.pick([0, 1, 2, 3, 5, '3']) } : {}),
      ...(r.flag() ? { c: r.pick(['x', 'y']) } : {}),
    },
  };
}

function metricNode(r: Tape, p: Pools): MetricNode {
  switch (r.int(12)) {
    case 0:
      return { kind: 'count', filter: eventFilter(r), withinDays: r.maybe(WINDOWS) };
    case 1:
      return { kind: 'recency', filter: eventFilter(r) };
    case 2:
      return {
        kind: 'distinctEvents',
        events: r.some(EVENTS, 3),
        withinDays: r.maybe(WINDOWS),
        ratio: r.flag(),
      };
    case 3: {
      const fn = r.pick(['sum', 'avg', 'min', 'max'] as const);
      return {
        kind: 'aggregate',
        fn,
        filter: eventFilter(r),
        property: r.pick(['n', 'n', 'c']),
        withinDays: r.maybe(WINDOWS),
      };
    }
    case 4:
      return { kind: 'trait', trait: r.pick(['mrr', 'employees', 'arr', 'licenses', 'plan']) };
    case 5:
      return { kind: 'tickets', withinDays: r.maybe(WINDOWS), open: r.flag() };
    case 6:
      return {
        kind: 'traitChanges',
        trait: r.pick(['plan', 'mrr', 'employees']),
        withinDays: r.pick(WINDOWS),
      };
    case 7:
      return { kind: 'change', metric: r.pick(p.numeric).name, withinDays: r.pick(WINDOWS) };
    case 8:
      return { kind: 'percentile', metric: r.pick(ranked(p)) };
    case 9:
      // n mixes 3 and '3' (one value) and nulls; c is text.
      return {
        kind: 'countDistinct',
        filter: eventFilter(r),
        property: r.pick(['n', 'n', 'c']),
        withinDays: r.maybe(WINDOWS),
      };
    case 10:
      return {
        kind: 'rollup',
        metric: r.pick(p.numeric).name,
        using: r.pick(['sum', 'avg', 'min', 'max', 'count'] as const),
      };
    default: {
      // Anchor spans are powers of two, so each component is exact and equal scores tie exactly in both engines.
      const component = () => {
        const bad = r.pick([0, 2, 10, 100]);
        return {
          metric: r.pick(p.numeric).name,
          weight: 1 + r.int(3),
          bad,
          good: bad + r.pick([1, 4, 16, -2, -64]),
        };
      };
      return { kind: 'score', components: r.times(1, 3, component) };
    }
  }
}

function comparison(r: Tape, values: readonly (number | string)[], ordered: boolean): Comparison {
  const value = r.pick(values);
  const numbers = values.filter((v) => typeof v === 'number');
  switch (r.int(6)) {
    case 0:
      return { op: r.pick(['eq', 'ne'] as const), value };
    case 1:
      // Text metrics (nps_category) are not `ordered`: the resolver rightly refuses to compare them by size.
      return ordered ? { op: r.pick(['gt', 'gte', 'lt', 'lte'] as const), value } : { op: 'eq', value };
    case 2:
      return { op: 'in', value: r.some(values, 3) };
    case 3:
      return { op: 'exists', value: r.flag() };
    case 4: {
      if (typeof value === 'string') return { op: 'contains', value: r.pick(['gro', 'HEALTH', 'an', 'e']) };
      const [a, b] = [value, r.pick(numbers)];
      return { op: 'between', value: [Math.min(a, b), Math.max(a, b)] };
    }
    default:
      // A number against text is never equal; an `in` list may mix both.
      return typeof value === 'string'
        ? r.pick([
            { op: 'eq', value: 5 },
            { op: 'in', value: [5, value] },
          ])
        : { op: 'eq', value };
  }
}

function conditionNode(r: Tape, p: Pools, depth: number): ConditionNode {
  const kind = depth >= 3 ? r.int(10) : r.int(13);
  switch (kind) {
    case 0:
      return {
        kind: 'trait',
        trait: r.pick(['plan', 'industry', 'use_case']),
        ...comparison(r, TEXTS, true),
      };
    case 1:
      return {
        kind: 'trait',
        trait: r.pick(['employees', 'mrr', 'arr', 'licenses']),
        ...comparison(r, [0, 10, 50, 99.5, 1200, 1500.5], true),
      };
    case 2: {
      const m = r.pick([
        ...p.numeric,
        ...p.percentiles.map((name) => ({ name, fuzzy: false })),
        ...p.rollups,
        { name: 'nps_category', fuzzy: false },
        { name: 'signup_quarter', fuzzy: false },
      ]);
      const values =
        m.name === 'nps_category'
          ? ['detractor', 'passive', 'promoter']
          : m.name === 'signup_quarter'
            ? SIGNUP_QUARTERS
            : m.fuzzy
              ? FUZZY
              : PLAIN;
      const text = m.name === 'nps_category' || m.name === 'signup_quarter';
      return { kind: 'metric', metric: m.name, ...comparison(r, values, !text) };
    }
    case 3: {
      const atLeast = r.int(4);
      const atMost = r.flag() ? atLeast + r.int(3) : null;
      return { kind: 'performed', filter: eventFilter(r), withinDays: r.maybe(WINDOWS), atLeast, atMost };
    }
    case 4:
      return p.segments.length
        ? { kind: 'segment', segment: r.pick(p.segments) }
        : { kind: 'recent', field: 'created_at', withinDays: 90 };
    case 5: {
      const m = r.pick(p.numeric);
      const by = r.pick(m.inexact ? [0.0001, 5.0001, 20.0001] : [1, 2, 3, 100]);
      return {
        kind: 'metricChange',
        metric: m.name,
        direction: r.pick(['drop', 'rise'] as const),
        by,
        withinDays: r.pick(WINDOWS),
      };
    }
    case 6: {
      const moment = (): Moment | null =>
        r.int(3) === 0
          ? null
          : r.flag()
            ? { daysAgo: r.pick(WINDOWS) }
            : { date: r.pick(['2024-06-01', '2024-08-15', '2024-09-01']) };
      const [which, filter, after] = [r.pick(['first', 'last'] as const), eventFilter(r), moment()];
      return { kind: 'seen', which, filter, before: moment() ?? (after ? null : { daysAgo: 30 }), after };
    }
    case 7:
      return {
        kind: 'recent',
        field: r.pick(['created_at', 'renewal_at'] as const),
        withinDays: r.pick(WINDOWS),
      };
    case 8:
    case 9: {
      const [side, percent] = [r.pick(['top', 'bottom'] as const), r.pick([10, 20, 25, 34, 50, 75, 80, 100])];
      return { kind: 'rank', side, percent, metric: r.pick(ranked(p)) };
    }
    case 10:
      return { kind: 'all', conditions: r.times(1, 3, () => conditionNode(r, p, depth + 1)) };
    case 11:
      return { kind: 'any', conditions: r.times(1, 3, () => conditionNode(r, p, depth + 1)) };
    default:
      return { kind: 'not', condition: conditionNode(r, p, depth + 1) };
  }
}

/** A tape per metric and per segment (a segment's tree may run out: it then ends in simple leaves). */
const workspaceArb = fc.record({
  metrics: fc.array(choices(0, 30), { maxLength: 5, size: 'max' }),
  segments: fc.array(choices(0, 80), { minLength: 3, maxLength: 8, size: 'max' }),
});

function buildWorkspace(w: { metrics: number[][]; segments: number[][] }): Generated {
  const builtins =
    'seats tenure_days days_to_renewal tickets_open tickets_30d nps_latest last_seen_days events_30d';
  const numeric = [...builtins.split(' '), 'employees', 'mrr', 'arr'].map((name) => ({
    name,
    fuzzy: false,
    inexact: false,
  }));
  const p: Pools = { numeric, percentiles: [], rollups: [], segments: [] };
  const metrics: Record<string, MetricNode> = {};
  w.metrics.forEach((tape, i) => {
    const node = metricNode(new Tape(tape), p);
    metrics[`m${i}`] = node;
    const input = node.kind === 'change' ? p.numeric.find((m) => m.name === node.metric) : undefined;
    const fuzzy = node.kind === 'score' || input?.inexact === true;
    const inexact = fuzzy || (node.kind === 'aggregate' && node.fn === 'avg');
    if (node.kind === 'percentile') p.percentiles.push(`m${i}`);
    else if (node.kind === 'rollup') {
      // Sums of inexact values, and averages, may differ in the last bit between the two.
      const rolled = p.numeric.find((m) => m.name === node.metric);
      const inexactSum = rolled?.fuzzy === true || rolled?.inexact === true || node.using === 'avg';
      p.rollups.push({ name: `m${i}`, fuzzy: node.using !== 'count' && inexactSum });
    } else p.numeric.push({ name: `m${i}`, fuzzy, inexact });
  });
  const segments = w.segments.map((tape, i): SegmentNode => {
    const r = new Tape(tape);
    const parent = p.segments.length && r.flag() ? r.pick(p.segments) : null;
    // Mostly every account; some only the tops of hierarchies, or the accounts under a parent.
    const level = r.pick(['account', 'account', 'parent', 'child'] as const);
    const node = { id: `s${i}`, framework: null, parent, level, where: conditionNode(r, p, 0) };
    p.segments.push(node.id);
    return node;
  });
  return { metrics, segments };
}

// ---- YAML, as a user writes it --------------------------------------------------------------
/** Every unit the parser knows: d, w, m (30 days) and y (365 days). */
const span = (days: number) => ({ 7: '1w', 14: '2w', 30: '1m', 60: '2m', 365: '1y' })[days] ?? `${days}d`;
const within = (days: number | null) => (days === null ? {} : { within: span(days) });
const event = (f: EventFilter) =>
  Object.keys(f.where).length ? { event: f.event, where: f.where } : f.event;
const when = (key: string, m: Moment | null) =>
  m === null ? {} : { [key]: 'date' in m ? m.date : span(m.daysAgo) };

function metricYaml(m: MetricNode): unknown {
  switch (m.kind) {
    case 'count':
      return { count: event(m.filter), ...within(m.withinDays) };
    case 'recency':
      return { recency: event(m.filter) };
    case 'distinctEvents':
      return { distinctEvents: m.events, ...within(m.withinDays), ...(m.ratio ? { ratio: true } : {}) };
    case 'aggregate':
    case 'countDistinct': {
      const spec = {
        event: m.filter.event,
        property: m.property,
        ...(Object.keys(m.filter.where).length ? { where: m.filter.where } : {}),
      };
      return { [m.kind === 'aggregate' ? m.fn : 'countDistinct']: spec, ...within(m.withinDays) };
    }
    case 'tickets':
      return { tickets: { ...within(m.withinDays), ...(m.open ? { open: true } : {}) } };
    case 'traitChanges':
      return { traitChanges: m.trait, within: span(m.withinDays) };
    case 'change':
      return { change: m.metric, within: span(m.withinDays) };
    case 'trait':
      return { trait: m.trait };
    case 'percentile':
      return { percentile: m.metric };
    case 'rollup':
      return { rollup: m.metric, using: m.using };
    case 'score':
      return { score: m.components };
    case 'builtin':
      throw new Error('built-in metrics are never declared');
    case 'rfm':
    case 'indicator':
    case 'model':
    case 'cluster':
      throw new Error(`${m.kind} metrics are not generated`);
  }
}

function conditionYaml(c: ConditionNode): unknown {
  switch (c.kind) {
    case 'trait':
      return { trait: c.trait, [c.op]: c.value };
    case 'metric':
      return { metric: c.metric, [c.op]: c.value };
    case 'performed': {
      if (c.atLeast === 0 && c.atMost === 0)
        return { notPerformed: event(c.filter), ...within(c.withinDays) };
      const bounds = {
        ...(c.atLeast === 1 ? {} : { atLeast: c.atLeast }),
        ...(c.atMost === null ? {} : { atMost: c.atMost }),
      };
      return { performed: event(c.filter), ...within(c.withinDays), ...bounds };
    }
    case 'segment':
      return { segment: c.segment };
    case 'metricChange':
      return {
        metric: c.metric,
        [c.direction === 'drop' ? 'dropBy' : 'riseBy']: c.by,
        within: span(c.withinDays),
      };
    case 'seen':
      return { [`${c.which}Seen`]: event(c.filter), ...when('before', c.before), ...when('after', c.after) };
    case 'recent':
      return { [c.field === 'created_at' ? 'signedUpWithin' : 'renewalWithin']: span(c.withinDays) };
    case 'rank':
      // Both spellings of a percentage: 25 and 34%.
      return { [c.side]: c.percent % 2 ? c.percent : `${c.percent}%`, by: c.metric };
    case 'all':
    case 'any':
      return { [c.kind]: c.conditions.map(conditionYaml) };
    case 'not':
      return { not: conditionYaml(c.condition) };
  }
}

/** Newest first, so references point further down the file and the loader has to order them. */
function toYaml(ws: Generated): string {
  const metrics = Object.entries(ws.metrics).map(([name, m]) => [name, metricYaml(m)]);
  const segments = ws.segments.map((s) => [
    s.id,
    {
      ...(s.parent ? { parent: s.parent } : {}),
      ...(s.level === 'account' ? {} : { level: s.level }),
      where: conditionYaml(s.where),
    },
  ]);
  const document = {
    metrics: Object.fromEntries(metrics.reverse()),
    segments: Object.fromEntries(segments.reverse()),
  };
  return stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 });
}

// ---- the store ----------------------------------------------------------------------------
const TIMES = new Set(['created_at', 'renewal_at', 'ts', 'resolved_at']);
const iso = (s: number) => new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ');
/** A SQL literal: times (whole seconds) as TIMESTAMP, objects as JSON text. */
function sql(column: string, v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return TIMES.has(column) ? `TIMESTAMP '${iso(v)}'` : String(v);
  return `'${(typeof v === 'string' ? v : JSON.stringify(v)).replaceAll("'", "''")}'`;
}

/** Replaces every table's rows with the world's, in one batch (rows of a table share their keys). */
async function load(store: DuckDBStore, w: World): Promise<void> {
  const statements = Object.entries(w).flatMap(([table, rows]: [string, Record<string, unknown>[]]) => {
    const columns = Object.keys(rows[0] ?? {});
    const values = rows.map((row) => `(${columns.map((c) => sql(c, row[c])).join(', ')})`);
    const insert = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')}`;
    return [`DELETE FROM ${table}`, ...(rows.length ? [insert] : [])];
  });
  await store.execute(testSql(['BEGIN', ...statements, 'COMMIT'].join(';\n')));
}

/** The world with readable times, a row a line, for failure reports. */
function describeWorld(w: World): string {
  const row = (r: object) =>
    JSON.stringify(r, (k, v) => (TIMES.has(k) && typeof v === 'number' ? iso(v) : v));
  return Object.entries(w)
    .map(([table, rows]: [string, object[]]) => `${table}:${rows.map((r) => `\n  ${row(r)}`).join('')}`)
    .join('\n');
}

// ---- the property ---------------------------------------------------------------------------
const same = (got: unknown, want: Value) =>
  typeof want === 'number' && typeof got === 'number'
    ? Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(got), Math.abs(want))
    : got === want;

const dir = tempDir();
let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'strata.duckdb'));
});
afterAll(() => store.close());

/** Runs one workspace both ways; returns the first account that differs (all its differences), or null. */
async function difference(world: World, ws: Generated, yaml: string): Promise<string | null> {
  writeFileSync(join(dir, 'strata.yaml'), yaml);
  const loaded = loadWorkspace(dir);
  const lost = Object.keys(ws.metrics).filter((name) => !(name in loaded.metrics));
  if (lost.length) return `metrics lost by the loader: ${lost.join(', ')}`;
  await load(store, world);
  const asOf = new Date(T * 1000);
  const got = await store.query<{ account_id: unknown } & Record<string, unknown>>(
    compileWorkspace(store.dialect, {
      metrics: loaded.metrics,
      segments: loaded.segments,
      asOf,
      rows: storedRows(store.dialect),
    }),
  );
  const ref = new ReferenceEvaluator(world, ws.metrics, ws.segments, T);
  const ids = (xs: readonly { account_id: unknown }[]) =>
    xs
      .map((x) => `${x.account_id}`)
      .sort()
      .join(', ');
  if (ids(got) !== ids(ref.accounts))
    return `accounts: compiled [${ids(got)}], reference [${ids(ref.accounts)}]`;
  for (const account of ref.accounts) {
    const row: Record<string, unknown> = got.find((r) => r.account_id === account.account_id) ?? {};
    const diffs: string[] = [];
    for (const name of Object.keys(loaded.metrics)) {
      const [compiled, reference] = [row[metricColumn(name)], ref.metric(name, account)];
      if (!same(compiled, reference))
        diffs.push(`metric ${name}: compiled ${compiled}, reference ${reference}`);
    }
    for (const { id } of ws.segments) {
      // A NULL flag counts as false.
      const [compiled, reference] = [row[segmentColumn(id)] === true, ref.member(id, account)];
      if (compiled !== reference) diffs.push(`segment ${id}: compiled ${compiled}, reference ${reference}`);
    }
    if (diffs.length) return `account ${account.account_id}:\n  ${diffs.join('\n  ')}`;
  }
  return null;
}

describe('compiled SQL against the reference evaluator', () => {
  it('agrees on every metric value and membership of random worlds and workspaces', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, workspaceArb, async (worldTapes, workspaceTapes) => {
        const [world, ws] = [buildWorld(worldTapes), buildWorkspace(workspaceTapes)];
        const yaml = toYaml(ws);
        const problem = await difference(world, ws, yaml).catch(
          (error: Error) => `evaluation failed: ${error.message}`,
        );
        if (problem)
          throw new Error(
            `${problem}\n--- strata.yaml (as of ${iso(T)})\n${yaml}--- world\n${describeWorld(world)}`,
          );
      }),
      {
        numRuns: NUM_RUNS,
        seed: SEED,
        // Shrinking can rerun the store thousands of times: after a minute, report the smallest
        // failure found so far (a pass takes some 12 s, so only shrinking is cut short).
        plugins: [fc.interruptAfterTimeLimit(60_000)],
        // The tapes themselves mean nothing to a reader: report the YAML and world instead.
        reporter: (run) => {
          if (!run.failed) return;
          const why =
            run.errorInstance instanceof Error ? run.errorInstance.message : String(run.errorInstance);
          const replay = `replay: { seed: ${run.seed}, path: '${run.counterexamplePath}' }`;
          throw new Error(
            `failed after ${run.numRuns} runs, shrunk ${run.numShrinks} times (${replay}):\n${why}`,
          );
        },
      },
    );
  });
});
