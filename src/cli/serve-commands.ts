import type { Command } from 'commander';
import { action } from './action.js';
import { createOutput } from './output.js';

/**
 * The commands of the server and what it keeps: `serve`, the webhook outbox, the ingestion
 * quarantine and API keys (registered apart from program.ts).
 */
export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description(
      'the HTTP API: Segment-spec ingestion (/v1/track, identify, group, page, batch) into the store',
    )
    .option('--port <n>', 'port (0 picks a free one)', '8080')
    .option('--host <address>', 'address to bind (loopback unless told otherwise)', '127.0.0.1')
    .option('--apply-every <ms>', 'how often logged messages are applied to the store', '1000')
    .option(
      '--rate-limit <n>',
      'requests a minute per API key (without a valid key: 600 per address)',
      '60000',
    )
    .option(
      '--sweep-every <duration>',
      'how often every account is evaluated again for triggers whose segments move with time (30s, 5min, 1h)',
      '1min',
    )
    .option(
      '--request-timeout <duration>',
      'longest time a client may take to send one request, headers and body (10s at most for the headers)',
      '30s',
    )
    .option('--max-connections <n>', 'connections open at once; more are closed as they arrive', '1000')
    .option(
      '--trust-proxy <addresses>',
      'the reverse proxies whose X-Forwarded-For names the client: addresses or CIDR ranges (127.0.0.1,10.0.0.0/8), or true for any',
    )
    .action(
      action(async (o) =>
        (await import('./commands/serve.js')).runServe(
          {
            workspace: o.workspace,
            port: o.port as string,
            host: o.host as string,
            applyEvery: o.applyEvery as string,
            rateLimit: o.rateLimit as string,
            sweepEvery: o.sweepEvery as string,
            requestTimeout: o.requestTimeout as string,
            maxConnections: o.maxConnections as string,
            ...(o.trustProxy ? { trustProxy: o.trustProxy as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  const webhooks = program.command('webhooks').description('the webhook outbox of strata serve');
  webhooks
    .command('deliveries')
    .description('deliveries, newest first (pending, delivered, dead)')
    .option('--status <status>', 'pending, delivered or dead')
    .option('--webhook <name>', 'one webhook of strata.yaml')
    .option('--limit <n>', 'at most this many', '100')
    .action(
      action(async (o) =>
        (await import('./commands/webhooks.js')).runWebhookDeliveries(
          {
            workspace: o.workspace,
            limit: o.limit as string,
            ...(o.status ? { status: o.status as string } : {}),
            ...(o.webhook ? { webhook: o.webhook as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );
  webhooks
    .command('replay')
    .description('send dead deliveries again (with --delivered, delivered ones too)')
    .option('--webhook <name>', 'only this webhook')
    .option('--id <id...>', 'only these deliveries')
    .option('--since <time>', 'only deliveries created since this ISO time')
    .option('--delivered', 'delivered ones too')
    .action(
      action(async (o) =>
        (await import('./commands/webhooks.js')).runWebhookReplay(
          {
            workspace: o.workspace,
            ...(o.webhook ? { webhook: o.webhook as string } : {}),
            ...(o.id ? { id: o.id as string[] } : {}),
            ...(o.since ? { since: o.since as string } : {}),
            ...(o.delivered ? { delivered: true } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  const ingest = program.command('ingest').description('the ingestion log of strata serve');
  ingest
    .command('quarantine')
    .description('logged records that could not be applied; --replay applies them again')
    .option('--replay', 'apply them again (after a fix); those that still fail stay')
    .option('--repair', 'with --replay: remove NULs and replace broken characters (lone surrogates) first')
    .option('--id <id...>', 'only these records')
    .action(
      action(async (o) =>
        (await import('./commands/ingest.js')).runIngestQuarantine(
          {
            workspace: o.workspace,
            ...(o.replay ? { replay: true } : {}),
            ...(o.repair ? { repair: true } : {}),
            ...(o.id ? { id: o.id as string[] } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  const keys = program.command('keys').description('API keys for `strata serve` (stored hashed)');
  keys
    .command('create')
    .description('create a key and print it, once')
    .requiredOption('--scope <scope>', 'write (send events), read (read segments and profiles) or admin')
    .option('--name <name>', 'what the key is for', '')
    .action(
      action(async (o) =>
        (await import('./commands/keys.js')).runKeysCreate(
          { workspace: o.workspace, scope: o.scope as string, name: o.name as string },
          createOutput(o),
        ),
      ),
    );
  keys
    .command('list')
    .description('every key: id, scope, name, dates (never the key itself)')
    .action(
      action(async (o) =>
        (await import('./commands/keys.js')).runKeysList({ workspace: o.workspace }, createOutput(o)),
      ),
    );
  keys
    .command('revoke <id>')
    .description('stop a key from working')
    .action(
      action(async (o, id: string) =>
        (await import('./commands/keys.js')).runKeysRevoke({ workspace: o.workspace, id }, createOutput(o)),
      ),
    );
}
