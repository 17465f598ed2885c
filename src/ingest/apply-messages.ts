import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_IDENTITY, type IdentityConfig } from '../identity/identity-config.js';
import { linkedAccounts } from '../identity/identity-links.js';
import type { TableName } from '../model/tables.js';
import type { Store } from '../store/store.js';
import {
  ACCOUNT_FIELDS,
  asObject,
  fieldOf,
  own,
  type Row,
  sameValue,
  splitTraits,
  USER_FIELDS,
} from './message-traits.js';
import { Quarantine, recordProblem, UnreadableLine } from './quarantine.js';
import type { LoggedMessage } from './segment-messages.js';
import { storedRows, usersWithAccountlessEvents } from './stored-rows.js';
import { joinTouch, type Touched, touchedBy, untouched } from './touched.js';

/**
 * Applies logged messages to the store's tables: track and page calls become events,
 * identify calls users, group calls accounts (and link their user to the account), each
 * account field a group call changes a trait_history row. The rows go in through the
 * store's importer, so they are validated and idempotent on the tables' keys: events on
 * their messageId, accounts and users on their id (re-applying after a crash changes
 * nothing). Accounts and users are merged with their stored row, so a call that sends a
 * few traits keeps the others.
 *
 * A message whose account is not known yet (a track from a user no group call has linked)
 * waits in `pending.ndjson` and is applied once its user is linked. Rows the importer
 * rejects (a negative head count) are kept, with the reason, in `rejected.ndjson`.
 *
 * No record can stop the loop: one that cannot be applied (see `quarantine.ts`) is set aside
 * and the others are applied. A record that fails the door's checks again (a log written
 * before them, or edited) is set aside at once; when the store refuses a batch, the batch is
 * halved until the record it refuses is found, unless the store itself is failing (it does
 * not answer a query), when the whole batch is tried again later.
 */

export interface ApplyResult {
  readonly events: number;
  readonly accounts: number;
  readonly users: number;
  readonly traitChanges: number;
  /** Messages waiting for their user to be linked to an account. */
  readonly pending: number;
  /** Rows the importer refused (kept in rejected.ndjson). */
  readonly rejected: number;
  /** Records set aside because they cannot be applied (kept in quarantine.ndjson). */
  readonly quarantined: number;
  readonly seconds: number;
}

/** How far back a copy of an event (same messageId) is looked for. */
export const DEDUPE_DAYS = 7;

/** What one batch of an apply did. */
interface AppliedPart {
  readonly events: number;
  readonly users: number;
  readonly traitChanges: number;
  readonly rejected: number;
  readonly stillWaiting: LoggedMessage[];
  readonly touched: Touched;
  readonly changedAccounts: string[];
}

export class MessageApplier {
  private readonly pendingFile: string;
  private readonly rejectedFile: string;
  private readonly staging: string;
  readonly quarantine: Quarantine;
  /** Messages the pending file holds as this applier wrote it last (null: not yet written). */
  private pendingKnown: number | null = null;

  constructor(
    private readonly store: Store,
    dir: string,
    /** The workspace's identity rules: which accounts an event without one counts for. */
    private readonly identity: IdentityConfig = DEFAULT_IDENTITY,
  ) {
    this.quarantine = new Quarantine(dir);
    this.pendingFile = join(dir, 'pending.ndjson');
    this.rejectedFile = join(dir, 'rejected.ndjson');
    this.staging = join(dir, 'staging');
  }

  /** How many messages wait for an account. */
  pendingCount(): number {
    return this.pendingRecords().length;
  }

  /** Messages waiting for an account, as written (a line that is not JSON is kept for the quarantine). */
  private pendingRecords(): unknown[] {
    if (!existsSync(this.pendingFile)) return [];
    return readFileSync(this.pendingFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          return new UnreadableLine(line);
        }
      });
  }

  /**
   * Applies records of the log (with the messages that waited for an account before them).
   * Records that cannot be applied go to the quarantine; the others are applied. Rejects only
   * when the store itself fails, and then nothing is lost: the caller applies them all again.
   */
  async apply(
    records: readonly unknown[],
  ): Promise<{ summary: ApplyResult; touched: Touched; changedAccounts: string[] }> {
    const started = performance.now();
    const setAside: { record: unknown; reason: string }[] = [];
    const messages: LoggedMessage[] = [];
    for (const record of [...(this.pendingKnown === 0 ? [] : this.pendingRecords()), ...records]) {
      const problem = recordProblem(record);
      if (problem === null) messages.push(record as LoggedMessage);
      else setAside.push({ record, reason: problem });
    }
    let parts = await this.applyIsolating(messages, setAside);
    // Split batches: a message that waited in one part may find its account through a later one.
    const waiting = parts.flatMap((part) => part.stillWaiting);
    if (parts.length > 1 && waiting.length > 0)
      parts = [
        ...parts.map((part) => ({ ...part, stillWaiting: [] })),
        ...(await this.applyIsolating(waiting, setAside)),
      ];
    this.quarantine.add(setAside);
    const stillWaiting = parts.flatMap((part) => part.stillWaiting);
    // Written only when something waits or waited (two blocking file operations less an apply).
    if (stillWaiting.length > 0 || this.pendingKnown !== 0) {
      const temporary = `${this.pendingFile}.tmp`;
      writeFileSync(temporary, stillWaiting.map((m) => `${JSON.stringify(m)}\n`).join(''));
      renameSync(temporary, this.pendingFile);
    }
    this.pendingKnown = stillWaiting.length;

    const touched: Touched = new Map();
    for (const part of parts)
      for (const [account, entry] of part.touched) {
        touched.set(account, joinTouch(touched.get(account) ?? untouched(), entry));
      }
    const total = (count: (part: AppliedPart) => number) => parts.reduce((sum, part) => sum + count(part), 0);
    return {
      summary: {
        events: total((part) => part.events),
        accounts: total((part) => part.changedAccounts.length),
        users: total((part) => part.users),
        traitChanges: total((part) => part.traitChanges),
        pending: stillWaiting.length,
        rejected: total((part) => part.rejected),
        quarantined: setAside.length,
        seconds: (performance.now() - started) / 1000,
      },
      touched,
      changedAccounts: [...new Set(parts.flatMap((part) => part.changedAccounts))],
    };
  }

  /**
   * Applies messages in one batch; when the store refuses it, in halves, down to the one
   * message it refuses, which is set aside. A store that does not answer `SELECT 1` is
   * failing as a whole: then the error is thrown and the caller tries everything again.
   */
  private async applyIsolating(
    messages: readonly LoggedMessage[],
    setAside: { record: unknown; reason: string }[],
  ): Promise<AppliedPart[]> {
    if (messages.length === 0) return [];
    try {
      return [await this.applyBatch(messages)];
    } catch (error) {
      if (messages.length > 1) {
        const half = Math.ceil(messages.length / 2);
        return [
          ...(await this.applyIsolating(messages.slice(0, half), setAside)),
          ...(await this.applyIsolating(messages.slice(half), setAside)),
        ];
      }
      await this.store.query(this.store.dialect.sql`SELECT 1`);
      // The first line says why; the rest is the database's advice on its own options.
      const why = (error as Error).message.split('\n')[0];
      setAside.push({ record: messages[0], reason: `the store refused it: ${why}` });
      return [];
    }
  }

  /** Applies messages in one batch (in order: a group call links its user for the calls after it). */
  private async applyBatch(all: readonly LoggedMessage[]): Promise<AppliedPart> {
    // Stored rows of the accounts and users these messages touch, to merge with.
    const accountIds = new Set(
      all.filter((m) => m.type === 'group' && m.groupId).map((m) => m.groupId as string),
    );
    // A track or page call that names its account needs nothing of its user's row.
    const userIds = new Set(
      all
        .filter((m) => m.type === 'identify' || m.type === 'group' || !m.groupId)
        .map((m) => m.userId ?? m.anonymousId)
        .filter((u): u is string => u !== null),
    );
    const accounts = new Map<string, Row>();
    const users = new Map<string, Row>();
    for (const row of await storedRows(this.store, 'accounts', 'account_id', [...accountIds]))
      accounts.set(String(row.account_id), { ...row, traits: asObject(row.traits) });
    for (const row of await storedRows(this.store, 'users', 'user_id', [...userIds]))
      users.set(String(row.user_id), { ...row, traits: asObject(row.traits) });

    const events = new Map<string, Row>();
    const changedAccounts = new Map<string, Row>();
    const changedUsers = new Map<string, Row>();
    const traitChanges = new Map<string, Row>();
    /** Users linked to another account than before, and the account they left. */
    const left = new Map<string, string>();
    const waiting: LoggedMessage[] = [];
    const applyMessage = (message: LoggedMessage) => {
      const who = message.userId ?? message.anonymousId;
      const account =
        message.groupId ?? (who ? (users.get(who)?.account_id as string | undefined) : undefined);
      if (message.type === 'track' || message.type === 'page') {
        // An event names its account only by its groupId; without one it counts for the
        // accounts its user is linked to when read (src/identity/account-rows.ts).
        if (!message.groupId && !who) return false;
        if (!events.has(message.messageId))
          events.set(message.messageId, {
            event_id: message.messageId,
            account_id: message.groupId ?? '',
            user_id: who,
            event: message.event,
            ts: message.timestamp,
            properties: message.properties,
          });
        return true;
      }
      if (message.type === 'group') {
        const id = message.groupId as string;
        const before = accounts.get(id);
        const { columns, rest } = splitTraits(message.traits, ACCOUNT_FIELDS);
        const merged: Row = {
          ...(before ?? {}),
          account_id: id,
          ...columns,
          created_at: columns.created_at ?? before?.created_at ?? message.timestamp,
          traits: { ...asObject(before?.traits), ...rest },
        };
        for (const [trait, value] of Object.entries({ ...columns, ...rest })) {
          const old = Object.hasOwn(columns, trait)
            ? own(before, trait)
            : own(asObject(before?.traits), trait);
          if (before && sameValue(fieldOf(ACCOUNT_FIELDS, trait) ?? trait, old, value)) continue;
          traitChanges.set(`${id}\u0000${trait}\u0000${message.timestamp}`, {
            account_id: id,
            trait,
            value:
              value === null || value === undefined
                ? null
                : typeof value === 'object'
                  ? JSON.stringify(value)
                  : String(value),
            ts: message.timestamp,
            source: 'api',
          });
        }
        accounts.set(id, merged);
        changedAccounts.set(id, merged);
        if (who) linkUser(who, id, {}, message.timestamp);
        return true;
      }
      // identify: the user's own traits; its account from an earlier link or the message,
      // else none yet (the domain rule or a later group call links it).
      if (!who) return true;
      linkUser(who, account ?? '', message.traits, message.timestamp);
      return true;
    };
    const linkUser = (who: string, account: string, traits: Row, timestamp: string) => {
      const before = users.get(who);
      // Already linked there, nothing new said: the stored row stands (and its accounts' events
      // stay as they were, which in-memory trigger state relies on).
      if (before && before.account_id === account && Object.keys(traits).length === 0) return;
      // Moved: its seat, and its events that name no account, leave the account it was in.
      const was = before?.account_id;
      if (typeof was === 'string' && was !== '' && was !== account && !left.has(who)) left.set(who, was);
      const { columns, rest } = splitTraits(traits, USER_FIELDS);
      const merged: Row = {
        ...(before ?? {}),
        user_id: who,
        account_id: account,
        ...columns,
        created_at: columns.created_at ?? before?.created_at ?? timestamp,
        traits: { ...asObject(before?.traits), ...rest },
      };
      users.set(who, merged);
      changedUsers.set(who, merged);
    };
    for (const message of all) if (!applyMessage(message)) waiting.push(message);
    // A message that waited may find its account through a later message of the batch.
    const stillWaiting = waiting.filter((message) => !applyMessage(message));

    const rejected = [
      ...(await this.importRows('accounts', [...changedAccounts.values()])),
      ...(await this.importRows('users', [...changedUsers.values()])),
    ];
    // Every event new (none a copy of a stored one): each can be counted as it arrived.
    const allNew = (await this.appendEvents([...events.values()])) === events.size;
    rejected.push(...(await this.importRows('trait_history', [...traitChanges.values()])));
    if (rejected.length > 0)
      writeFileSync(this.rejectedFile, rejected.map((r) => `${JSON.stringify(r)}\n`).join(''), { flag: 'a' });
    const touched = await this.touchedBy({
      events,
      traitChanges,
      changedAccounts,
      changedUsers,
      left,
      allNew,
    });
    return {
      events: events.size,
      users: changedUsers.size,
      traitChanges: traitChanges.size,
      rejected: rejected.length,
      stillWaiting,
      touched,
      changedAccounts: [...changedAccounts.keys()],
    };
  }

  /**
   * What a batch touched, per account. An event without an account, and a user identified or
   * linked (seats), touch the accounts the user is linked to now (and the one it left). Only
   * users with events that name no account (in the batch or stored) move events between
   * accounts: a new member's group call leaves the account's events as they are.
   */
  private async touchedBy(
    batch: Omit<Parameters<typeof touchedBy>[0], 'linked' | 'carriers'> & {
      readonly changedUsers: ReadonlyMap<string, unknown>;
    },
  ): Promise<Touched> {
    const accountless = [...batch.events.values()]
      .filter((e) => e.account_id === '')
      .map((e) => String(e.user_id));
    const users = [...batch.changedUsers.keys()];
    const linked = await linkedAccounts(this.store, this.identity, [...new Set([...accountless, ...users])]);
    const carriers = new Set([
      ...accountless,
      ...(users.length === 0 ? [] : await usersWithAccountlessEvents(this.store, users)),
    ]);
    return touchedBy({ ...batch, linked, carriers });
  }

  /** Appends events (validated on the way in) in one statement, leaving out copies of the last week's; returns how many were new. */
  private async appendEvents(rows: readonly Row[]): Promise<number> {
    if (rows.length === 0) return 0;
    mkdirSync(this.staging, { recursive: true });
    const file = join(this.staging, 'events.ndjson');
    writeFileSync(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
    return this.store.appendEvents(file, DEDUPE_DAYS).finally(() => rmSync(file, { force: true }));
  }

  /** Imports rows through the store's importer; returns the rows it refused, with the reason. */
  private async importRows(table: TableName, rows: readonly Row[]): Promise<Row[]> {
    if (rows.length === 0) return [];
    mkdirSync(this.staging, { recursive: true });
    const file = join(this.staging, `${table}.ndjson`);
    writeFileSync(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
    try {
      const result = await this.store.importFile({ table, file, format: 'ndjson', skipInvalid: true });
      return result.errors.map((error) => ({
        table,
        row: rows[error.line - 1] ?? null,
        column: error.column,
        reason: error.reason,
        at: new Date().toISOString(),
      }));
    } finally {
      rmSync(file, { force: true });
    }
  }
}
