import { AsyncLocalStorage } from 'node:async_hooks';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { StrataError } from '../errors.js';
import type { Store } from './store.js';

/**
 * A store a process already holds open, lent to work that would otherwise open it again:
 * `strata serve` runs the CLI's commands on its own DuckDB file (DuckDB lets one process
 * write a file), so inside `withHeldStore` `openStore` answers with the held store, whose
 * `close` does nothing (the server closes it when it stops).
 */

interface Held {
  readonly store: Store;
  /** The file's real path, so `./x` and a symlink to it name the same store. */
  readonly path: string;
}

const held = new AsyncLocalStorage<Held>();

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Runs `work` with `store` (opened at `path`) lent to every `openStore` of that file within it. */
export function withHeldStore<T>(store: Store, path: string, work: () => Promise<T>): Promise<T> {
  return held.run({ store, path: realPath(path) }, work);
}

/**
 * The held store when `path` is its file; undefined outside `withHeldStore`. Inside it, another
 * file is refused: it would be opened by the server's process, for a client that meant another.
 */
export function heldStore(path: string): Store | undefined {
  const lent = held.getStore();
  if (!lent) return undefined;
  if (realPath(path) !== lent.path)
    throw new StrataError(
      'other_store',
      `strata serve holds ${lent.path}, but strata.yaml now names ${path}: restart strata serve to use it`,
      { file: path },
    );
  const { store } = lent;
  // Every member but close is the store's own, bound to it (its fields stay its own).
  return new Proxy(store, {
    get(target, key) {
      if (key === 'close') return async () => undefined;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
