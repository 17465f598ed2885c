import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';

export interface Warning {
  readonly code:
    | 'scheme_too_many'
    | 'segment_too_small'
    | 'segment_stale'
    | 'overlap_outside_scheme'
    | 'no_playbook';
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
 * did not change over the last N runs, overlapping segments of one framework that no
 * scheme arbitrates, and
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
    if (!workspace.config.playbooks?.[segment.id]) {
      warnings.push({
        code: 'no_playbook',
        level: 'warning',
        segment: segment.id,
        message: `segment '${segment.id}' has no playbook: nobody is told what to do with it`,
      });
    }
  }
  const lit = store.dialect.literal;
  // Unchanged over N runs: the last N runs exist and every member is in all of them.
  const recent = await store.query<{ run_id: number }>(
    `SELECT run_id FROM strata_runs WHERE run_id <= ${lit(runId)} ORDER BY run_id DESC LIMIT ${lit(staleRuns)}`,
  );
  if (recent.length === staleRuns) {
    const stale = await store.query<{ segment_id: string }>(
      `SELECT segment_id FROM (SELECT segment_id, account_id, count(*) AS runs FROM strata_memberships
         WHERE run_id IN (${recent.map((r) => lit(r.run_id)).join(', ')}) GROUP BY 1, 2)
       GROUP BY 1 HAVING min(runs) = ${lit(staleRuns)} ORDER BY 1`,
    );
    for (const { segment_id } of stale) {
      warnings.push({
        code: 'segment_stale',
        level: 'warning',
        segment: segment_id,
        message: `segment '${segment_id}' has not changed over the last ${staleRuns} runs: is it still useful?`,
      });
    }
  }
  const inScheme = new Set(Object.values(workspace.config.schemes).flatMap((s) => s.order));
  const parentOf = new Map(workspace.segments.map((s) => [s.id, s.parent]));
  const frameworkOf = new Map(workspace.segments.map((s) => [s.id, s.framework]));
  // Segments of different frameworks describe different dimensions: overlapping is their nature.
  const sameDimension = (a: string, b: string) => {
    const fa = frameworkOf.get(a) ?? null;
    const fb = frameworkOf.get(b) ?? null;
    return fa === null || fb === null || fa === fb;
  };
  const related = (a: string, b: string) => {
    for (let p = parentOf.get(a); p; p = parentOf.get(p)) if (p === b) return true;
    for (let p = parentOf.get(b); p; p = parentOf.get(p)) if (p === a) return true;
    return false;
  };
  const pairs = await overlaps(
    store,
    `SELECT segment_id, account_id FROM strata_memberships WHERE run_id = ${lit(runId)}`,
  );
  for (const pair of pairs) {
    if (
      (inScheme.has(pair.a) && inScheme.has(pair.b)) ||
      related(pair.a, pair.b) ||
      !sameDimension(pair.a, pair.b)
    )
      continue;
    const loose = [pair.a, pair.b].filter((id) => !inScheme.has(id));
    warnings.push({
      code: 'overlap_outside_scheme',
      level: 'warning',
      segment: loose[0] ?? pair.a,
      message: `segments '${pair.a}' and '${pair.b}' share ${pair.both} accounts and no scheme decides who owns them (${loose.map((l) => `'${l}'`).join(' and ')} in no scheme)`,
    });
  }
  return warnings;
}
