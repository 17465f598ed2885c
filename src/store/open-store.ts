import { resolveInWorkspace, type Workspace } from '../workspace/load-workspace.js';
import { ClickHouseStore } from './clickhouse/clickhouse-store.js';
import { DuckDBStore } from './duckdb/duckdb-store.js';
import { heldStore } from './held-store.js';
import type { Store } from './store.js';

/**
 * Opens the store a workspace names (DuckDB file by default). Inside `strata serve`'s run of a
 * CLI command, the DuckDB file the server holds is lent instead (held-store.ts).
 */
export async function openStore(workspace: Workspace): Promise<Store> {
  const config = workspace.config.store;
  switch (config.engine) {
    case 'duckdb': {
      const path = resolveInWorkspace(workspace, config.path);
      return (
        heldStore(path) ??
        DuckDBStore.open(path, { ...(config.memoryLimit ? { memoryLimit: config.memoryLimit } : {}) })
      );
    }
    case 'clickhouse':
      return ClickHouseStore.open({
        url: config.url,
        database: config.database,
        ...(config.cluster ? { cluster: config.cluster } : {}),
        ...(config.shards ? { shards: config.shards } : {}),
      });
  }
}
