import { didYouMean } from '../errors.js';
import { hasOwnKey, ownValue } from '../own-key.js';
import type { ConditionNode, SegmentLevel, SegmentNode } from './ast.js';
import { checkCondition } from './check-condition.js';
import type { Fail, MetricScope } from './metric-scope.js';

/** A segment as declared in strata.yaml, before its references are checked. */
export interface SegmentDeclaration {
  readonly framework?: string | undefined;
  readonly parent?: string | undefined;
  readonly level?: SegmentLevel | undefined;
  readonly where: ConditionNode;
}

/**
 * Checks each segment's parent and conditions, and returns the segments each one refers
 * to (its parent and the segments its conditions name).
 */
export function segmentReferences(
  segments: Readonly<Record<string, SegmentDeclaration>>,
  scope: MetricScope,
  fail: Fail,
): Map<string, Set<string>> {
  const ids = Object.keys(segments);
  const references = new Map<string, Set<string>>();
  for (const [id, segment] of Object.entries(segments)) {
    const refers = new Set<string>();
    references.set(id, refers);
    if (segment.parent !== undefined) {
      if (!hasOwnKey(segments, segment.parent)) {
        fail(
          'unknown_segment',
          `unknown parent segment '${segment.parent}'${didYouMean(segment.parent, ids)}`,
          ['segments', id, 'parent'],
        );
      }
      refers.add(segment.parent);
    }
    const context = { scope, segmentIds: ids, refer: (to: string) => refers.add(to), fail };
    checkCondition(segment.where, ['segments', id, 'where'], context);
  }
  return references;
}

/**
 * The segments in dependency order (a segment after those it refers to), depth first in
 * declaration order; a segment met again while still open closes a cycle.
 */
export function orderSegments(
  segments: Readonly<Record<string, SegmentDeclaration>>,
  references: ReadonlyMap<string, ReadonlySet<string>>,
  fail: Fail,
): SegmentNode[] {
  const ordered: SegmentNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string, trail: readonly string[]): void => {
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
        level: segment.level ?? 'account',
        where: segment.where,
      });
    }
  };
  for (const id of Object.keys(segments)) visit(id, []);
  return ordered;
}
