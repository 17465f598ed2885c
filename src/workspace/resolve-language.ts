import type { z } from 'zod';
import {
  BUILTIN_METRICS,
  type BuiltinMetric,
  type ConditionNode,
  type MetricNode,
  type SegmentNode,
} from '../compile/ast.js';
import { NUMERIC_ACCOUNT_COLUMNS } from '../compile/compile-workspace.js';
import { didYouMean, type ErrorLocation, StrataError } from '../errors.js';
import type { segmentSchema } from './language-schema.js';

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
  segments: Readonly<Record<string, z.infer<typeof segmentSchema>>>,
  locate: Locate,
): ResolvedLanguage {
  const metrics: Record<string, MetricNode> = { ...declared };
  const knownMetrics = [...Object.keys(declared), ...BUILTIN_METRICS, ...NUMERIC_ACCOUNT_COLUMNS];
  const ids = Object.keys(segments);
  const fail = (code: string, message: string, path: (string | number)[]): never => {
    throw new StrataError(code, message, { ...locate(path), path: path.join('.') });
  };

  const references = new Map<string, Set<string>>();
  const walk = (node: ConditionNode, path: (string | number)[], owner: string): void => {
    switch (node.kind) {
      case 'metric':
        if (!metrics[node.metric]) {
          if ((BUILTIN_METRICS as readonly string[]).includes(node.metric)) {
            metrics[node.metric] = { kind: 'builtin', name: node.metric as BuiltinMetric };
          } else if (NUMERIC_ACCOUNT_COLUMNS.includes(node.metric)) {
            metrics[node.metric] = { kind: 'trait', trait: node.metric };
          } else {
            fail(
              'unknown_metric',
              `unknown metric '${node.metric}'${didYouMean(node.metric, knownMetrics)}`,
              [...path, 'metric'],
            );
          }
        }
        return;
      case 'segment':
        if (!segments[node.segment]) {
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
      if (!segments[segment.parent]) {
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
    const segment = segments[id];
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
