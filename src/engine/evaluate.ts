import { randomUUID } from 'node:crypto';
import {
  type CompiledLayers,
  type CompileInput,
  compileLayers,
  scannedTables,
} from '../compile/compile-workspace.js';
import type { AccountRows } from '../compile/scan-registry.js';
import type { Sql } from '../dialect/sql.js';
import { accountRows } from '../identity/account-rows.js';
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
): Promise<Sql> {
  return evaluateLayers(
    store,
    await workspaceLayers(store, workspace, asOf),
    'strata_evaluation',
    onProgress,
  );
}

/**
 * The workspace compiled at `asOf` over the accounts' rows as its identity rules give them;
 * with `explain: 'leaves'` also each segment leaf's truth and value (a run keeps its leaves,
 * so the next run can say what changed).
 */
export async function workspaceLayers(
  store: Store,
  workspace: Workspace,
  asOf: Date,
  explain?: 'leaves',
): Promise<CompiledLayers> {
  const input = {
    metrics: workspace.metrics,
    segments: workspace.segments,
    asOf,
    ...(explain ? { explain } : {}),
  };
  return compileLayers(store.dialect, { ...input, rows: await rowsFor(store, workspace, input) });
}

/**
 * The accounts' rows under the workspace's identity rules, the users' links worked out only
 * when the compiled input counts users (`seats`): the domain rule matches every user's email
 * domain against the accounts' (about 0.4-0.7 s of CPU at 1.65M users), for nothing when no
 * metric reads them.
 */
export async function rowsFor(
  store: Store,
  workspace: Workspace,
  input: Omit<CompileInput, 'rows'>,
): Promise<AccountRows> {
  const users = scannedTables(store.dialect, input).has('users');
  return accountRows(store, workspace.config.identity, { users });
}

/**
 * Writes compiled layers into a new scratch table (named from `prefix`) and returns its
 * quoted name.
 */
export async function evaluateLayers(
  store: Store,
  layers: CompiledLayers,
  prefix: string,
  onProgress?: (fraction: number) => void,
): Promise<Sql> {
  const name = scratchName(prefix);
  await writeLayers(
    store,
    layers,
    `${name}_base`,
    (select, progress) => store.createScratch(name, select, progress),
    onProgress,
  );
  return store.dialect.sql.id(name);
}

/** A new scratch table's name (unquoted): `prefix` and a random part. */
export const scratchName = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

/**
 * Hands the compiled layers' final query to `write` (which makes a table of it: a scratch, or
 * a run's own table, so a run writes its rows once rather than copying a scratch table). A
 * dialect without window functions gets the base layer in a scratch table first (`base`, dropped
 * once `write` is done): its ranks and positions read it several times.
 */
export async function writeLayers(
  store: Store,
  layers: CompiledLayers,
  base: string,
  write: (select: Sql, onProgress?: (fraction: number) => void) => Promise<void>,
  onProgress?: (fraction: number) => void,
): Promise<void> {
  const sql = store.dialect.sql;
  if (!layers.needsTable) {
    await write(layers.finish(sql`(${layers.base})`), onProgress);
    return;
  }
  await store.createScratch(base, layers.base, (f) => onProgress?.(f * 0.9));
  try {
    await write(layers.finish(sql.id(base)));
  } finally {
    await store.dropScratch(base);
  }
  onProgress?.(1);
}
