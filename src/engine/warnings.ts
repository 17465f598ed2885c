import type { ConditionNode } from '../compile/ast.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';

export interface Warning {
  readonly code:
    | 'scheme_too_many'
    | 'segment_too_small'
    | 'segment_stale'
    | 'overlap_outside_scheme'
    | 'no_playbook'
    | 'unknown_name';
  readonly level: 'warning' | 'strong';
  readonly message: string;
  readonly segment?: string;
}

/** Pairs of segments sharing members in a run, with counts and Jaccard similarity. */
export async function overlaps(store: Store, memberships: string) {
  return store.query<{ a: string; b: string; both: number; jaccard: number }>(
    `WITH m AS (${memberships}), sizes AS (SELECT segment_id, count(*) AS n FROM m GROUP BY 1)
     SELECT x.segment_id AS a, y.segment_id AS b, count(*) AS both,
       count(*) / (min(sa.n) + min(sb.n) - count(*)) AS jaccard
     FROM m x JOIN m y ON x.account_id = y.account_id AND x.segment_id < y.segment_id
     JOIN sizes sa ON sa.segment_id = x.segment_id JOIN sizes sb ON sb.segment_id = y.segment_id
     GROUP BY 1, 2 ORDER BY 1, 2`,
  );
}

/**
 * The mistakes the seeds warn about, checked on a stored run: schemes with too many
 * segments (over 7, strongly over 10), segments under the minimum size, segments that
 * did not change over the last N runs, overlapping segments whose playbooks no scheme
 * arbitrates, and
 * segments without a playbook.
 */
export async function runWarnings(
  store: Store,
  workspace: Workspace,
  runId: number,
  sizes: ReadonlyMap<string, number>,
) {
  const warnings: Warning[] = [];
  const { minSegmentSize, staleRuns } = workspace.config.settings;
  for (const [scheme, { order }] of Object.entries(workspace.config.schemes)) {
    if (order.length > 7) {
      warnings.push({
        code: 'scheme_too_many',
        level: order.length > 10 ? 'strong' : 'warning',
        message: `scheme '${scheme}' has ${order.length} segments; teams act on 7 at most${order.length > 10 ? ' (over 10 is unmanageable)' : ''}`,
      });
    }
  }
  for (const segment of workspace.segments) {
    const size = sizes.get(segment.id) ?? 0;
    if (size < minSegmentSize) {
      warnings.push({
        code: 'segment_too_small',
        level: 'warning',
        segment: segment.id,
        message: `segment '${segment.id}' has ${size} accounts, under the minimum of ${minSegmentSize}`,
      });
    }
  }
  // One line for all segments without a playbook: the list matters, not 20 lines of it.
  const orphans = workspace.segments.filter((s) => !workspace.config.playbooks?.[s.id]).map((s) => s.id);
  if (orphans.length > 0) {
    warnings.push({
      code: 'no_playbook',
      level: 'warning',
      message: `${orphans.length} segment${orphans.length === 1 ? ' has' : 's have'} no playbook, so nobody is told what to do with ${orphans.length === 1 ? 'it' : 'them'}: ${orphans.join(', ')}`,
    });
  }
  const lit = store.dialect.literal;
  // Unchanged over N runs at N different as-of times (re-running one time proves nothing):
  // those runs exist and every member is in all of them.
  const recent = await store.query<{ run_id: number }>(
    `SELECT max(run_id) AS run_id FROM strata_runs WHERE run_id <= ${lit(runId)}
     GROUP BY as_of ORDER BY as_of DESC LIMIT ${lit(staleRuns)}`,
  );
  if (recent.length === staleRuns) {
    const stale = await store.query<{ segment_id: string }>(
      `SELECT segment_id FROM (SELECT segment_id, account_id, count(*) AS runs FROM strata_memberships
         WHERE run_id IN (${recent.map((r) => lit(r.run_id)).join(', ')}) GROUP BY 1, 2)
       GROUP BY 1 HAVING min(runs) = ${lit(staleRuns)} ORDER BY 1`,
    );
    if (stale.length > 0) {
      warnings.push({
        code: 'segment_stale',
        level: 'warning',
        message: `${stale.length} segment${stale.length === 1 ? ' has' : 's have'} not changed over the last ${staleRuns} runs (are they still useful?): ${stale.map((r) => r.segment_id).join(', ')}`,
      });
    }
  }
  const byId = new Map(workspace.segments.map((s) => [s.id, s]));
  /** Segments `id` is built from: its parents and the segments its conditions name. */
  const builtFrom = (id: string, seen = new Set<string>()): Set<string> => {
    const segment = byId.get(id);
    if (!segment || seen.has(id)) return seen;
    seen.add(id);
    const visit = (node: ConditionNode): void => {
      if (node.kind === 'segment') builtFrom(node.segment, seen);
      if (node.kind === 'all' || node.kind === 'any') node.conditions.forEach(visit);
      if (node.kind === 'not') visit(node.condition);
    };
    if (segment.parent) builtFrom(segment.parent, seen);
    visit(segment.where);
    return seen;
  };
  // Overlap is a problem when it sends one account two playbooks and nothing decides
  // between them: both segments have a playbook, no scheme holds both, and neither is
  // built from the other. Descriptive segments (no playbook) overlap by nature.
  const sameScheme = (a: string, b: string) =>
    Object.values(workspace.config.schemes).some((s) => s.order.includes(a) && s.order.includes(b));
  const acted = (id: string) => Boolean(workspace.config.playbooks?.[id]);
  // Only segments with a playbook can conflict: the self-join stays small.
  const actedIds = workspace.segments.map((s) => s.id).filter(acted);
  const memberships = `SELECT segment_id, account_id FROM strata_memberships WHERE run_id = ${lit(runId)}
    AND segment_id IN (${actedIds.map(lit).join(', ') || 'NULL'})`;
  const pairs =
    actedIds.length < 2
      ? []
      : (await overlaps(store, memberships)).filter(
          (p) => !sameScheme(p.a, p.b) && !builtFrom(p.a).has(p.b) && !builtFrom(p.b).has(p.a),
        );
  for (const pair of pairs) {
    warnings.push({
      code: 'overlap_outside_scheme',
      level: 'warning',
      segment: pair.a,
      message: `segments '${pair.a}' and '${pair.b}' both have a playbook and share ${pair.both} accounts; put them in one scheme to decide which playbook applies`,
    });
  }
  return warnings;
}
