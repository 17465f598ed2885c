import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ActivationDb } from '../../activate/activation-db.js';
import { StrataError } from '../../errors.js';
import { plural } from '../../format/words.js';
import { hasOwnKey } from '../../own-key.js';
import { loadWorkspace } from '../../workspace/load-workspace.js';
import type { DeliveriesInput, ReplayInput } from '../commands/webhooks.js';
import { formatTable, type Output } from '../output.js';

/** Opens the server's activation file; a running server holds it, so then the admin API is the way. */
async function withActivation<T>(workspaceDir: string, work: (db: ActivationDb) => Promise<T>): Promise<T> {
  const path = join(workspaceDir, '.strata', 'activation.duckdb');
  if (!existsSync(path))
    throw new StrataError('no_deliveries', 'no webhook deliveries yet (strata serve keeps them)');
  let db: ActivationDb;
  try {
    db = await ActivationDb.open(path);
  } catch (error) {
    if (/lock/i.test((error as Error).message))
      throw new StrataError(
        'server_running',
        'strata serve is running and holds the deliveries: use its admin API (GET /v1/admin/webhooks/deliveries, POST /v1/admin/webhooks/replay with an admin key)',
      );
    throw error;
  }
  try {
    return await work(db);
  } finally {
    db.close();
  }
}

/** `strata webhooks deliveries [--status S] [--webhook W] [--limit N]`: the outbox, newest first. */
export async function runWebhookDeliveries(options: DeliveriesInput, output: Output) {
  const workspace = loadWorkspace(options.workspace);
  const rows = await withActivation(workspace.dir, (db) =>
    db.list({
      limit: options.limit,
      ...(options.status ? { status: options.status } : {}),
      ...(options.webhook ? { webhook: options.webhook } : {}),
    }),
  );
  output.result(rows, () =>
    formatTable(
      ['id', 'webhook', 'type', 'status', 'tries', 'created', 'last error'],
      rows.map((r) => [
        r.id,
        r.webhook,
        r.type,
        r.status,
        r.attempts,
        new Date(r.createdAt).toISOString().slice(0, 19),
        r.lastError ?? '',
      ]),
    ),
  );
  return rows;
}

/** `strata webhooks replay [--webhook W] [--id ID ...] [--since T] [--delivered]`: dead (or delivered) deliveries sent again. */
export async function runWebhookReplay(options: ReplayInput, output: Output) {
  const workspace = loadWorkspace(options.workspace);
  if (options.webhook && !hasOwnKey(workspace.config.webhooks, options.webhook))
    throw new StrataError('unknown_webhook', `unknown webhook '${options.webhook}' (strata.yaml webhooks:)`);
  const { since } = options;
  const replayed = await withActivation(workspace.dir, (db) =>
    db.replay(
      {
        ids: options.id,
        webhook: options.webhook,
        since: since?.getTime(),
        delivered: options.delivered,
      },
      Date.now(),
    ),
  );
  output.result(
    { replayed },
    () => `${plural(replayed, 'delivery', 'deliveries')} queued again; strata serve sends them when it runs`,
  );
  return replayed;
}
