import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

export const webhooks = { group: 'webhooks', description: 'the webhook outbox of strata serve' } as const;

const deliveriesSchema = (k: OptionKit) => ({
  status: k
    .choice('--status', ['pending', 'delivered', 'dead'], 'expected pending, delivered or dead')
    .optional(),
  webhook: k.z.string().optional(),
  limit: k.number('--limit', { whole: true, min: 0 }),
});
export type DeliveriesInput = CommandInput<ReturnType<typeof deliveriesSchema>>;

export const webhookDeliveries = defineCommand({
  name: 'webhooks deliveries',
  description: 'deliveries, newest first (pending, delivered, dead)',
  options: [
    { flags: '--status <status>', description: 'pending, delivered or dead' },
    { flags: '--webhook <name>', description: 'one webhook of strata.yaml' },
    { flags: '--limit <n>', description: 'at most this many', default: '100' },
  ],
  schema: deliveriesSchema,
  run: async (input, output) => (await import('../actions/webhooks.js')).runWebhookDeliveries(input, output),
});

const replaySchema = (k: OptionKit) => ({
  webhook: k.z.string().optional(),
  id: k.z.array(k.z.string()).optional(),
  since: k.time('--since').optional(),
  delivered: k.z.boolean().optional(),
});
export type ReplayInput = CommandInput<ReturnType<typeof replaySchema>>;

export const webhookReplay = defineCommand({
  name: 'webhooks replay',
  description: 'send dead deliveries again (with --delivered, delivered ones too)',
  options: [
    { flags: '--webhook <name>', description: 'only this webhook' },
    { flags: '--id <id...>', description: 'only these deliveries' },
    { flags: '--since <time>', description: 'only deliveries created since this ISO time' },
    { flags: '--delivered', description: 'delivered ones too' },
  ],
  schema: replaySchema,
  run: async (input, output) => (await import('../actions/webhooks.js')).runWebhookReplay(input, output),
});
