import { randomUUID } from 'node:crypto';
import { type CompiledLayers, compileLayers } from '../compile/compile-workspace.js';
import type { Sql } from '../dialect/sql.js';
import { accountRows } from '../identity/account-rows.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';

/**
 * Evaluates the workspace at `asOf` inside the database into a scratch table (one row per
 * account: metric columns and segment flags, and with `leaves` each leaf's truth and value) and returns its quoted name; nothing is read
 * back into JavaScript. The caller drops it with `store.dropScratch` when done.
 */
export async function evaluateWorkspace(
  store: Store,
  workspace: Workspace,
  asOf: Date,
  onProgress?: (fraction: number) => void,
  options: { readonly leaves?: boolean } = {},
): Promise<Sql> {
  const layers = compileLayers(store.dialect, {
    metrics: workspace.metrics,
    segments: workspace.segments,
    asOf,
    rows: await accountRows(store, workspace.config.identity),
    // A run keeps its segments' leaves, so the next run can say what changed.
    ...(options.leaves ? { explain: 'leaves' as const } : {}),
  });
  return evaluateLayers(store, layers, 'strata_evaluation', onProgress);
}

/**
 * Writes compiled layers into a new scratch table (named from `prefix`) and returns its
 * quoted name. A dialect without window functions gets the base layer in a table first:
 * its ranks and positions read it several times.
 */
export async function evaluateLayers(
  store: Store,
  layers: CompiledLayers,
  prefix: string,
  onProgress?: (fraction: number) => void,
): Promise<Sql> {
  const sql = store.dialect.sql;
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  if (!layers.needsTable) {
    await store.createScratch(name, layers.finish(sql`(${layers.base})`), onProgress);
    return sql.id(name);
  }
  const base = `${name}_base`;
  await store.createScratch(base, layers.base, (f) => onProgress?.(f * 0.9));
  try {
    await store.createScratch(name, layers.finish(sql.id(base)));
  } finally {
    await store.dropScratch(base);
  }
  onProgress?.(1);
  return sql.id(name);
}
