import type { ConditionNode, MetricNode } from '../language/ast.js';
import { ownValue } from '../own-key.js';
import type { Workspace } from '../workspace/load-workspace.js';

/**
 * What, besides an account's own data, can change its membership of some segments: the
 * passing of time (a window sliding past an event, days since signup or since the last
 * event, a renewal coming within reach) and other accounts' data (percentile ranks, RFM
 * quintiles). Read from the segments' definitions, parents and referenced segments
 * included. When neither can, re-evaluating the accounts whose data arrived keeps every
 * membership exact, and `strata serve` need not sweep on a timer.
 */
export interface Dependence {
  readonly time: boolean;
  readonly others: boolean;
}

/** The segments `ids` and every segment they depend on (parents, `segment` conditions). */
export function segmentClosure(workspace: Workspace, ids: readonly string[]): Set<string> {
  const byId = new Map(workspace.segments.map((segment) => [segment.id, segment]));
  const found = new Set<string>();
  const visit = (id: string) => {
    if (found.has(id)) return;
    found.add(id);
    const segment = byId.get(id);
    if (!segment) return;
    if (segment.parent) visit(segment.parent);
    walk(segment.where);
  };
  const walk = (node: ConditionNode) => {
    if (node.kind === 'segment') visit(node.segment);
    else if (node.kind === 'all' || node.kind === 'any') node.conditions.forEach(walk);
    else if (node.kind === 'not') walk(node.condition);
  };
  for (const id of ids) visit(id);
  return found;
}

/** Built-in metrics read at the evaluation time: days since, windows, still-open tickets. */
const TIMED_BUILTINS = new Set([
  'tenure_days',
  'days_to_renewal',
  'tickets_open',
  'tickets_30d',
  'last_seen_days',
  'events_30d',
  'sessions_30d',
]);

export function segmentDependence(
  workspace: Workspace,
  segments: readonly string[],
  /** Metrics read besides the segments' own (a destination's fields). */
  metrics: readonly string[] = [],
): Dependence {
  const found = { time: false, others: false };
  const seen = new Set<string>();
  const metric = (metrics: Readonly<Record<string, MetricNode>>, name: string): void => {
    const key = `${metrics === workspace.metrics ? '' : '\u0000'}${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    const node = ownValue(metrics, name);
    // A metric not declared is a built-in or an account column (src/language/metric-names.ts).
    if (!node) {
      if (TIMED_BUILTINS.has(name)) found.time = true;
      return;
    }
    visitMetric(metrics, node);
  };
  const visitMetric = (metrics: Readonly<Record<string, MetricNode>>, node: MetricNode): void => {
    switch (node.kind) {
      case 'count':
      case 'distinctEvents':
      case 'aggregate':
      case 'countDistinct':
        if (node.withinDays !== null) found.time = true;
        return;
      case 'tickets':
        if (node.withinDays !== null || node.open) found.time = true;
        return;
      case 'recency':
      case 'traitChanges':
      case 'change':
        found.time = true;
        if (node.kind === 'change') metric(metrics, node.metric);
        return;
      case 'trait':
        return;
      case 'builtin':
        if (TIMED_BUILTINS.has(node.name)) found.time = true;
        return;
      case 'percentile':
      // A roll-up changes with its descendants' data.
      case 'rollup':
        found.others = true;
        metric(metrics, node.metric);
        return;
      case 'rfm':
        found.others = true;
        for (const input of [node.recency, node.frequency, node.monetary]) metric(metrics, input);
        return;
      case 'score':
        for (const component of node.components) metric(metrics, component.metric);
        return;
      case 'indicator':
        if ('metric' in node.source) metric(metrics, node.source.metric);
        return;
      case 'model':
      case 'cluster':
        // Scored from the features saved with it, by their own definitions.
        for (const feature of node.scorer.features) metric(node.scorer.metrics, feature);
        return;
    }
  };
  const condition = (node: ConditionNode): void => {
    switch (node.kind) {
      case 'metric':
        metric(workspace.metrics, node.metric);
        break;
      case 'performed':
        if (node.withinDays !== null) found.time = true;
        break;
      case 'metricChange':
        found.time = true;
        metric(workspace.metrics, node.metric);
        break;
      case 'seen':
        // `before: 30d` moves with the evaluation time; `before: 2024-01-31` does not.
        if ([node.before, node.after].some((moment) => moment !== null && 'daysAgo' in moment))
          found.time = true;
        break;
      case 'recent':
        found.time = true;
        break;
      case 'rank':
        found.others = true;
        metric(workspace.metrics, node.metric);
        break;
      case 'all':
      case 'any':
        node.conditions.forEach(condition);
        break;
      case 'not':
        condition(node.condition);
        break;
      // trait: read as of the time from its history, which moves only with new rows;
      // segment: its own conditions are in the closure.
    }
  };
  const closure = segmentClosure(workspace, segments);
  for (const segment of workspace.segments) if (closure.has(segment.id)) condition(segment.where);
  for (const name of metrics) metric(workspace.metrics, name);
  return found;
}
