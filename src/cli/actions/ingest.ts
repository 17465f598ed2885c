import { join } from 'node:path';
import { StrataError } from '../../errors.js';
import { MessageApplier } from '../../ingest/apply-messages.js';
import { Quarantine, type QuarantinedRecord } from '../../ingest/quarantine.js';
import { replayQuarantine, selectEntries } from '../../ingest/replay-quarantine.js';
import { openStore } from '../../store/open-store.js';
import { loadWorkspace } from '../../workspace/load-workspace.js';
import type { QuarantineInput } from '../commands/ingest.js';
import { count, formatTable, type Output } from '../output.js';

const ingestDir = (workspaceDir: string) => join(workspaceDir, '.strata', 'ingest');

/** What a quarantined record was: its type, message id and account or user, for the table. */
function describe(entry: QuarantinedRecord): { type: string; messageId: string; who: string } {
  if (entry.unreadable || entry.record === null || typeof entry.record !== 'object')
    return { type: '(not JSON)', messageId: '', who: '' };
  const record = entry.record as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value).slice(1, -1) : '');
  return {
    type: text(record.type),
    messageId: text(record.messageId),
    who: text(record.groupId) || text(record.userId) || text(record.anonymousId),
  };
}

/**
 * `strata ingest quarantine [--replay [--repair]] [--id ID ...]`: the records of the
 * ingestion log that could not be applied, and applying them again. Listing works while
 * `strata serve` runs; replaying needs the store, which a running server holds (then its
 * admin API replays).
 */
export async function runIngestQuarantine(options: QuarantineInput, output: Output) {
  const workspace = loadWorkspace(options.workspace, { metricsOnly: true });
  const dir = ingestDir(workspace.dir);
  if (options.repair && !options.replay)
    throw new StrataError('invalid_argument', '--repair goes with --replay');
  if (!options.replay) {
    const entries = selectEntries(new Quarantine(dir).list(), options.id);
    output.result(entries, () =>
      entries.length === 0
        ? 'the quarantine is empty: every logged record was applied'
        : [
            formatTable(
              ['id', 'quarantined', 'type', 'message', 'account or user', 'why'],
              entries.map((entry) => {
                const { type, messageId, who } = describe(entry);
                return [entry.id, entry.quarantinedAt.slice(0, 19), type, messageId, who, entry.reason];
              }),
            ),
            '',
            `${count(entries.length)} quarantined; after a fix: strata ingest quarantine --replay (--repair removes NULs and broken characters)`,
          ].join('\n'),
    );
    return entries;
  }
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(workspace);
  } catch (error) {
    if (error instanceof StrataError && error.code === 'store_locked')
      throw new StrataError(
        'server_running',
        'strata serve is running and holds the store: replay through its admin API (POST /v1/admin/ingest/quarantine/replay with an admin key), or stop it first',
      );
    throw error;
  }
  try {
    const result = await replayQuarantine(new MessageApplier(store, dir, workspace.config.identity), {
      ...(options.id ? { ids: options.id } : {}),
      ...(options.repair ? { repair: true } : {}),
    });
    output.result(result, () =>
      [
        `replayed ${count(result.replayed.length)}; ${count(result.stillQuarantined.length)} still quarantined`,
        ...result.stillQuarantined.map((entry) => `  ${entry.id}: ${entry.reason}`),
      ].join('\n'),
    );
    if (result.stillQuarantined.length > 0) process.exitCode = 1;
    return result;
  } finally {
    await store.close();
  }
}
