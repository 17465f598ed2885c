import { planSync, runSync, syncStatePath } from '../activate/sync/sync.js';
import { SyncStateDb } from '../activate/sync/sync-state.js';
import { ROUTES } from '../contract/routes.js';
import { StrataError } from '../errors.js';
import { hasOwnKey } from '../own-key.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import type { Serve } from './contract-routes.js';

/**
 * Routes of the CRM destinations (src/activate/sync), the API of `strata sync`: each
 * destination's latest sync, refused records and next writes (read keys: the dashboard's Plan
 * page shows them), and for admin keys the next sync's writes one by one, a sync now, dead
 * letters made due again. The store is held only while a sync reads the run, not while it
 * writes to the CRM.
 */
export function registerDestinationRoutes(
  serve: Serve,
  options: {
    readonly workspace: Workspace;
    readonly store: Store;
    readonly withStore: <T>(work: () => Promise<T>) => Promise<T>;
    readonly env?: NodeJS.ProcessEnv | undefined;
  },
): void {
  const { workspace, store, withStore } = options;
  const destinations = workspace.config.destinations;
  const withState = async <T>(work: (state: SyncStateDb) => Promise<T>): Promise<T> => {
    const state = await SyncStateDb.open(syncStatePath(workspace));
    try {
      return await work(state);
    } finally {
      state.close();
    }
  };
  const unknown = (name: string) => ({
    error: 'not_found',
    message: `no destination '${name}' in strata.yaml (destinations: ${Object.keys(destinations).join(', ') || 'none'})`,
  });

  serve(ROUTES.destinations, {
    handler: async () => {
      const answers = [];
      for (const [name, destination] of Object.entries(destinations)) {
        const { lastSync, failures } = await withState(async (state) => ({
          lastSync: (await state.log(name, 1))[0] ?? null,
          failures: await state.failureCounts(name),
        }));
        // The next sync's writes, counted (calls no CRM); a workspace without a run has none.
        const next = await withStore(() => planSync(store, workspace, name, { limit: 0 })).then(
          (plan) => ({
            next: {
              runId: plan.runId,
              asOf: plan.asOf,
              records: plan.records,
              pending: plan.pending,
              fields: plan.fields,
            },
            nextError: null,
          }),
          (error: unknown) => {
            if (error instanceof StrataError) return { next: null, nextError: error.message };
            throw error;
          },
        );
        answers.push({
          name,
          type: destination.type,
          object: destination.object,
          sync: destination.sync,
          lastSync,
          failures,
          ...next,
        });
      }
      return { destinations: answers };
    },
  });
  serve(ROUTES.destinationPlan, {
    invalid: 'invalid_request',
    handler: async ({ params: { name }, query: { limit }, reply }) => {
      if (!hasOwnKey(destinations, name)) return reply.code(404).send(unknown(name));
      return withStore(() => planSync(store, workspace, name, { limit }));
    },
  });
  serve(ROUTES.destinationRun, {
    handler: async ({ params: { name }, reply }) => {
      if (!hasOwnKey(destinations, name)) return reply.code(404).send(unknown(name));
      try {
        return await runSync(store, workspace, name, {
          storeTurn: withStore,
          ...(options.env ? { env: options.env } : {}),
        });
      } catch (error) {
        // The CRM failing past its retries is the CRM's answer (502); a destination not ready
        // (credentials unset, a field to create in Salesforce) is a conflict the admin resolves.
        if (error instanceof StrataError && error.code === 'sync_failed')
          return reply.code(502).send({ error: error.code, message: error.message });
        if (error instanceof StrataError && ['missing_credentials', 'crm_setup_needed'].includes(error.code))
          return reply.code(409).send({ error: error.code, message: error.message });
        throw error;
      }
    },
  });
  serve(ROUTES.destinationReplay, {
    invalid: 'invalid_request',
    handler: async ({ params: { name }, body: { records }, reply }) => {
      if (!hasOwnKey(destinations, name)) return reply.code(404).send(unknown(name));
      return { destination: name, replayed: await withState((state) => state.replay(name, records)) };
    },
  });
}
