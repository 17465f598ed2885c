import { heldStore } from './held-store.js';
import type { Store } from './store.js';
import { pathInWorkspace, type StoreConfig } from './store-config.js';

/** What opening a store needs of a loaded workspace: its folder and its `store:` section. */
export interface StoreSite {
  /** Absolute path of the workspace folder, which relative paths in strata.yaml start from. */
  readonly dir: string;
  readonly config: { readonly store: StoreConfig };
}

/**
 * Opens the store a workspace names (DuckDB file by default). Inside `strata serve`'s run of a
 * CLI command, the DuckDB file the server holds is lent instead (held-store.ts).
 */
export async function openStore(workspace: StoreSite): Promise<Store> {
  // Each engine's module is loaded only when its engine is opened: a command pays at start-up
  // for one client, not both (@duckdb/node-api's native library takes ~200 ms to load,
  // @clickhouse/client ~50 ms).
  const config = workspace.config.store;
  switch (config.engine) {
    case 'duckdb': {
      const path = pathInWorkspace(workspace.dir, config.path);
      const held = heldStore(path);
      if (held) return held;
      const { DuckDBStore } = await import('./duckdb/duckdb-store.js');
      return DuckDBStore.open(path, { ...(config.memoryLimit ? { memoryLimit: config.memoryLimit } : {}) });
    }
    case 'clickhouse': {
      const { ClickHouseStore } = await import('./clickhouse/clickhouse-store.js');
      return ClickHouseStore.open({
        url: config.url,
        database: config.database,
        ...(config.cluster ? { cluster: config.cluster } : {}),
        ...(config.shards ? { shards: config.shards } : {}),
      });
    }
  }
}
