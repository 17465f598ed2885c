import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ActivationDb } from '../activate/activation-db.js';
import type { Scheduler } from '../activate/schedules.js';
import type { WebhookSender } from '../activate/webhooks.js';
import { hasOwnKey } from '../own-key.js';
import { invalidInput, TimeParam } from './answers.js';

/**
 * Admin routes (admin keys): the webhook deliveries, replaying dead ones while the server
 * runs (it holds the activation file; `strata webhooks replay` works when it is stopped),
 * and running a schedule now.
 */

const Deliveries = z.object({
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
  webhook: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const Replay = z.object({
  ids: z.array(z.string().min(1)).optional(),
  webhook: z.string().min(1).optional(),
  // As the CLI's `webhooks replay --since`: an ISO date or time (2024-05-01 too).
  since: TimeParam.optional(),
  delivered: z.boolean().optional(),
});

export function registerAdminRoutes(
  app: FastifyInstance,
  options: {
    readonly activation: ActivationDb;
    readonly webhooks: WebhookSender;
    readonly scheduler: Scheduler;
    readonly guard: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  },
): void {
  app.get('/v1/admin/webhooks/deliveries', { preHandler: options.guard }, async (request, reply) => {
    const query = Deliveries.safeParse(request.query);
    if (!query.success) return invalidInput(reply, request, query.error, 'invalid_request');
    const { limit, status, webhook } = query.data;
    return {
      deliveries: await options.activation.list({
        limit,
        ...(status ? { status } : {}),
        ...(webhook ? { webhook } : {}),
      }),
    };
  });
  app.post('/v1/admin/webhooks/replay', { preHandler: options.guard }, async (request, reply) => {
    const body = Replay.safeParse(request.body ?? {});
    if (!body.success) return invalidInput(reply, request, body.error, 'invalid_request');
    const { since, ...rest } = body.data;
    const replayed = await options.activation.replay(
      { ...rest, ...(since ? { since: since.getTime() } : {}) },
      Date.now(),
    );
    void options.webhooks.deliverDue();
    return { replayed };
  });
  app.post<{ Params: { name: string } }>(
    '/v1/admin/schedules/:name/run',
    { preHandler: options.guard },
    async (request, reply) => {
      const { name } = request.params;
      if (!hasOwnKey(options.scheduler.schedules, name))
        return reply.code(404).send({ error: 'not_found', message: `no schedule '${name}' in strata.yaml` });
      const { report, events } = await options.scheduler.run(name);
      void options.webhooks.deliverDue();
      return { schedule: name, runId: report.runId, asOf: report.asOf, events };
    },
  );
}
