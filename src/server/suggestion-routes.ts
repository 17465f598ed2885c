import { ROUTES } from '../contract/routes.js';
import type { Suggestions } from '../contract/suggestion-answers.js';
import { type Suggestion, suggestAccounts, suggestEvents } from '../engine/read-queries.js';
import { listRuns, readRun } from '../engine/run-snapshot.js';
import { knownMetrics } from '../language/metric-kinds.js';
import { ownValue } from '../own-key.js';
import type { Serve } from './contract-routes.js';
import type { ReadContext } from './read-routes.js';

/**
 * GET /v1/suggestions (read keys): what a dashboard box may hold, beginning with what was
 * typed. Event names and accounts come from the store (bounded queries in
 * src/engine/read-queries.ts); metrics and segments from the workspace, segments with their
 * sizes in the latest run.
 */

/** Names beginning with `prefix`, case-insensitive, as the store's queries match them. */
const begins = (prefix: string) => {
  const lower = prefix.toLowerCase();
  return (name: string) => name.toLowerCase().startsWith(lower);
};

export function registerSuggestionRoutes(serve: Serve, { workspace, store, withStore }: ReadContext): void {
  serve(ROUTES.suggestions, {
    handler: async ({ query }): Promise<Suggestions> => {
      const { field, prefix, limit } = query;
      const matches = begins(prefix);
      let values: Suggestion[];
      let run: Suggestions['run'] = null;
      if (field === 'event') values = await withStore(() => suggestEvents(store, prefix, limit));
      else if (field === 'account') values = await withStore(() => suggestAccounts(store, prefix, limit));
      else if (field === 'metric')
        values = knownMetrics(workspace.metrics)
          .filter((m) => matches(m.name))
          .slice(0, limit)
          .map((m) => ({ value: m.name, label: m.kind, count: null }));
      else {
        const latest = await withStore(async () =>
          (await listRuns(store)).length === 0 ? undefined : await readRun(store),
        );
        const sizes = latest?.sizes.segments;
        // The counts' time, said as every answer from a run says it.
        run = latest ? { runId: latest.runId, asOf: latest.asOf } : null;
        values = workspace.segments
          .filter((s) => matches(s.id))
          .slice(0, limit)
          .map((s) => ({ value: s.id, label: s.framework, count: ownValue(sizes, s.id) ?? null }));
      }
      return { field, prefix, run, values };
    },
  });
}
