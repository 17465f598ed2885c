import { resolveInWorkspace, type Workspace } from '../workspace/load-workspace.js';
import { ClickHouseStore } from './clickhouse/clickhouse-store.js';
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
      return ClickHouseStore.open({
        url: config.url,
        database: config.database,
        ...(config.cluster ? { cluster: config.cluster } : {}),
        ...(config.shards ? { shards: config.shards } : {}),
      });
  }
}
