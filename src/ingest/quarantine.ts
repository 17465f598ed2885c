import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LoggedMessage, MESSAGE_TYPES } from './segment-messages.js';
import { findTextProblem } from './storable-text.js';

/**
 * Records of the log that cannot be applied, kept aside so that the records after them flow
 * on (issue #18, item 1). The door refuses what cannot be stored, so a record lands here only
 * when it got past an older door (a log written by an earlier Strata), the log was edited or
 * damaged, or the store refused it for a reason of its own. Nothing is dropped: each record
 * is kept whole in `.strata/ingest/quarantine.ndjson` with why it failed, listed by
 * `strata ingest quarantine`, and applied again by `--replay` after a fix (`--repair`
 * replaces the characters that cannot be stored).
 */

/** A line of the log that is not JSON: kept as its text. */
export class UnreadableLine {
  constructor(readonly text: string) {}
}

export interface QuarantinedRecord {
  /** Stable for the same record: a hash of its text (quarantining it twice keeps one copy). */
  readonly id: string;
  readonly quarantinedAt: string;
  readonly reason: string;
  /** The record as logged, or the text of a line that is not JSON. */
  readonly record: unknown;
  /** Whether `record` is the text of an unreadable line rather than a logged record. */
  readonly unreadable: boolean;
}

/** The id of a record: the first 16 hex digits of the SHA-256 of its JSON (or text). */
export function recordId(record: unknown): string {
  const text = record instanceof UnreadableLine ? record.text : JSON.stringify(record);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * Why a record read from the log (or the pending file) cannot be applied as it is, or null.
 * The door's checks again, since the log may predate them, and the shape Strata writes.
 */
export function recordProblem(record: unknown): string | null {
  if (record instanceof UnreadableLine) return 'the line is not JSON (the log was damaged or edited)';
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return 'not a message object';
  const message = record as Partial<Record<keyof LoggedMessage, unknown>>;
  if (!MESSAGE_TYPES.includes(message.type as LoggedMessage['type']))
    return `type: expected one of ${MESSAGE_TYPES.join(', ')}`;
  for (const field of ['messageId', 'timestamp', 'receivedAt'] as const)
    if (typeof message[field] !== 'string') return `${field}: expected text`;
  for (const field of ['userId', 'anonymousId', 'groupId', 'event'] as const)
    if (message[field] !== null && typeof message[field] !== 'string')
      return `${field}: expected text or null`;
  if (message.userId === null && message.anonymousId === null)
    return 'userId: userId or anonymousId is required';
  if (message.type === 'group' && message.groupId === null) return 'groupId: required for a group call';
  for (const field of ['properties', 'traits'] as const) {
    const value = message[field];
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return `${field}: expected an object`;
  }
  // The record's own level counts once: properties may nest as deep as the door allows.
  const found = findTextProblem(record, '', -1);
  if (found) return `${found.path}: ${found.reason}`;
  return null;
}

export class Quarantine {
  private readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, 'quarantine.ndjson');
  }

  /** Every quarantined record, oldest first; a damaged line of the file itself is skipped, not fatal. */
  list(): QuarantinedRecord[] {
    if (!existsSync(this.file)) return [];
    const records: QuarantinedRecord[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as QuarantinedRecord);
      } catch {
        // Written by us whole and renamed into place; a line that is not JSON is not ours.
      }
    }
    return records;
  }

  get count(): number {
    return this.list().length;
  }

  /** Adds records (a record already kept gets the new reason); returns how many were new. */
  add(entries: readonly { record: unknown; reason: string }[]): number {
    if (entries.length === 0) return 0;
    const kept = new Map(this.list().map((entry) => [entry.id, entry]));
    const before = kept.size;
    const now = new Date().toISOString();
    for (const { record, reason } of entries) {
      const id = recordId(record);
      const unreadable = record instanceof UnreadableLine;
      kept.set(id, {
        id,
        quarantinedAt: kept.get(id)?.quarantinedAt ?? now,
        reason,
        record: unreadable ? record.text : record,
        unreadable,
      });
    }
    this.write([...kept.values()]);
    return kept.size - before;
  }

  /** Removes records by id. */
  remove(ids: ReadonlySet<string>): void {
    if (ids.size === 0) return;
    this.write(this.list().filter((entry) => !ids.has(entry.id)));
  }

  private write(entries: readonly QuarantinedRecord[]): void {
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    renameSync(temporary, this.file);
  }
}

/** The record a quarantined entry holds, as the applier reads it. */
export function quarantinedRecord(entry: QuarantinedRecord): unknown {
  return entry.unreadable ? new UnreadableLine(String(entry.record)) : entry.record;
}

/**
 * `--repair`: the record with each NUL removed and each lone surrogate replaced by U+FFFD
 * (what a UTF-8 decoder shows for a broken character), in keys and values at any depth.
 * Nesting deeper than the door allows is not repaired: such a record stays quarantined.
 */
export function repairText(value: unknown): unknown {
  if (typeof value === 'string') return repairString(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(repairText);
  const repaired: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    Object.defineProperty(repaired, repairString(key), {
      value: repairText(item),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return repaired;
}

const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function repairString(text: string): string {
  return text.replaceAll('\u0000', '').replace(LONE_SURROGATES, '\uFFFD');
}
