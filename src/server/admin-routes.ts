import type { ActivationDb } from '../activate/activation-db.js';
import type { Scheduler } from '../activate/schedules.js';
import type { WebhookSender } from '../activate/webhooks.js';
import { ROUTES } from '../contract/routes.js';
import { hasOwnKey } from '../own-key.js';
import type { Serve } from './contract-routes.js';

/**
 * Admin routes (admin keys): the webhook deliveries, replaying dead ones while the server
 * runs (it holds the activation file; `strata webhooks replay` works when it is stopped),
 * and running a schedule now.
 */
export function registerAdminRoutes(
  serve: Serve,
  options: {
    readonly activation: ActivationDb;
    readonly webhooks: WebhookSender;
    readonly scheduler: Scheduler;
  },
): void {
  serve(ROUTES.deliveries, {
    invalid: 'invalid_request',
    handler: async ({ query: { limit, status, webhook } }) => ({
      deliveries: await options.activation.list({
        limit,
        ...(status ? { status } : {}),
        ...(webhook ? { webhook } : {}),
      }),
    }),
  });
  serve(ROUTES.webhookReplay, {
    invalid: 'invalid_request',
    handler: async ({ body: { since, ...rest } }) => {
      const replayed = await options.activation.replay(
        { ...rest, ...(since ? { since: since.getTime() } : {}) },
        Date.now(),
      );
      void options.webhooks.deliverDue();
      return { replayed };
    },
  });
  serve(ROUTES.scheduleRun, {
    handler: async ({ params: { name }, reply }) => {
      if (!hasOwnKey(options.scheduler.schedules, name))
        return reply.code(404).send({ error: 'not_found', message: `no schedule '${name}' in strata.yaml` });
      const { report, events } = await options.scheduler.run(name);
      void options.webhooks.deliverDue();
      return { schedule: name, runId: report.runId, asOf: report.asOf, events };
    },
  });
}
