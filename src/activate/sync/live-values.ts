import { compileLayers } from '../../compile/compile-workspace.js';
import type { Sql } from '../../dialect/sql.js';
import { evaluateLayers } from '../../engine/evaluate.js';
import { listRuns, readRun, runTableColumns, type StoredRun } from '../../engine/run-snapshot.js';
import { accountRows } from '../../identity/account-rows.js';
import type { Store } from '../../store/store.js';
import type { Destination } from '../../workspace/destination-schema.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import { segmentDependence } from '../dependence.js';

/**
 * The values a real-time sync writes (`sync: realtime`): the workspace evaluated at `at` for
 * the accounts a trigger just saw change (every metric and segment, each scheme from its
 * order), in the layout of a stored run's table, so that `desiredSql` reads it as it reads a
 * run. Only those accounts' rows are read, unless a segment or a mapped metric compares
 * accounts (ranks, percentiles, roll-ups need everyone's values). The scratch table is
 * dropped once `use` is done with it.
 */
export async function withLiveRun<R>(
  store: Store,
  workspace: Workspace,
  destination: Destination,
  /** `accounts` null: every account (after a sweep that changed too many to list). */
  live: { readonly at: Date; readonly accounts: readonly string[] | null },
  use: (run: StoredRun) => Promise<R>,
): Promise<R> {
  const { sql } = store.dialect;
  const latest = (await listRuns(store)).length > 0 ? await readRun(store) : null;
  const segments = workspace.segments.map((segment) => segment.id);
  const metrics = Object.keys(workspace.metrics);
  const schemeOrder = Object.fromEntries(
    Object.entries(workspace.config.schemes).map(([id, s]) => [id, { order: s.order, fallback: s.fallback }]),
  );
  const mapped = Object.values(destination.fields).flatMap((value) =>
    typeof value === 'object' && 'metric' in value ? [value.metric] : [],
  );
  const { accounts } = live;
  // The accounts as the store's key relation (a temporary table on DuckDB), not literals.
  if (accounts !== null) return store.withKeys(accounts, (keys) => evaluateLive(keys, accounts));
  return evaluateLive(null, null);

  async function evaluateLive(keys: Sql | null, accounts: readonly string[] | null): Promise<R> {
    const scoped =
      accounts !== null && keys !== null && !segmentDependence(workspace, segments, mapped).others;
    const rows = await accountRows(store, workspace.config.identity, scoped ? { accounts, keys } : {});
    const layers = compileLayers(store.dialect, {
      metrics: workspace.metrics,
      segments: workspace.segments,
      asOf: live.at,
      rows,
    });
    const table = await evaluateLayers(store, layers, 'strata_live_sync');
    try {
      const among = keys === null ? sql.empty : sql`WHERE account_id IN ${keys}`;
      return await use({
        // The sync log names the latest run beside this evaluation's own time (its values' as-of).
        runId: latest?.runId ?? 0,
        asOf: live.at.toISOString(),
        createdAt: live.at.toISOString(),
        workspaceHash: latest?.workspaceHash ?? '',
        accounts: accounts?.length ?? 0,
        sizes: latest?.sizes ?? { segments: {}, schemes: {} },
        table: sql`(SELECT ${runTableColumns(store, { segments, metrics, schemes: schemeOrder })} FROM ${table} ${among})`,
        segments,
        metrics,
        schemes: Object.keys(schemeOrder),
        schemeOrder,
      });
    } finally {
      await store.dropScratch(table);
    }
  }
}
