import { TABLE_NAMES, type TableName } from '../model/tables.js';
import type { ImportResult, Store } from './store.js';
import { pathInWorkspace, type SourceConfig } from './store-config.js';

/**
 * Imports every source named in strata.yaml, in dependency order (accounts before the
 * tables that refer to them). Each file is its own atomic import: a bad file stops the
 * run with its error, and the files imported before it stay imported.
 */
export async function importSources(
  store: Store,
  /** A loaded workspace: its folder (relative files start there) and its `sources:` section. */
  workspace: {
    readonly dir: string;
    readonly config: { readonly sources: Readonly<Record<string, SourceConfig>> };
  },
  onProgress?: (table: TableName, fraction: number) => void,
): Promise<ImportResult[]> {
  const results: ImportResult[] = [];
  for (const table of TABLE_NAMES) {
    const source = workspace.config.sources[table];
    if (!source) continue;
    results.push(
      await store.importFile({
        table,
        file: pathInWorkspace(workspace.dir, source.file),
        ...(source.format ? { format: source.format } : {}),
        ...(source.map ? { map: source.map } : {}),
        ...(source.skipInvalid ? { skipInvalid: source.skipInvalid } : {}),
        ...(onProgress ? { onProgress: (fraction: number) => onProgress(table, fraction) } : {}),
      }),
    );
  }
  return results;
}
