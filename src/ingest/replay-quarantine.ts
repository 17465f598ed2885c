import { StrataError } from '../errors.js';
import type { MessageApplier } from './apply-messages.js';
import {
  type QuarantinedRecord,
  quarantinedRecord,
  recordId,
  repairText,
  UnreadableLine,
} from './quarantine.js';

/**
 * Applies quarantined records again (after a fix to Strata, or with `repair` replacing the
 * characters that cannot be stored). A record applied leaves the quarantine; one that still
 * fails stays (with the new reason). A failing store throws before anything leaves it.
 */
export async function replayQuarantine(
  applier: MessageApplier,
  options: { readonly ids?: readonly string[]; readonly repair?: boolean } = {},
): Promise<{ replayed: string[]; stillQuarantined: QuarantinedRecord[] }> {
  const entries = selectEntries(applier.quarantine.list(), options.ids);
  const records = entries.map((entry) => {
    const record = quarantinedRecord(entry);
    return options.repair && !(record instanceof UnreadableLine) ? repairText(record) : record;
  });
  await applier.apply(records);
  // Kept again under the same id, or (repaired: a new record) under its own: then the original goes.
  const kept = new Map(applier.quarantine.list().map((entry) => [entry.id, entry]));
  const replayed: string[] = [];
  const stillQuarantined: QuarantinedRecord[] = [];
  const gone = new Set<string>();
  entries.forEach((entry, index) => {
    const now = kept.get(recordId(records[index]));
    if (now) stillQuarantined.push(now);
    else replayed.push(entry.id);
    if (now?.id !== entry.id) gone.add(entry.id);
  });
  applier.quarantine.remove(gone);
  return { replayed, stillQuarantined };
}

/** The entries named by `ids` (all without), refusing an id that is not quarantined. */
export function selectEntries(entries: QuarantinedRecord[], ids?: readonly string[]): QuarantinedRecord[] {
  if (!ids || ids.length === 0) return entries;
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length > 0)
    throw new StrataError(
      'not_quarantined',
      `not in the quarantine: ${unknown.join(', ')} (strata ingest quarantine lists what is)`,
    );
  return ids.map((id) => byId.get(id) as QuarantinedRecord);
}
