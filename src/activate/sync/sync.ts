import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRun, type StoredRun } from '../../engine/run-snapshot.js';
import { didYouMean, StrataError } from '../../errors.js';
import { ownValue } from '../../own-key.js';
import type { Store } from '../../store/store.js';
import type { Destination } from '../../workspace/destination-schema.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import type { CrmConnector, PropertyChoices, Write } from './connector.js';
import { withLiveRun } from './live-values.js';
import { CrmCallError, DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { type PendingRecord, type PendingSummary, type SyncedValue, SyncStateDb } from './sync-state.js';
import { desiredSql, type MappedField, mappedFields } from './sync-values.js';

/**
 * `strata sync plan|run <destination>`: what a destination should hold after the latest run,
 * compared with what Strata last wrote to it (sync-state.ts), then, for a run, written through
 * the vendor's connector: properties made ready, records without a CRM id found by domain or
 * email, and the changed records written in the vendor's batches, each batch's answer
 * committed before the next is sent. Plans call no CRM and need no credentials.
 */

/** The destination of strata.yaml by name, or a clear error. */
export function destinationOf(workspace: Workspace, name: string): Destination {
  const destination = ownValue(workspace.config.destinations, name);
  if (!destination) {
    const known = Object.keys(workspace.config.destinations);
    throw new StrataError(
      'unknown_destination',
      `unknown destination '${name}'${didYouMean(name, known)} (strata.yaml destinations: ${known.join(', ') || 'none'})`,
    );
  }
  return destination;
}

export const syncStatePath = (workspace: Workspace) => join(workspace.dir, '.strata', 'sync.duckdb');

/** One write a sync would make: a record's property, from what Strata last wrote to the new value. */
export interface PlannedWrite {
  readonly record: string;
  /** The CRM id, or '' when the record is found by `matchKey` first. */
  readonly crmId: string;
  readonly matchKey: string;
  readonly property: string;
  /** What Strata last wrote (null: never written, or empty). */
  readonly from: SyncedValue;
  readonly to: SyncedValue;
  readonly firstWrite: boolean;
}

export interface SyncPlan extends PendingSummary {
  readonly destination: string;
  readonly type: Destination['type'];
  readonly object: string;
  readonly runId: number;
  readonly asOf: string;
  /** Writes of the first `limit` pending records, record by record. */
  readonly writes: readonly PlannedWrite[];
  readonly shownRecords: number;
}

/** Changed properties of a pending record, in mapping order. */
export function recordWrites(record: PendingRecord, fields: readonly MappedField[]): PlannedWrite[] {
  return fields
    .filter(
      ({ property }) =>
        record.previous === null || (record.previous[property] ?? null) !== (record.values[property] ?? null),
    )
    .map(({ property }) => ({
      record: record.record,
      crmId: record.crmId,
      matchKey: record.matchKey,
      property,
      from: record.previous?.[property] ?? null,
      to: record.values[property] ?? null,
      firstWrite: record.previous === null,
    }));
}

/** Lends a run (or a relation in its layout) to `use`, and cleans up after it. */
export type RunSource = <R>(use: (run: StoredRun) => Promise<R>) => Promise<R>;

/** Runs `work` on the destination's pending records, compared in the state file; one sync of a workspace at a time. */
export async function withPending<T>(
  store: Store,
  workspace: Workspace,
  name: string,
  work: (context: {
    state: SyncStateDb;
    run: StoredRun;
    summary: PendingSummary;
    fields: MappedField[];
  }) => Promise<T>,
  storeTurn: <R>(read: () => Promise<R>) => Promise<R> = (read) => read(),
  /** The run whose values the destination should hold: the latest stored one unless given. */
  source: RunSource = async (use) => use(await readRun(store)),
): Promise<T> {
  const destination = destinationOf(workspace, name);
  const fields = mappedFields(workspace, destination);
  const path = syncStatePath(workspace);
  return exclusive(path, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-sync-'));
    const state = await SyncStateDb.open(path);
    try {
      const file = join(dir, 'desired.ndjson');
      const run = await storeTurn(() =>
        source(async (values) => {
          await store.exportFile(desiredSql(store, workspace, values, name, destination), file, 'ndjson');
          return values;
        }),
      );
      const summary = await state.compare(name, file, fields, new Date(run.asOf));
      return await work({ state, run, summary, fields });
    } finally {
      state.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

const running = new Map<string, Promise<unknown>>();
/** One sync (or plan) per state file at a time in this process: they share its temp tables. */
async function exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = running.get(key) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(work);
  running.set(key, mine);
  try {
    return await mine;
  } finally {
    if (running.get(key) === mine) running.delete(key);
  }
}

/** What a sync of `name` would write, writing nothing and calling no CRM. */
export async function planSync(
  store: Store,
  workspace: Workspace,
  name: string,
  options: { limit: number },
): Promise<SyncPlan> {
  const destination = destinationOf(workspace, name);
  return withPending(store, workspace, name, async ({ state, run, summary, fields }) => {
    const records = await state.pending(options.limit, 0);
    return {
      destination: name,
      type: destination.type,
      object: destination.object,
      runId: run.runId,
      asOf: run.asOf,
      ...summary,
      writes: records.flatMap((record) => recordWrites(record, fields)),
      shownRecords: records.length,
    };
  });
}

/**
 * The credentials a destination names, read from the environment, or an error naming what is
 * missing; then its vendor's client, loaded only now (a quarter of a second of start-up that
 * plans, `strata plan` and every other command do without).
 */
export async function connectorFor(
  name: string,
  destination: Destination,
  env: NodeJS.ProcessEnv,
  retry: RetryPolicy,
): Promise<CrmConnector> {
  const read = (variable: string | undefined, what: string) => {
    const value = variable === undefined ? undefined : env[variable];
    if (!value)
      throw new StrataError(
        'missing_credentials',
        `destination '${name}': the environment variable ${variable} (its ${what}) is not set; nothing was sent`,
      );
    return value;
  };
  const token = read(destination.credentials.token, 'credentials.token');
  if (destination.type === 'hubspot') {
    const { hubspotConnector } = await import('./hubspot.js');
    return hubspotConnector({
      object: destination.object as 'companies' | 'contacts',
      token,
      apiUrl: destination.apiUrl,
      group: destination.group,
      retry,
    });
  }
  const instanceUrl = read(destination.credentials.instanceUrl, 'credentials.instanceUrl');
  const { salesforceConnector } = await import('./salesforce.js');
  return salesforceConnector({
    object: destination.object as 'Account' | 'Contact',
    instanceUrl,
    token,
    retry,
  });
}

export interface SyncOutcome {
  readonly destination: string;
  readonly runId: number;
  readonly asOf: string;
  readonly records: number;
  readonly planned: number;
  readonly written: number;
  readonly failed: number;
  readonly unmatched: number;
  readonly dead: number;
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly seconds: number;
}

export interface SyncOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Runs the store's part (reading the run) in the server's turn for the store. */
  readonly storeTurn?: <T>(work: () => Promise<T>) => Promise<T>;
  readonly retry?: RetryPolicy;
  /** Records handled so far of those pending. */
  readonly progress?: (done: number, total: number) => void;
  readonly now?: () => Date;
  /**
   * A real-time sync: only these accounts (a contact destination: their people; null: every
   * account), with every value evaluated at `at` rather than read from the latest run.
   */
  readonly live?: { readonly at: Date; readonly accounts: readonly string[] | null };
}

/** Pending records read from the state file at a time: bounded memory at any size. */
const PAGE = 2000;

/** Writes what changed since the destination's last sync; every batch's outcome is kept as it is answered. */
export async function runSync(
  store: Store,
  workspace: Workspace,
  name: string,
  options: SyncOptions = {},
): Promise<SyncOutcome> {
  const started = performance.now();
  const destination = destinationOf(workspace, name);
  const connector = await connectorFor(
    name,
    destination,
    options.env ?? process.env,
    options.retry ?? DEFAULT_RETRY,
  );
  const now = options.now ?? (() => new Date());
  const { live } = options;
  return withPending(
    store,
    workspace,
    name,
    async ({ state, run, summary, fields }) => {
      const log = {
        id: await state.startLog(name, run.runId, run.asOf, summary.pending, now()),
        asOf: new Date(run.asOf),
      };
      const counts = { written: 0, failed: 0, unmatched: 0 };
      let prepared = { created: [] as readonly string[], updated: [] as readonly string[] };
      try {
        if (summary.pending > 0) {
          prepared = await connector.prepare(fields, choicesOf(run));
          for (let offset = 0; offset < summary.pending; offset += PAGE) {
            const page = await state.pending(PAGE, offset);
            await syncPage({ connector, state, name, destination, log, now }, page, counts);
            options.progress?.(Math.min(offset + PAGE, summary.pending), summary.pending);
          }
        }
        await state.finishLog(log.id, { status: 'done' }, now());
      } catch (error) {
        await state.finishLog(log.id, { status: 'failed', error: (error as Error).message }, now());
        if (error instanceof CrmCallError)
          throw new StrataError(
            'sync_failed',
            `destination '${name}': ${error.message} (after ${error.tries} ${error.tries === 1 ? 'try' : 'tries'}); ${counts.written} records written before it, the rest are sent by the next sync`,
          );
        throw error;
      }
      return {
        destination: name,
        runId: run.runId,
        asOf: run.asOf,
        records: summary.records,
        planned: summary.pending,
        ...counts,
        dead: summary.dead,
        created: prepared.created,
        updated: prepared.updated,
        seconds: (performance.now() - started) / 1000,
      };
    },
    options.storeTurn,
    live ? (use) => withLiveRun(store, workspace, destination, live, use) : undefined,
  );
}

/** The pick-list values of the run: its segments, and each scheme's labels. */
function choicesOf(run: StoredRun): PropertyChoices {
  return {
    segments: run.segments,
    schemes: Object.fromEntries(
      Object.entries(run.schemeOrder).map(([scheme, { order, fallback }]) => [scheme, [...order, fallback]]),
    ),
  };
}

/** One page: records without an id found first, then written batch by batch. */
async function syncPage(
  sync: {
    readonly connector: CrmConnector;
    readonly state: SyncStateDb;
    readonly name: string;
    readonly destination: Destination;
    /** The sync's log row, whose counts each batch advances, and the values' time. */
    readonly log: { readonly id: number; readonly asOf: Date };
    readonly now: () => Date;
  },
  page: readonly PendingRecord[],
  counts: { written: number; failed: number; unmatched: number },
): Promise<void> {
  const { connector, state, name, destination, log, now } = sync;
  const keys = [...new Set(page.filter((r) => r.crmId === '' && r.matchKey !== '').map((r) => r.matchKey))];
  const found = new Map<string, string>();
  for (let i = 0; i < keys.length; i += connector.findSize)
    for (const [key, id] of await connector.find(keys.slice(i, i + connector.findSize))) found.set(key, id);
  const ready: { record: PendingRecord; crmId: string }[] = [];
  const unmatched: PendingRecord[] = [];
  for (const record of page) {
    const crmId = record.crmId || found.get(record.matchKey) || '';
    if (crmId) ready.push({ record, crmId });
    else unmatched.push(record);
  }
  await state.unmatched(name, unmatched, log, now());
  counts.unmatched += unmatched.length;
  for (let i = 0; i < ready.length; i += connector.batchSize) {
    const batch = ready.slice(i, i + connector.batchSize);
    const writes: Write[] = batch.map(({ record, crmId }) => ({ crmId, values: record.values }));
    const results = await writeBatch(connector, writes);
    const outcome = {
      written: batch.filter((_, j) => results[j]?.ok),
      failed: batch.flatMap(({ record }, j) => {
        const result = results[j];
        return result && !result.ok ? [{ record, error: result.error }] : [];
      }),
    };
    await state.batchDone(name, outcome, destination.maxAttempts, log, now());
    counts.written += outcome.written.length;
    counts.failed += outcome.failed.length;
  }
}

/**
 * A batch written; a whole batch refused for its content (a 400: an invalid value fails the
 * batch) fails each of its records, so they count a try. Rate limits and outages that outlast
 * the retries, and refused credentials, stop the sync: the records stay pending, not failed.
 */
async function writeBatch(connector: CrmConnector, writes: readonly Write[]) {
  try {
    return await connector.write(writes);
  } catch (error) {
    if (error instanceof CrmCallError && (error.failure.status === 400 || error.failure.status === 422))
      return writes.map(() => ({ ok: false as const, error: error.message }));
    throw error;
  }
}
