import { StrataError } from '../errors.js';
import { resolveInWorkspace, type Workspace } from '../workspace/load-workspace.js';
import { DuckDBStore } from './duckdb/duckdb-store.js';
import type { Store } from './store.js';

/** Opens the store a workspace names (DuckDB file by default). */
export async function openStore(workspace: Workspace): Promise<Store> {
  const config = workspace.config.store;
  switch (config.engine) {
    case 'duckdb':
      return DuckDBStore.open(resolveInWorkspace(workspace, config.path), {
        ...(config.memoryLimit ? { memoryLimit: config.memoryLimit } : {}),
      });
    case 'clickhouse':
      throw new StrataError(
        'engine_unavailable',
        'the ClickHouse engine is not available in this version of Strata yet; use engine: duckdb',
        { file: workspace.file, path: 'store.engine' },
      );
  }
}
