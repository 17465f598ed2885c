import { randomUUID } from 'node:crypto';
import { compileLayers } from '../compile/compile-workspace.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';

/**
 * Evaluates the workspace at `asOf` inside the database into a scratch table (one row per
 * account: metric columns and segment flags) and returns its quoted name; nothing is read
 * back into JavaScript. The caller drops it with `store.dropScratch` when done.
 */
export async function evaluateWorkspace(
  store: Store,
  workspace: Workspace,
  asOf: Date,
  onProgress?: (fraction: number) => void,
): Promise<string> {
  const layers = compileLayers(store.dialect, {
    metrics: workspace.metrics,
    segments: workspace.segments,
    asOf,
  });
  const name = `strata_evaluation_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  if (!layers.needsTable) {
    await store.createScratch(name, layers.finish(`(${layers.base})`), onProgress);
    return store.dialect.quoteIdentifier(name);
  }
  // Without window functions the ranks read the base layer several times: keep it in a table.
  const base = `${name}_base`;
  await store.createScratch(base, layers.base, (f) => onProgress?.(f * 0.9));
  try {
    await store.createScratch(name, layers.finish(store.dialect.quoteIdentifier(base)));
  } finally {
    await store.dropScratch(base);
  }
  onProgress?.(1);
  return store.dialect.quoteIdentifier(name);
}
