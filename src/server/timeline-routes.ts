import type { FastifyReply } from 'fastify';
import { ROUTES } from '../contract/routes.js';
import { explainMembership } from '../engine/explain-membership.js';
import { accountTimeline, segmentChanges } from '../engine/membership-timeline.js';
import { StrataError } from '../errors.js';
import { modelDrivers } from '../ml/model-drivers.js';
import type { Serve } from './contract-routes.js';
import type { ReadContext } from './read-routes.js';

/**
 * The audit trail's read API (read keys): why an account is in or out of each segment, its
 * timeline (every entry and exit with run, definition version and why) and a segment's
 * entries and exits since a time, as `strata explain`, `strata history` and
 * `strata segments changes` give them.
 */
export function registerTimelineRoutes(serve: Serve, { workspace, store, withStore }: ReadContext): void {
  /** Strata's own "not found" errors (unknown account, segment or run) as 404 answers. */
  const answer = async <T>(reply: FastifyReply, work: () => Promise<T>) =>
    withStore(async () => {
      try {
        return await work();
      } catch (error) {
        if (error instanceof StrataError)
          return reply.code(404).send({ error: 'not_found', message: error.message });
        throw error;
      }
    });

  // Why an account is in or out of each segment (or ?segment=one); ?run=N by that run's definition.
  serve(ROUTES.explain, {
    handler: async ({ params, query: { segment, run }, reply }) =>
      answer(reply, () =>
        explainMembership(store, workspace, params.id, {
          drivers: modelDrivers,
          ...(segment ? { segment } : {}),
          ...(run ? { runId: run } : {}),
        }),
      ),
  });

  serve(ROUTES.history, {
    handler: async ({ params, reply }) => answer(reply, () => accountTimeline(store, workspace, params.id)),
  });

  // ?since= as the CLI's --since: an ISO time, or a window back from the latest run's time.
  serve(ROUTES.changes, {
    handler: async ({ params, query: { since, limit, offset }, reply }) =>
      answer(reply, () =>
        segmentChanges(store, workspace, params.id, { limit, offset, ...(since ? { since } : {}) }),
      ),
  });
}
