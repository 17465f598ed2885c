import { openStore } from '../../store/open-store.js';
import type { Store, TableStats } from '../../store/store.js';
import { loadWorkspace } from '../../workspace/load-workspace.js';
import type { StatusInput } from '../commands/status.js';
import { count, formatTable, type Output } from '../output.js';

/** Renders table statistics: rows and time range per table. */
export function renderStats(stats: readonly TableStats[]): string {
  return formatTable(
    ['table', 'rows', 'from', 'to'],
    stats.map((s) => [s.table, s.rows, s.from?.slice(0, 10) ?? '', s.to?.slice(0, 10) ?? '']),
    { kinds: [undefined, 'count'] },
  );
}

/** Everything `status` reports about a store. */
export async function describeStore(store: Store) {
  return {
    location: store.location,
    schemaVersion: await store.schemaVersion(),
    tables: await store.stats(),
  };
}

/** `strata status`: where the data lives, its schema version, and rows per table. */
export async function runStatus(options: StatusInput, output: Output) {
  const workspace = loadWorkspace(options.workspace);
  const store = await openStore(workspace);
  try {
    const summary = await describeStore(store);
    output.result(summary, () =>
      [`${summary.location} (schema v${summary.schemaVersion})`, '', renderStats(summary.tables)].join('\n'),
    );
    return summary;
  } finally {
    await store.close();
  }
}

export { count };
