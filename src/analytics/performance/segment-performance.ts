import { metricColumn, segmentColumn } from '../../compile/compile-workspace.js';
import { listRuns } from '../../engine/run-snapshot.js';
import { didYouMean, StrataError } from '../../errors.js';
import { isTextMetric } from '../../language/value-types.js';
import type { Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';

export interface SegmentPerformance {
  /** Numeric metrics reported (their mean over the members). */
  readonly metrics: readonly string[];
  readonly rows: readonly {
    readonly runId: number;
    readonly asOf: string;
    readonly segment: string;
    readonly accounts: number;
    /** Mean of each metric over the segment's members in that run (null when none had a value). */
    readonly means: Readonly<Record<string, number | null>>;
  }[];
}

/**
 * KPIs of segments snapshot by snapshot: members and the mean of each numeric metric, read
 * from the stored runs (one query per run over its table), so a segment's health can be
 * followed over time. Segments or metrics a run did not have are left out of that run.
 */
export async function segmentPerformance(
  store: Store,
  workspace: Workspace,
  options: { segments?: readonly string[]; metrics?: readonly string[] } = {},
): Promise<SegmentPerformance> {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const runs = await listRuns(store);
  const known = [...new Set(runs.flatMap((r) => r.segments))];
  for (const id of options.segments ?? []) {
    if (!known.includes(id))
      throw new StrataError('unknown_segment', `no run has segment '${id}'${didYouMean(id, known)}`);
  }
  const numeric = (name: string) => !isTextMetric(name, workspace.metrics);
  const allMetrics = [...new Set(runs.flatMap((r) => r.metrics))].filter(numeric);
  for (const name of options.metrics ?? []) {
    if (!allMetrics.includes(name)) {
      throw new StrataError(
        'unknown_metric',
        `no run has a numeric metric '${name}'${didYouMean(name, allMetrics)}`,
      );
    }
  }
  const metrics = options.metrics ?? allMetrics;
  const rows: SegmentPerformance['rows'][number][] = [];
  for (const run of runs) {
    const segments = (options.segments ?? run.segments).filter((id) => run.segments.includes(id));
    const present = metrics.filter((m) => run.metrics.includes(m));
    if (segments.length === 0) continue;
    const means = present.map((m, i) => sql`, avg(${fn.toDouble(q(metricColumn(m)))}) AS ${q(`m${i}`)}`);
    const parts = segments.map(
      (id) =>
        sql`SELECT ${id} AS segment, count(*) AS accounts${sql.join(means, sql.empty)}
         FROM ${run.table} WHERE ${q(segmentColumn(id))}`,
    );
    const result = await store.query<Record<string, unknown>>(sql.join(parts, sql` UNION ALL `));
    for (const id of segments) {
      const row = result.find((r) => r.segment === id) ?? {};
      rows.push({
        runId: run.runId,
        asOf: run.asOf,
        segment: id,
        accounts: Number(row.accounts ?? 0),
        means: Object.fromEntries(
          present.map((m, i) => {
            const value = row[`m${i}`];
            return [m, value === null || value === undefined ? null : Number(value)];
          }),
        ),
      });
    }
  }
  return { metrics, rows };
}
