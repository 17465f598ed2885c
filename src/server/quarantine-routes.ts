import { ROUTES } from '../contract/routes.js';
import {
  type Quarantine,
  type QuarantinedRecord,
  quarantinedRecord,
  recordId,
  repairText,
} from '../ingest/quarantine.js';
import { selectEntries } from '../ingest/replay-quarantine.js';
import type { WriteAheadLog } from '../ingest/write-ahead-log.js';
import type { Serve } from './contract-routes.js';

/**
 * Admin routes for the ingestion quarantine while the server runs (it holds the store, so
 * `strata ingest quarantine --replay` works only when it is stopped). A replay writes the
 * records to the log again, so they are applied as any message is (triggers included);
 * those that still cannot be applied come back to the quarantine.
 */
export function registerQuarantineRoutes(
  serve: Serve,
  options: {
    readonly quarantine: Quarantine;
    readonly log: WriteAheadLog;
    /** Applies what is logged; resolves once it is in the store. */
    readonly applyNow: () => Promise<unknown>;
  },
): void {
  serve(ROUTES.quarantine, { handler: async () => ({ records: options.quarantine.list() }) });
  serve(ROUTES.quarantineReplay, {
    invalid: 'invalid_request',
    handler: async ({ body }) => {
      const entries = selectEntries(options.quarantine.list(), body.ids);
      // A line that was never JSON cannot be written to the log as a record: it stays.
      const replayable = entries.filter((entry) => !entry.unreadable);
      const records = replayable.map((entry) => {
        const record = quarantinedRecord(entry);
        return body.repair ? repairText(record) : record;
      });
      await options.log.append(records);
      options.quarantine.remove(new Set(replayable.map((entry) => entry.id)));
      await options.applyNow();
      const kept = new Map(options.quarantine.list().map((entry) => [entry.id, entry]));
      const stillQuarantined: QuarantinedRecord[] = entries
        .filter((entry) => entry.unreadable)
        .concat(records.map((record) => kept.get(recordId(record))).filter((e) => e !== undefined));
      return {
        replayed: replayable.filter((_, index) => !kept.has(recordId(records[index]))).map((e) => e.id),
        stillQuarantined,
      };
    },
  });
}
