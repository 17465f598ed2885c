import { createHash } from 'node:crypto';
import { metricColumn, segmentColumn } from '../compile/compile-workspace.js';
import { MetricCompiler } from '../compile/metric-sql.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { checkNames } from './check-names.js';
import { evaluateWorkspace } from './evaluate.js';
import { describeRun, type RunReport } from './run-report.js';

/** Primary-assignment expression of a scheme: the first segment in `order` that matches wins. */
export function schemeCase(store: Store, order: readonly string[], fallback: string, alias = ''): string {
  const q = store.dialect.quoteIdentifier;
  const whens = order.map((id) => `WHEN ${alias}${q(segmentColumn(id))} THEN ${store.dialect.literal(id)}`);
  return `CASE ${whens.join(' ')} ELSE ${store.dialect.literal(fallback)} END`;
}

/**
 * `strata run`: evaluates the workspace at `asOf` and writes an immutable snapshot (run
 * row, memberships, primary assignment per scheme, metric values) in ONE transaction,
 * so a run stopped at any point (kill -9 included) leaves no partial snapshot.
 */
export async function runWorkspace(
  store: Store,
  workspace: Workspace,
  asOf: Date,
  onProgress?: (fraction: number) => void,
): Promise<RunReport> {
  const started = performance.now();
  const q = store.dialect.quoteIdentifier;
  const lit = store.dialect.literal;
  const nameWarnings = await checkNames(store, workspace);
  const evaluation = await evaluateWorkspace(store, workspace, asOf, onProgress);
  const hash = createHash('sha256').update(workspace.text).digest('hex');
  const schemes = workspace.config.schemes;

  const runId = await store.transaction(async () => {
    const [last] = await store.query<{ id: number | null }>('SELECT max(run_id) AS id FROM strata_runs');
    const id = (last?.id ?? 0) + 1;
    const [count] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM ${evaluation}`);
    await store.execute(
      `INSERT INTO strata_runs VALUES (${lit(id)}, ${lit(asOf)}, ${lit(new Date())}, ${lit(hash)}, ${lit(count?.n ?? 0)},
        ${lit(JSON.stringify(workspace.segments.map((s) => s.id)))}, ${lit(JSON.stringify(schemes))})`,
    );
    // One statement per snapshot table: the engine plans the branches as one pipeline.
    const memberships = workspace.segments.map(
      (segment) =>
        `SELECT ${lit(id)}, ${lit(segment.id)}, account_id FROM ${evaluation} WHERE ${q(segmentColumn(segment.id))}`,
    );
    if (memberships.length > 0)
      await store.execute(`INSERT INTO strata_memberships ${memberships.join(' UNION ALL ')}`);
    const assignments = Object.entries(schemes).map(
      ([scheme, { order, fallback }]) =>
        `SELECT ${lit(id)}, ${lit(scheme)}, account_id, ${schemeCase(store, order, fallback)} FROM ${evaluation}`,
    );
    if (assignments.length > 0)
      await store.execute(`INSERT INTO strata_assignments ${assignments.join(' UNION ALL ')}`);
    const values = Object.keys(workspace.metrics).map((name) => {
      const column = q(metricColumn(name));
      const text = MetricCompiler.isText(name, workspace.metrics);
      return `SELECT ${lit(id)}, account_id, ${lit(name)}, ${text ? 'NULL' : `CAST(${column} AS DOUBLE)`},
        ${text ? `CAST(${column} AS VARCHAR)` : 'CAST(NULL AS VARCHAR)'} FROM ${evaluation}`;
    });
    if (values.length > 0)
      await store.execute(`INSERT INTO strata_metric_values ${values.join(' UNION ALL ')}`);
    return id;
  });
  const report = await describeRun(store, workspace, runId, (performance.now() - started) / 1000);
  return { ...report, warnings: [...nameWarnings, ...report.warnings] };
}
