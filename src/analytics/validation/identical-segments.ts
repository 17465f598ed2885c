import { segmentColumn } from '../../compile/compile-workspace.js';
import { listRuns } from '../../engine/run-snapshot.js';
import type { Store } from '../../store/store.js';

/**
 * Two segments with other definitions but the same members, run after run (issue #19: the
 * template's `strategic` was `top_revenue` on the demo's world): one of them is redundant,
 * or a definition does not say what was meant. Pairs are looked for among the latest run's
 * segments of equal, non-zero size (the sizes are stored), then their members compared in
 * one pass over each of the last runs that hold both.
 */

export interface IdenticalSegments {
  readonly segments: readonly [string, string];
  /** Members each had in the latest run. */
  readonly members: number;
  /** The runs compared, oldest first: in every one the two had the same members. */
  readonly runs: readonly number[];
}

/** Runs compared by default: one run alike proves little; three in a row is a pattern. */
export const IDENTICAL_OVER_RUNS = 3;

export async function identicalSegments(
  store: Store,
  options: { readonly runs?: number } = {},
): Promise<IdenticalSegments[]> {
  const runs = (await listRuns(store)).slice(-(options.runs ?? IDENTICAL_OVER_RUNS));
  const latest = runs.at(-1);
  if (!latest) return [];
  const sizes = latest.sizes.segments;
  let pairs: [string, string][] = [];
  latest.segments.forEach((a, i) => {
    for (const b of latest.segments.slice(i + 1))
      if ((sizes[a] ?? 0) > 0 && sizes[a] === sizes[b]) pairs.push([a, b]);
  });
  const sql = store.dialect.sql;
  const q = (name: string) => sql.id(name);
  for (const run of runs) {
    const here = pairs.filter(
      ([a, b]) =>
        run.segments.includes(a) &&
        run.segments.includes(b) &&
        run.sizes.segments[a] === run.sizes.segments[b],
    );
    const absent = pairs.filter(([a, b]) => !run.segments.includes(a) || !run.segments.includes(b));
    if (here.length === 0) {
      pairs = absent;
      continue;
    }
    const differing = here.map(
      ([a, b], i) =>
        sql`sum(CASE WHEN ${q(segmentColumn(a))} = ${q(segmentColumn(b))} THEN 0 ELSE 1 END) AS ${q(`d${i}`)}`,
    );
    const [row] = await store.query<Record<string, number>>(
      sql`SELECT ${sql.join(differing)} FROM ${run.table}`,
    );
    // A run that lacks one of the two says nothing either way.
    pairs = [...absent, ...here.filter((_, i) => Number(row?.[`d${i}`] ?? 1) === 0)];
  }
  return pairs.map(([a, b]) => ({
    segments: [a, b] as const,
    members: sizes[a] ?? 0,
    runs: runs.filter((run) => run.segments.includes(a) && run.segments.includes(b)).map((run) => run.runId),
  }));
}
