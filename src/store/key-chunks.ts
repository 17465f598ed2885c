import type { Sql } from '../dialect/sql.js';
import type { Store } from './store.js';

/**
 * `work` for each chunk of `keys` one query of the store takes (`keysPerQuery`: all of them on
 * DuckDB, a thousand on ClickHouse), given as the fragment `withKeys` makes (a temporary table
 * joined, not a list of literals) and alive while `work` runs.
 */
export async function withKeyChunks(
  store: Store,
  keys: readonly string[],
  work: (chunk: readonly string[], fragment: Sql) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < keys.length; start += store.keysPerQuery) {
    const chunk = keys.slice(start, start + store.keysPerQuery);
    await store.withKeys(chunk, (fragment) => work(chunk, fragment));
  }
}
