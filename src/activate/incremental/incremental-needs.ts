import type { ConditionNode, EventFilter, MetricNode } from '../../language/ast.js';
import { isTextMetric } from '../../language/value-types.js';
import { ownValue } from '../../own-key.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import { segmentClosure } from '../dependence.js';

/**
 * What the in-memory evaluation of some segments reads from the store, or why it cannot
 * evaluate them (then the segments keep the SQL path: a sweep, or the compiled query for
 * the touched accounts). Read from the definitions alone, so `strata plan` can say which
 * triggers are incremental without opening the store.
 */
export interface IncrementalNeeds {
  /**
   * Event streams (an event name, or `any` for every event) and how many days before the
   * evaluation time their rows are needed one by one (older ones are kept as totals).
   */
  readonly streams: ReadonlyMap<string, number>;
  /** Traits and how many days before the evaluation time their value is read (a change's). */
  readonly traits: ReadonlyMap<string, number>;
  readonly tickets: boolean;
  readonly surveys: boolean;
  readonly users: boolean;
  /** Metrics ranked among accounts (percentile ranks, top/bottom N%), never percentiles themselves. */
  readonly ranked: ReadonlySet<string>;
}

export type NeedsVerdict =
  | { readonly incremental: true; readonly needs: IncrementalNeeds }
  | { readonly incremental: false; readonly reason: string };

class Unsupported extends Error {}

/** Built-ins read from events, by the stream and window they count. */
const EVENT_BUILTINS: Readonly<Record<string, { stream: string; days: number | null }>> = {
  last_seen_days: { stream: 'any', days: null },
  events_30d: { stream: 'any', days: 30 },
  sessions_30d: { stream: 'session_start', days: 30 },
};

/** A percentile of a percentile is the same ranks (as the compiler has it): the metric ranked. */
function innermost(workspace: Workspace, name: string): string {
  const node = ownValue(workspace.metrics, name);
  return node?.kind === 'percentile' ? innermost(workspace, node.metric) : name;
}

export function incrementalNeeds(workspace: Workspace, segments: readonly string[]): NeedsVerdict {
  const streams = new Map<string, number>();
  const traits = new Map<string, number>();
  const trait = (name: string, shift: number) => {
    traits.set(name, Math.max(traits.get(name) ?? 0, shift));
  };
  const found = { tickets: false, surveys: false, users: false };
  const ranked = new Set<string>();
  const rank = (name: string, shift: number): void => {
    // Ranks are held for the evaluation time only (src/activate/incremental/rank-tables.ts).
    if (shift > 0) throw new Unsupported('a percentile rank at an earlier time');
    const inner = innermost(workspace, name);
    if (isTextMetric(inner, workspace.metrics)) throw new Unsupported('a percentile rank of text');
    ranked.add(inner);
    metric(inner, 0);
  };
  const stream = (name: string, days: number) => {
    streams.set(name, Math.max(streams.get(name) ?? 0, days));
  };
  const filter = (f: EventFilter, days: number | null, shift: number) => {
    if (Object.keys(f.where).length > 0) throw new Unsupported('an event filter on properties');
    stream(f.event, (days ?? 0) + shift);
  };
  const metric = (name: string, shift: number): void => {
    const node = ownValue(workspace.metrics, name);
    if (!node) {
      builtin(name, shift);
      return;
    }
    visit(node, shift);
  };
  const builtin = (name: string, shift: number): void => {
    // Own keys only: a name such as __proto__ must not find Object's prototype.
    const events = Object.hasOwn(EVENT_BUILTINS, name) ? EVENT_BUILTINS[name] : undefined;
    if (events) {
      stream(events.stream, (events.days ?? 0) + shift);
      return;
    }
    if (name === 'tickets_open' || name === 'tickets_30d') found.tickets = true;
    else if (name === 'nps_latest' || name === 'nps_category') found.surveys = true;
    else if (name === 'seats') found.users = true;
    // tenure_days, days_to_renewal, signup_month, signup_quarter: account fields, always read.
    // Any other name is an account column, read as a trait.
    else if (!['tenure_days', 'days_to_renewal', 'signup_month', 'signup_quarter'].includes(name))
      trait(name, shift);
  };
  const visit = (node: MetricNode, shift: number): void => {
    switch (node.kind) {
      case 'count':
        filter(node.filter, node.withinDays, shift);
        return;
      case 'recency':
        filter(node.filter, null, shift);
        return;
      case 'distinctEvents':
        for (const event of node.events) filter({ event, where: {} }, node.withinDays, shift);
        return;
      case 'trait':
        trait(node.trait, shift);
        return;
      case 'builtin':
        builtin(node.name, shift);
        return;
      case 'tickets':
        found.tickets = true;
        return;
      case 'change':
        metric(node.metric, shift);
        metric(node.metric, shift + node.withinDays);
        return;
      case 'score':
        for (const component of node.components) metric(component.metric, shift);
        return;
      case 'indicator':
        if ('trait' in node.source) trait(node.source.trait, shift);
        else metric(node.source.metric, shift);
        return;
      case 'percentile':
        rank(node.metric, shift);
        return;
      default:
        throw new Unsupported(`a ${node.kind} metric`);
    }
  };
  const condition = (node: ConditionNode): void => {
    switch (node.kind) {
      case 'trait':
        trait(node.trait, 0);
        return;
      case 'metric': {
        // A number metric compared with text compares the engine's spelling of the number.
        const values: readonly unknown[] = node.op === 'in' ? node.value : [node.value];
        const number = !isTextMetric(node.metric, workspace.metrics);
        if (
          number &&
          node.op !== 'exists' &&
          node.op !== 'between' &&
          values.some((v) => typeof v !== 'number')
        )
          throw new Unsupported('a number metric compared with text');
        metric(node.metric, 0);
        return;
      }
      case 'metricChange':
        metric(node.metric, 0);
        metric(node.metric, node.withinDays);
        return;
      case 'performed':
        filter(node.filter, node.withinDays, 0);
        return;
      case 'seen':
        filter(node.filter, null, 0);
        return;
      case 'recent':
        return;
      case 'rank':
        rank(node.metric, 0);
        return;
      case 'segment':
        return;
      case 'all':
      case 'any':
        node.conditions.forEach(condition);
        return;
      case 'not':
        condition(node.condition);
        return;
    }
  };
  try {
    const closure = segmentClosure(workspace, segments);
    for (const segment of workspace.segments)
      if (closure.has(segment.id)) {
        if (segment.level !== 'account') trait('parent_account_id', 0);
        condition(segment.where);
      }
  } catch (error) {
    if (error instanceof Unsupported) return { incremental: false, reason: error.message };
    throw error;
  }
  return { incremental: true, needs: { streams, traits, ...found, ranked } };
}
