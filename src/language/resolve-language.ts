import { type ErrorLocation, StrataError } from '../errors.js';
import type { MetricNode, SegmentNode } from './ast.js';
import { type Fail, MetricScope } from './metric-scope.js';
import { orderSegments, type SegmentDeclaration, segmentReferences } from './segment-graph.js';

export interface ResolvedLanguage {
  /** Declared metrics plus the built-in and account metrics that conditions use. */
  readonly metrics: Readonly<Record<string, MetricNode>>;
  /** Segments in dependency order: a segment comes after those it refers to. */
  readonly segments: readonly SegmentNode[];
}

/**
 * Checks every name a segment uses (metrics, segments, parents) and rejects cycles,
 * before any SQL runs; errors carry the file, line and path of the offending reference.
 * Metrics are checked first (in declaration order), then each segment's conditions.
 */
export function resolveLanguage(
  declared: Readonly<Record<string, MetricNode>>,
  segments: Readonly<Record<string, SegmentDeclaration>>,
  locate: (path: readonly (string | number)[]) => ErrorLocation,
  /** Metrics usable without a declaration besides the built-in ones (saved models' outputs). */
  implicit: (name: string) => MetricNode | undefined = () => undefined,
): ResolvedLanguage {
  const fail: Fail = (code, message, path) => {
    throw new StrataError(code, message, { ...locate(path), path: path.join('.') });
  };
  const scope = new MetricScope(declared, implicit, fail);
  for (const name of Object.keys(declared)) scope.check(name);
  const references = segmentReferences(segments, scope, fail);
  return { metrics: scope.metrics, segments: orderSegments(segments, references, fail) };
}
