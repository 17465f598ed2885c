import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { explainMembership } from '../engine/explain-membership.js';
import { accountTimeline, segmentChanges } from '../engine/membership-timeline.js';
import { StrataError } from '../errors.js';
import { modelDrivers } from '../ml/model-drivers.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { invalidInput, refuseUnstorableText, SinceParam } from './answers.js';

/**
 * The audit trail's read API (read keys): why an account is in or out of each segment, its
 * timeline (every entry and exit with run, definition version and why) and a segment's
 * entries and exits since a time, as `strata explain`, `strata history` and
 * `strata segments changes` give them.
 */
export function registerTimelineRoutes(
  app: FastifyInstance,
  options: {
    readonly workspace: Workspace;
    readonly store: Store;
    readonly withStore: <T>(work: () => Promise<T>) => Promise<T>;
    readonly guard: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  },
): void {
  const { workspace, store, withStore } = options;
  // Every route checks its key, then its parameters' text.
  const guard = [options.guard, refuseUnstorableText];
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

  const ExplainQuery = z.object({
    segment: z.string().min(1).optional(),
    run: z.coerce.number().int().min(1).optional(),
  });
  // Why an account is in or out of each segment (or ?segment=one); ?run=N by that run's definition.
  app.get<{ Params: { id: string } }>(
    '/v1/accounts/:id/explain',
    { preHandler: guard },
    async (request, reply) => {
      const query = ExplainQuery.safeParse(request.query);
      if (!query.success) return invalidInput(reply, request, query.error);
      const { segment, run } = query.data;
      return answer(reply, () =>
        explainMembership(store, workspace, request.params.id, {
          drivers: modelDrivers,
          ...(segment ? { segment } : {}),
          ...(run ? { runId: run } : {}),
        }),
      );
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/accounts/:id/history',
    { preHandler: guard },
    async (request, reply) => answer(reply, () => accountTimeline(store, workspace, request.params.id)),
  );

  const ChangesQuery = z.object({
    // As the CLI's --since: an ISO time, or a window back from the latest run's time.
    since: SinceParam.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  });
  app.get<{ Params: { id: string } }>(
    '/v1/segments/:id/changes',
    { preHandler: guard },
    async (request, reply) => {
      const query = ChangesQuery.safeParse(request.query);
      if (!query.success) return invalidInput(reply, request, query.error);
      const { since, limit, offset } = query.data;
      return answer(reply, () =>
        segmentChanges(store, workspace, request.params.id, {
          limit,
          offset,
          ...(since ? { since } : {}),
        }),
      );
    },
  );
}
