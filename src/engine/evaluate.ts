import { compileWorkspace } from '../compile/compile-workspace.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';

/** Name of the temp table an evaluation leaves its per-account rows in. */
export const EVALUATION_TABLE = 'strata_evaluation';

/**
 * Evaluates the workspace at `asOf` inside the database into a temp table (one row per
 * account: metric columns and segment flags); nothing is read back into JavaScript.
 */
export async function evaluateWorkspace(
  store: Store,
  workspace: Workspace,
  asOf: Date,
  onProgress?: (fraction: number) => void,
): Promise<string> {
  const table = store.dialect.quoteIdentifier(EVALUATION_TABLE);
  const sql = compileWorkspace(store.dialect, {
    metrics: workspace.metrics,
    segments: workspace.segments,
    asOf,
  });
  await store.execute(`DROP TABLE IF EXISTS ${table}`);
  await store.withProgress(`CREATE TEMP TABLE ${table} AS ${sql}`, onProgress);
  return table;
}
