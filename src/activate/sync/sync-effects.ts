import type { Sql } from '../../dialect/sql.js';
import { readRun, runTableColumns, type StoredRun } from '../../engine/run-snapshot.js';
import type { Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import { withPending } from './sync.js';

/** One destination's next sync, without and with an edit of strata.yaml. */
export interface DestinationEffect {
  readonly destination: string;
  readonly now: { readonly pending: number; readonly fields: Readonly<Record<string, number>> };
  readonly edited: { readonly pending: number; readonly fields: Readonly<Record<string, number>> };
}

/**
 * For `strata plan`: how many records (and which properties) each destination's next sync
 * would write as the workspace stands, and with the edit evaluated in `evaluation` (the plan's
 * evaluation table, every metric and segment, its schemes added here). Calls no CRM.
 */
export async function destinationEffects(
  store: Store,
  workspace: Workspace,
  evaluation: Sql,
): Promise<DestinationEffect[]> {
  const names = Object.keys(workspace.config.destinations);
  if (names.length === 0) return [];
  const latest = await readRun(store);
  const segments = workspace.segments.map((s) => s.id);
  const metrics = Object.keys(workspace.metrics);
  const schemes = Object.fromEntries(
    Object.entries(workspace.config.schemes).map(([id, s]) => [id, { order: s.order, fallback: s.fallback }]),
  );
  const edited: StoredRun = {
    ...latest,
    table: store.dialect
      .sql`(SELECT ${runTableColumns(store, { segments, metrics, schemes })} FROM ${evaluation})`,
    segments,
    schemes: Object.keys(schemes),
    metrics,
    schemeOrder: schemes,
  };
  const effects: DestinationEffect[] = [];
  for (const name of names) {
    const summary = (run: () => Promise<StoredRun>) =>
      withPending(
        store,
        workspace,
        name,
        async ({ summary: s }) => ({ pending: s.pending, fields: s.fields }),
        undefined,
        async (use) => use(await run()),
      );
    effects.push({
      destination: name,
      now: await summary(async () => latest),
      edited: await summary(async () => edited),
    });
  }
  return effects;
}
