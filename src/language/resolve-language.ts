import { didYouMean, type ErrorLocation, StrataError } from '../errors.js';
import { TABLES } from '../model/tables.js';
import { hasOwnKey, ownValue } from '../own-key.js';
import {
  BUILTIN_METRICS,
  type BuiltinMetric,
  type Comparison,
  type ConditionNode,
  type MetricNode,
  type SegmentNode,
} from './ast.js';
import type { SegmentDeclaration } from './segment-graph.js';
import { isTextMetric, NUMERIC_ACCOUNT_COLUMNS } from './value-types.js';

export interface ResolvedLanguage {
  /** Declared metrics plus the built-in and account metrics that conditions use. */
  readonly metrics: Readonly<Record<string, MetricNode>>;
  /** Segments in dependency order: a segment comes after those it refers to. */
  readonly segments: readonly SegmentNode[];
}

type Locate = (path: readonly (string | number)[]) => ErrorLocation;

/**
 * Checks every name a segment uses (metrics, segments, parents) and rejects cycles,
 * before any SQL runs; errors carry the file, line and path of the offending reference.
 */
export function resolveLanguage(
  declared: Readonly<Record<string, MetricNode>>,
  segments: Readonly<Record<string, SegmentDeclaration>>,
  locate: Locate,
  /** Metrics usable without a declaration besides the built-in ones (saved models' outputs). */
  implicit: (name: string) => MetricNode | undefined = () => undefined,
): ResolvedLanguage {
  const metrics: Record<string, MetricNode> = { ...declared };
  const knownMetrics = [...Object.keys(declared), ...BUILTIN_METRICS, ...NUMERIC_ACCOUNT_COLUMNS];
  const ids = Object.keys(segments);
  const ordering = new Set(['gt', 'gte', 'lt', 'lte', 'between']);
  /** A text metric compared by size is a type mismatch. */
  const checkComparison = (metric: string, comparison: Comparison, path: (string | number)[]) => {
    if (ordering.has(comparison.op) && isTextMetric(metric, metrics)) {
      fail(
        'type_mismatch',
        `metric '${metric}' is text; compare it with eq, ne or in, not ${comparison.op}`,
        path,
      );
    }
  };
  /** A text column of accounts (industry, plan, ...) compared by size is a type mismatch. */
  const checkTrait = (node: Extract<ConditionNode, { kind: 'trait' }>, path: (string | number)[]) => {
    const column = TABLES.accounts.columns.find((c) => c.name === node.trait);
    const numericValue = typeof node.value === 'number' || Array.isArray(node.value);
    if (
      column &&
      column.type !== 'integer' &&
      column.type !== 'double' &&
      ordering.has(node.op) &&
      numericValue
    ) {
      fail('type_mismatch', `trait '${node.trait}' is text; '${node.op}' needs a number`, [...path, node.op]);
    }
    // A number column compared with text would depend on how the engine prints numbers
    // ('1200' or '1200.0'); ask for the number instead.
    const texts = (Array.isArray(node.value) ? node.value : [node.value]).filter(
      (v) => typeof v === 'string',
    );
    if (column && (column.type === 'integer' || column.type === 'double') && texts.length > 0) {
      const number = Number(texts[0]);
      const hint =
        texts[0] !== '' && Number.isFinite(number)
          ? `write ${number}, not '${texts[0]}'`
          : 'compare it with a number';
      fail('type_mismatch', `trait '${node.trait}' is a number; ${hint}`, [...path, node.op]);
    }
  };
  const fail = (code: string, message: string, path: (string | number)[]): never => {
    throw new StrataError(code, message, { ...locate(path), path: path.join('.') });
  };

  /** Makes `name` known (declaring a built-in or account metric on first use), or fails at `path`. */
  const useMetric = (name: string, path: (string | number)[]): void => {
    if (hasOwnKey(metrics, name)) return;
    if ((BUILTIN_METRICS as readonly string[]).includes(name)) {
      metrics[name] = { kind: 'builtin', name: name as BuiltinMetric };
    } else if (NUMERIC_ACCOUNT_COLUMNS.includes(name)) {
      metrics[name] = { kind: 'trait', trait: name };
    } else if (implicit(name)) {
      metrics[name] = implicit(name) as MetricNode;
    } else {
      fail('unknown_metric', `unknown metric '${name}'${didYouMean(name, knownMetrics)}`, path);
    }
  };
  /** Metrics a metric is built from, with the path of each reference inside it. */
  const inputsOf = (node: MetricNode): { name: string; path: (string | number)[] }[] => {
    switch (node.kind) {
      case 'change':
        return [{ name: node.metric, path: ['change'] }];
      case 'percentile':
        return [{ name: node.metric, path: ['percentile'] }];
      case 'score':
        return node.components.map((c, i) => ({ name: c.metric, path: ['score', i, 'metric'] }));
      case 'rfm':
        return [
          { name: node.recency, path: ['rfm'] },
          { name: node.frequency, path: ['rfm'] },
          { name: node.monetary, path: ['rfm'] },
        ];
      default:
        return [];
    }
  };
  /** Outputs of saved models: computed over their own features, after every other metric. */
  const savedOutput = (name: string) => {
    const kind = ownValue(metrics, name)?.kind;
    return kind === 'model' || kind === 'cluster';
  };
  /** Metrics ranked over all accounts: they cannot be inputs of other metrics. */
  const ranked = (name: string) => {
    const kind = ownValue(metrics, name)?.kind;
    return kind === 'percentile' || kind === 'rfm';
  };
  // Metrics built from metrics: every input known, no cycle, no percentile inside a score or change.
  const metricState = new Map<string, 'open' | 'done'>();
  const visitMetric = (name: string, trail: string[]): void => {
    if (metricState.get(name) === 'done') return;
    if (metricState.get(name) === 'open') {
      const cycle = [...trail.slice(trail.indexOf(name)), name].join(' -> ');
      fail('metric_cycle', `metrics refer to each other in a cycle: ${cycle}`, ['metrics', name]);
    }
    metricState.set(name, 'open');
    const node = ownValue(metrics, name);
    for (const input of node ? inputsOf(node) : []) {
      const at = ['metrics', name, ...input.path];
      useMetric(input.name, at);
      if (
        (node?.kind !== 'percentile' || ownValue(metrics, input.name)?.kind === 'rfm') &&
        ranked(input.name)
      ) {
        fail(
          'unsupported_metric',
          `'${input.name}' is ranked over all accounts (a percentile or RFM score) and cannot be used inside '${name}'`,
          at,
        );
      }
      if (savedOutput(input.name)) {
        fail(
          'unsupported_metric',
          `'${input.name}' is the output of a saved model and cannot be used inside '${name}'`,
          at,
        );
      }
      if (node?.kind === 'rfm' && isTextMetric(input.name, metrics)) {
        fail('type_mismatch', `RFM needs numbers, and metric '${input.name}' is text`, at);
      }
      visitMetric(input.name, [...trail, name]);
    }
    metricState.set(name, 'done');
  };
  for (const name of Object.keys(declared)) visitMetric(name, []);

  const references = new Map<string, Set<string>>();
  const walk = (node: ConditionNode, path: (string | number)[], owner: string): void => {
    switch (node.kind) {
      case 'metric':
      case 'metricChange':
        useMetric(node.metric, [...path, 'metric']);
        visitMetric(node.metric, []);
        if (node.kind === 'metric') checkComparison(node.metric, node, [...path, 'metric']);
        else if (savedOutput(node.metric)) {
          fail(
            'unsupported_metric',
            `'${node.metric}' is the output of a saved model; dropBy needs a plain metric`,
            [...path, 'metric'],
          );
        } else if (ranked(node.metric)) {
          fail(
            'unsupported_metric',
            `'${node.metric}' is ranked over all accounts; dropBy needs a plain metric`,
            [...path, 'metric'],
          );
        }
        return;
      case 'rank':
        useMetric(node.metric, [...path, 'by']);
        visitMetric(node.metric, []);
        if (ownValue(metrics, node.metric)?.kind === 'rfm') {
          fail(
            'unsupported_metric',
            `'${node.metric}' is an RFM score: compare it (gte: 4) instead of ranking it`,
            [...path, 'by'],
          );
        }
        return;
      case 'trait':
        checkTrait(node, path);
        return;
      case 'segment':
        if (!hasOwnKey(segments, node.segment)) {
          fail('unknown_segment', `unknown segment '${node.segment}'${didYouMean(node.segment, ids)}`, [
            ...path,
            'segment',
          ]);
        }
        references.get(owner)?.add(node.segment);
        return;
      case 'all':
      case 'any':
        node.conditions.forEach((c, i) => {
          walk(c, [...path, node.kind, i], owner);
        });
        return;
      case 'not':
        walk(node.condition, [...path, 'not'], owner);
        return;
      default:
        return;
    }
  };
  for (const [id, segment] of Object.entries(segments)) {
    references.set(id, new Set());
    if (segment.parent !== undefined) {
      if (!hasOwnKey(segments, segment.parent)) {
        fail(
          'unknown_segment',
          `unknown parent segment '${segment.parent}'${didYouMean(segment.parent, ids)}`,
          ['segments', id, 'parent'],
        );
      }
      references.get(id)?.add(segment.parent);
    }
    walk(segment.where, ['segments', id, 'where'], id);
  }

  // Depth-first order; a segment met again while still open closes a cycle.
  const ordered: SegmentNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string, trail: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'open') {
      const cycle = [...trail.slice(trail.indexOf(id)), id];
      fail('segment_cycle', `segments refer to each other in a cycle: ${cycle.join(' -> ')}`, [
        'segments',
        id,
      ]);
    }
    state.set(id, 'open');
    for (const next of references.get(id) ?? []) visit(next, [...trail, id]);
    state.set(id, 'done');
    const segment = ownValue(segments, id);
    if (segment) {
      ordered.push({
        id,
        framework: segment.framework ?? null,
        parent: segment.parent ?? null,
        where: segment.where,
      });
    }
  };
  for (const id of ids) visit(id, []);
  return { metrics, segments: ordered };
}
