import { segmentColumn } from '../compile/compile-workspace.js';
import type { ConditionNode } from '../language/ast.js';
import { hasOwnKey, ownValue } from '../own-key.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { listRuns, type Snapshot, type StoredRun } from './run-snapshot.js';

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

/**
 * Pairs of `ids` sharing members in a snapshot, with counts and Jaccard similarity: every
 * pair's count is an aggregate of one pass over the snapshot's table.
 */
export async function overlaps(store: Store, snapshot: Snapshot, ids: readonly string[] = snapshot.segments) {
  const sql = store.dialect.sql;
  const flag = (id: string) => sql.id(segmentColumn(id));
  const pairs: [string, string][] = [];
  for (const [i, a] of ids.entries()) for (const b of ids.slice(i + 1)) pairs.push(a < b ? [a, b] : [b, a]);
  if (pairs.length === 0) return [];
  const columns = [
    ...ids.map((id) => sql`count(CASE WHEN ${flag(id)} THEN 1 END)`),
    ...pairs.map(([a, b]) => sql`count(CASE WHEN ${flag(a)} AND ${flag(b)} THEN 1 END)`),
  ];
  const [row] = await store.query<Record<string, number>>(
    sql`SELECT ${sql.join(columns.map((c, i) => sql`${c} AS ${sql.id(`c${i}`)}`))} FROM ${snapshot.table}`,
  );
  const value = (i: number) => Number(row?.[`c${i}`] ?? 0);
  const size = new Map(ids.map((id, i) => [id, value(i)]));
  return pairs
    .map(([a, b], i) => {
      const both = value(ids.length + i);
      return { a, b, both, jaccard: both / ((size.get(a) ?? 0) + (size.get(b) ?? 0) - both) };
    })
    .filter((p) => p.both > 0)
    .sort((x, y) => x.a.localeCompare(y.a) || x.b.localeCompare(y.b));
}

/**
 * The mistakes the seeds warn about, checked on a stored run: schemes with too many
 * segments (over 7, strongly over 10), segments under the minimum size, segments that
 * did not change over the last N runs, overlapping segments whose playbooks no scheme
 * arbitrates, and
 * segments without a playbook.
 */
export async function runWarnings(store: Store, workspace: Workspace, run: StoredRun) {
  const sizes = run.sizes.segments;
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
    const size = sizes[segment.id] ?? 0;
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
  const orphans = workspace.segments
    .filter((s) => !hasOwnKey(workspace.config.playbooks, s.id))
    .map((s) => s.id);
  if (orphans.length > 0) {
    warnings.push({
      code: 'no_playbook',
      level: 'warning',
      message: `${orphans.length} segment${orphans.length === 1 ? ' has' : 's have'} no playbook, so nobody is told what to do with ${orphans.length === 1 ? 'it' : 'them'}: ${orphans.join(', ')}`,
    });
  }
  const stale = await staleSegments(store, run, staleRuns);
  if (stale.length > 0) {
    warnings.push({
      code: 'segment_stale',
      level: 'warning',
      message: `${stale.length} segment${stale.length === 1 ? ' has' : 's have'} not changed over the last ${staleRuns} runs (are they still useful?): ${stale.join(', ')}`,
    });
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
  // Overlap is a problem when it sends one account two playbooks and nothing deliberate
  // decides which next action is primary (src/activate/playbooks.ts falls back on the order of
  // playbooks:): both segments have a playbook, no scheme holds both, their playbooks have no
  // different ranks, and neither is built from the other. Descriptive segments overlap by nature.
  const sameScheme = (a: string, b: string) =>
    Object.values(workspace.config.schemes).some((s) => s.order.includes(a) && s.order.includes(b));
  const rankOf = (id: string) => ownValue(workspace.config.playbooks, id)?.rank;
  const ranked = (a: string, b: string) =>
    rankOf(a) !== undefined && rankOf(b) !== undefined && rankOf(a) !== rankOf(b);
  const acted = (id: string) => hasOwnKey(workspace.config.playbooks, id);
  // Only segments with a playbook can conflict: the self-join stays small.
  const actedIds = workspace.segments.map((s) => s.id).filter(acted);
  const pairs =
    actedIds.length < 2
      ? []
      : (await overlaps(store, run, actedIds)).filter(
          (p) =>
            !sameScheme(p.a, p.b) &&
            !ranked(p.a, p.b) &&
            !builtFrom(p.a).has(p.b) &&
            !builtFrom(p.b).has(p.a),
        );
  for (const pair of pairs) {
    warnings.push({
      code: 'overlap_outside_scheme',
      level: 'warning',
      segment: pair.a,
      message: `segments '${pair.a}' and '${pair.b}' both have a playbook and share ${pair.both} accounts; put them in one scheme or give their playbooks different ranks to decide which next action is primary`,
    });
  }
  return warnings;
}

/**
 * Segments of `run` whose members were the same in the last `n` runs at `n` different
 * as-of times (re-running one time proves nothing), `run` included. Each run's flags are
 * stacked, summed per account, and a segment is stale when every account that was ever a
 * member in those runs was one in all of them.
 */
async function staleSegments(store: Store, run: StoredRun, n: number): Promise<string[]> {
  const latestPerAsOf = new Map<string, StoredRun>();
  for (const r of await listRuns(store)) if (r.runId <= run.runId) latestPerAsOf.set(r.asOf, r);
  const recent = [...latestPerAsOf.values()].sort((a, b) => b.asOf.localeCompare(a.asOf)).slice(0, n);
  const ids = run.segments.filter((id) => recent.every((r) => r.segments.includes(id)));
  if (recent.length < n || ids.length === 0) return [];
  const sql = store.dialect.sql;
  const s = (i: number) => sql.id(`s${i}`);
  const flag = (id: string) =>
    sql`CASE WHEN ${sql.id(segmentColumn(id))} THEN 1 ELSE 0 END AS ${s(ids.indexOf(id))}`;
  const stacked = recent.map((r) => sql`SELECT account_id, ${sql.join(ids.map(flag))} FROM ${r.table}`);
  const perAccount = sql`SELECT account_id, ${sql.join(ids.map((_, i) => sql`sum(${s(i)}) AS ${s(i)}`))}
    FROM (${sql.join(stacked, sql` UNION ALL `)}) stacked GROUP BY account_id`;
  const checks = ids.flatMap((_, i) => [
    sql`count(CASE WHEN ${s(i)} > 0 AND ${s(i)} < ${n} THEN 1 END) AS ${sql.id(`mixed${i}`)}`,
    sql`count(CASE WHEN ${s(i)} = ${n} THEN 1 END) AS ${sql.id(`full${i}`)}`,
  ]);
  const [row] = await store.query<Record<string, number>>(
    sql`SELECT ${sql.join(checks)} FROM (${perAccount}) per_account`,
  );
  return ids.filter((_, i) => Number(row?.[`mixed${i}`]) === 0 && Number(row?.[`full${i}`]) > 0).sort();
}
