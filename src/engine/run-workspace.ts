import { createHash } from 'node:crypto';
import { StrataError } from '../errors.js';
import { redactDefinition } from '../redact.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { leafColumnNames, recordChanges } from './audit-trail.js';
import { changedLeafValues } from './changed-leaf-values.js';
import { checkNames } from './check-names.js';
import { keepDefinition } from './definition-versions.js';
import { scratchName, workspaceLayers, writeLayers } from './evaluate.js';
import type { ChangeCounts } from './membership-diff.js';
import { describeRun, type RunReport } from './run-report.js';
import { measureSizes, previousRun, runTableColumns, runTableName } from './run-snapshot.js';

/**
 * The definition version a run records: the SHA-256 (hex) of strata.yaml's text as kept,
 * secrets redacted. A hash of the text with its password would let anyone who reads the
 * runs and the kept text guess the password offline; a new password is no new definition.
 */
export function workspaceHash(workspace: Workspace): string {
  return createHash('sha256').update(redactDefinition(workspace.text)).digest('hex');
}

/**
 * `strata run`: evaluates the workspace at `asOf` and writes an immutable snapshot (the
 * run's table of memberships, primary assignments and metric values, and its strata_runs
 * row) in ONE transaction, so a run stopped at any point (kill -9 included) leaves no
 * partial snapshot.
 *
 * A run is never dated before the latest run (refused, `run_before_latest`): runs are the
 * workspace's history and transitions go forward in time. An earlier time is looked at
 * without storing: `strata run --dry-run --as-of T` or `strata plan --as-of T`.
 */
export async function runWorkspace(
  store: Store,
  workspace: Workspace,
  asOf: Date,
  onProgress?: (fraction: number) => void,
): Promise<RunReport> {
  const started = performance.now();
  const sql = store.dialect.sql;
  const nameWarnings = await checkNames(store, workspace);
  await refuseEarlierThanLatest(store, asOf);
  const layers = await workspaceLayers(store, workspace, asOf, 'leaves');
  const hash = workspaceHash(workspace);
  const schemes = workspace.config.schemes;
  const segments = workspace.segments.map((s) => s.id);
  const metrics = Object.keys(workspace.metrics);

  let counts: ChangeCounts | null = null;
  const runId = await store.transaction(async () => {
    const [last] = await store.query<{ id: number }>(
      sql`SELECT run_id AS id FROM strata_runs ORDER BY run_id DESC LIMIT 1`,
    );
    const id = (last?.id ?? 0) + 1;
    // Again inside the transaction: another run may have been stored since the check above.
    await refuseEarlierThanLatest(store, asOf);
    const name = runTableName(id);
    const table = sql.id(name);
    // A table without its strata_runs row is the leftover of a run cut off on an engine
    // without transactions (ClickHouse): never visible, replaced here.
    await store.execute(sql`DROP TABLE IF EXISTS ${table}`);
    const previous = await previousRun(store, id);
    // The evaluation is written straight into the run's table (one write, no scratch copy),
    // with the leaf values the audit trail reads for the accounts that changed, dropped after.
    const trail = previous ? changedLeafValues(store, workspace, previous) : null;
    const columns = runTableColumns(store, {
      segments,
      metrics,
      schemes,
      leaves: leafColumnNames(workspace.segments),
    });
    await writeLayers(
      store,
      layers,
      `${scratchName('strata_evaluation')}_base`,
      (select, progress) =>
        store.createTableAs(
          name,
          trail && trail.columns.length > 0
            ? sql`SELECT ${columns}, ${sql.join(trail.select)} FROM (${select}) e${trail.join}`
            : sql`SELECT ${columns} FROM (${select}) e`,
          progress,
        ),
      onProgress,
    );
    await keepDefinition(store, hash, workspace.text);
    counts = await recordChanges(store, { runId: id, table, workspace, hash, previous });
    for (const column of trail?.columns ?? [])
      await store.execute(sql`ALTER TABLE ${table} DROP COLUMN ${sql.id(column)}`);
    const [count] = await store.query<{ n: number }>(sql`SELECT count(*) AS n FROM ${table}`);
    const sizes = await measureSizes(store, { table, segments, schemes: Object.keys(schemes) });
    await store.execute(
      sql`INSERT INTO strata_runs (run_id, as_of, created_at, workspace_hash, accounts, segments, schemes, metrics, sizes)
       VALUES (${id}, ${asOf}, ${new Date()}, ${hash}, ${count?.n ?? 0},
        ${JSON.stringify(segments)}, ${JSON.stringify(schemes)}, ${JSON.stringify(metrics)},
        ${JSON.stringify(sizes)})`,
    );
    return id;
  });
  // The run's changes were counted on the way: no second join of the two runs.
  const report = await describeRun(store, workspace, runId, (performance.now() - started) / 1000, counts);
  return { ...report, warnings: [...nameWarnings, ...report.warnings] };
}

/** Refuses a run dated before the latest stored run (see `runWorkspace`). */
async function refuseEarlierThanLatest(store: Store, asOf: Date): Promise<void> {
  const sql = store.dialect.sql;
  const [latest] = await store.query<{ id: number; as_of: string }>(
    sql`SELECT run_id AS id, ${store.dialect.fn.isoTimestamp(sql`as_of`)} AS as_of FROM strata_runs ORDER BY run_id DESC LIMIT 1`,
  );
  if (!latest || Date.parse(latest.as_of) <= asOf.getTime()) return;
  throw new StrataError(
    'run_before_latest',
    `cannot store a run as of ${asOf.toISOString()}: run ${latest.id} is as of ${latest.as_of}, and runs go forward in time so transitions do; to look at an earlier time without storing, use 'strata run --dry-run --as-of ${asOf.toISOString()}' or 'strata plan --as-of ${asOf.toISOString()}'`,
    {},
    { asOf: asOf.toISOString(), latestRun: latest.id, latestAsOf: latest.as_of },
  );
}
