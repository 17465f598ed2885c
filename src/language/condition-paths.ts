import type { ConditionNode } from './ast.js';

/** True for all / any / not: nodes whose truth comes from their children. */
export const isBranch = (node: ConditionNode) =>
  node.kind === 'all' || node.kind === 'any' || node.kind === 'not';

/**
 * Each node of a condition tree with its path as written in strata.yaml (where,
 * where.any[1], where.all[0].not), parents before children.
 */
export function conditionPaths(node: ConditionNode, path = 'where'): { node: ConditionNode; path: string }[] {
  if (node.kind === 'all' || node.kind === 'any')
    return [
      { node, path },
      ...node.conditions.flatMap((child, i) => conditionPaths(child, `${path}.${node.kind}[${i}]`)),
    ];
  if (node.kind === 'not') return [{ node, path }, ...conditionPaths(node.condition, `${path}.not`)];
  return [{ node, path }];
}

/** The metric a leaf compares (by value, by rank or by its change), or null for other kinds. */
export const comparedMetric = (node: ConditionNode) =>
  node.kind === 'metric' || node.kind === 'rank' || node.kind === 'metricChange' ? node.metric : null;
