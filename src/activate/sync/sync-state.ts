import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { SqlValue } from '../../dialect/dialect.js';
import { duckdbDialect } from '../../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../../dialect/sql.js';
import { redactSecrets } from '../../redact.js';
import { inTransaction } from '../local-transaction.js';
import type { MappedField } from './sync-values.js';

/**
 * What each destination last received, in `.strata/sync.duckdb` (DuckDB whatever the store's
 * engine, for its transactions): per record the values Strata last wrote and the CRM id it
 * wrote them to, the records that failed (tried again at the next sync, dead-lettered after
 * `maxAttempts`), and a log of syncs. A batch's outcome is committed in one transaction as
 * soon as the CRM answers, so a sync stopped at any moment (kill -9 included) resumes with
 * only what was not acknowledged: nothing that succeeded is sent again.
 */

const sql = duckdbDialect.sql;
const values = (rows: readonly SqlValue[][]) =>
  sql.join(rows.map((row) => sql`(${sql.join(row.map((v) => sql.value(v)))})`));

const RECORD_COLUMNS = sql`(destination, record, crm_id, vals, state, synced_at, values_as_of)`;

/** A JSON value as synced: text, a number or a flag, or null for an empty property. */
export type SyncedValue = string | number | boolean | null;
export type SyncedValues = Record<string, SyncedValue>;

/** A record the next sync would write: what it should hold, and what Strata last wrote to it. */
export interface PendingRecord {
  readonly record: string;
  /** The CRM id to write to, '' when it must be found by `matchKey` first. */
  readonly crmId: string;
  readonly matchKey: string;
  readonly values: SyncedValues;
  /** `values` as the state file keeps them (compared as text: written back exactly as read). */
  readonly valuesText: string;
  /** Null when Strata never wrote this record. */
  readonly previous: SyncedValues | null;
  readonly attempts: number;
}

export interface PendingSummary {
  /** Records the destination should hold. */
  readonly records: number;
  /** Records whose values differ from what was last written (or never written). */
  readonly pending: number;
  readonly neverWritten: number;
  /** Pending records without a CRM id: found by domain or email first. */
  readonly toMatch: number;
  /** Dead-lettered records left out until replayed (or their values change). */
  readonly dead: number;
  /** Records holding values evaluated after these (written in real time), left as they are. */
  readonly newer: number;
  /** Per property, how many pending records change it. */
  readonly fields: Readonly<Record<string, number>>;
}

export interface SyncLogRow {
  readonly id: number;
  readonly destination: string;
  readonly runId: number;
  readonly asOf: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: 'running' | 'done' | 'failed' | 'interrupted';
  readonly planned: number;
  readonly written: number;
  readonly failed: number;
  readonly unmatched: number;
  readonly error: string | null;
}

export interface FailureRow {
  readonly record: string;
  readonly attempts: number;
  readonly status: 'retry' | 'dead';
  readonly lastError: string;
  readonly updatedAt: string;
}

/** One process opens the file once: the server and a command relayed to it share it. */
const open = new Map<string, { db: Promise<SyncStateDb>; users: number }>();

export class SyncStateDb {
  private constructor(
    private readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(path: string): Promise<SyncStateDb> {
    const held = open.get(path);
    if (held) {
      held.users++;
      return held.db;
    }
    const db = SyncStateDb.create(path);
    open.set(path, { db, users: 1 });
    return db.catch((error) => {
      open.delete(path);
      throw error;
    });
  }

  private static async create(path: string): Promise<SyncStateDb> {
    mkdirSync(dirname(path), { recursive: true }); // a ClickHouse workspace may have no .strata/ yet
    const instance = await DuckDBInstance.create(path);
    const db = new SyncStateDb(path, instance, await instance.connect());
    await db.run(sql`CREATE TABLE IF NOT EXISTS sync_records (destination VARCHAR, record VARCHAR, crm_id VARCHAR,
      vals VARCHAR, state VARCHAR NOT NULL, synced_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (destination, record))`);
    await db.run(sql`CREATE TABLE IF NOT EXISTS sync_failures (destination VARCHAR, record VARCHAR, vals VARCHAR,
      attempts INTEGER NOT NULL, status VARCHAR NOT NULL, last_error VARCHAR, updated_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (destination, record))`);
    await db.run(sql`CREATE SEQUENCE IF NOT EXISTS sync_log_id`);
    await db.run(sql`CREATE TABLE IF NOT EXISTS sync_log (id BIGINT PRIMARY KEY DEFAULT nextval('sync_log_id'),
      destination VARCHAR NOT NULL, run_id BIGINT, as_of VARCHAR, started_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ,
      status VARCHAR NOT NULL, planned BIGINT, written BIGINT, failed BIGINT, unmatched BIGINT, error VARCHAR)`);
    // When the values were evaluated (a run's time, a real-time sync's): never written over by older ones.
    await db.run(sql`ALTER TABLE sync_records ADD COLUMN IF NOT EXISTS values_as_of TIMESTAMPTZ`);
    // A sync that was running when its process died.
    await db.run(sql`UPDATE sync_log SET status = 'interrupted' WHERE status = 'running'`);
    return db;
  }

  private async run(statement: Sql): Promise<void> {
    await this.connection.run(statement.text);
  }

  private async rows(query: Sql): Promise<Record<string, unknown>[]> {
    return (await this.connection.runAndReadAll(query.text)).getRowObjectsJS() as Record<string, unknown>[];
  }

  private transaction(work: () => Promise<void>): Promise<void> {
    return inTransaction((statement) => this.run(statement), work);
  }

  /**
   * Reads the desired records (newline-delimited JSON of `desiredSql`'s rows) and sets aside, in the
   * temp table `sync_pending`, those whose values differ from what `destination` last received.
   */
  async compare(
    destination: string,
    file: string,
    fields: readonly MappedField[],
    /** When the desired values were evaluated: a record written with later ones keeps them. */
    asOf: Date,
  ): Promise<PendingSummary> {
    const typed = fields.map(({ property, kind }, i) => {
      const column = sql.id(`v${i}`);
      const value =
        kind === 'flag'
          ? sql`TRY_CAST(${column} AS INTEGER) = 1`
          : kind === 'number'
            ? sql`round(TRY_CAST(${column} AS DOUBLE), 6)`
            : sql`nullif(CAST(${column} AS VARCHAR), '')`;
      return sql`${property}, ${value}`;
    });
    // Every column read as text (ClickHouse writes 64-bit numbers quoted), then typed by kind.
    const columns = ['record', 'crm_id', 'match_key', ...fields.map((_, i) => `v${i}`)].map(
      (name) => sql`${name}: 'VARCHAR'`,
    );
    const empty = statSync(file).size === 0;
    await this.run(sql`CREATE OR REPLACE TEMP TABLE sync_desired AS
      SELECT record, trim(coalesce(crm_id, '')) AS crm_id, lower(trim(coalesce(match_key, ''))) AS match_key,
        CAST(json_object(${sql.join(typed)}) AS VARCHAR) AS vals
      FROM ${
        empty
          ? sql`(SELECT ''::VARCHAR AS record, '' AS crm_id, '' AS match_key${sql.join(
              fields.map((_, i) => sql`, NULL::VARCHAR AS ${sql.id(`v${i}`)}`),
              sql.empty,
            )} WHERE false)`
          : sql`read_json(${file}, format = 'newline_delimited', columns = {${sql.join(columns)}})`
      }`);
    await this.run(sql`CREATE OR REPLACE TEMP TABLE sync_pending AS
      SELECT d.record, coalesce(nullif(d.crm_id, ''), s.crm_id, '') AS crm_id, d.match_key, d.vals,
        CASE WHEN s.state = 'synced' THEN s.vals END AS previous, coalesce(f.attempts, 0) AS attempts
      FROM sync_desired d
      LEFT JOIN sync_records s ON s.destination = ${destination} AND s.record = d.record
      LEFT JOIN sync_failures f ON f.destination = ${destination} AND f.record = d.record
      WHERE (s.record IS NULL OR s.vals IS DISTINCT FROM d.vals OR (s.state = 'unmatched' AND nullif(d.crm_id, '') IS NOT NULL))
        AND NOT (coalesce(f.status, '') = 'dead' AND f.vals = d.vals)
        AND NOT coalesce(s.state = 'synced' AND s.values_as_of > ${asOf}, false)`);
    const changed = fields.map(
      ({ property }) =>
        sql`count(*) FILTER (WHERE previous IS NULL OR json_extract(vals, ${`$."${property}"`}) IS DISTINCT FROM json_extract(previous, ${`$."${property}"`})) AS ${sql.id(property)}`,
    );
    const [row] =
      await this.rows(sql`SELECT (SELECT count(*) FROM sync_desired) AS records, count(*) AS pending,
      count(*) FILTER (WHERE previous IS NULL) AS never, count(*) FILTER (WHERE crm_id = '') AS to_match,
      (SELECT count(*) FROM sync_failures f JOIN sync_desired d USING (record) WHERE f.destination = ${destination}
        AND f.status = 'dead' AND f.vals = d.vals) AS dead,
      (SELECT count(*) FROM sync_records s JOIN sync_desired d USING (record) WHERE s.destination = ${destination}
        AND s.state = 'synced' AND s.values_as_of > ${asOf} AND s.vals IS DISTINCT FROM d.vals) AS newer
      ${fields.length ? sql`, ${sql.join(changed)}` : sql.empty} FROM sync_pending`);
    return {
      records: Number(row?.records ?? 0),
      pending: Number(row?.pending ?? 0),
      neverWritten: Number(row?.never ?? 0),
      toMatch: Number(row?.to_match ?? 0),
      dead: Number(row?.dead ?? 0),
      newer: Number(row?.newer ?? 0),
      fields: Object.fromEntries(fields.map(({ property }) => [property, Number(row?.[property] ?? 0)])),
    };
  }

  /** A page of `sync_pending`, in record order. */
  async pending(limit: number, offset: number): Promise<PendingRecord[]> {
    const rows = await this.rows(
      sql`SELECT * FROM sync_pending ORDER BY record LIMIT ${limit} OFFSET ${offset}`,
    );
    return rows.map((row) => ({
      record: String(row.record),
      crmId: String(row.crm_id),
      matchKey: String(row.match_key ?? ''),
      values: JSON.parse(String(row.vals)) as SyncedValues,
      valuesText: String(row.vals),
      previous: row.previous === null ? null : (JSON.parse(String(row.previous)) as SyncedValues),
      attempts: Number(row.attempts),
    }));
  }

  /** Records the CRM has no record for (by id, domain or email): left alone until their values change. */
  async unmatched(
    destination: string,
    records: readonly PendingRecord[],
    log: { readonly id: number; readonly asOf: Date },
    now: Date,
  ): Promise<void> {
    if (records.length === 0) return;
    const rows = records.map((r) => [destination, r.record, null, r.valuesText, 'unmatched', now, log.asOf]);
    await this.transaction(async () => {
      await this.run(sql`INSERT OR REPLACE INTO sync_records ${RECORD_COLUMNS} VALUES ${values(rows)}`);
      await this.run(sql`UPDATE sync_log SET unmatched = unmatched + ${records.length} WHERE id = ${log.id}`);
    });
  }

  /**
   * A batch's answer, in one transaction: what succeeded is recorded as written (and its
   * failures cleared), what failed counts a try, dead-lettered at `maxAttempts`; the sync's
   * log row counts both, so a sync killed midway says how far it got.
   */
  async batchDone(
    destination: string,
    outcome: {
      written: readonly { record: PendingRecord; crmId: string }[];
      failed: readonly { record: PendingRecord; error: string }[];
    },
    maxAttempts: number,
    /** The sync's log row, and when the values written were evaluated. */
    log: { readonly id: number; readonly asOf: Date },
    now: Date,
  ): Promise<void> {
    const written = outcome.written.map(({ record, crmId }) => [
      destination,
      record.record,
      crmId,
      record.valuesText,
      'synced',
      now,
      log.asOf,
    ]);
    const failed = outcome.failed.map(({ record, error }) => {
      const attempts = record.attempts + 1;
      return [
        destination,
        record.record,
        record.valuesText,
        attempts,
        attempts >= maxAttempts ? 'dead' : 'retry',
        redactSecrets(error).slice(0, 500),
        now,
      ];
    });
    await this.transaction(async () => {
      if (written.length > 0) {
        await this.run(sql`INSERT OR REPLACE INTO sync_records ${RECORD_COLUMNS} VALUES ${values(written)}`);
        await this.run(sql`DELETE FROM sync_failures WHERE destination = ${destination}
          AND record IN (${sql.join(outcome.written.map(({ record }) => sql.value(record.record)))})`);
      }
      if (failed.length > 0)
        await this.run(sql`INSERT OR REPLACE INTO sync_failures VALUES ${values(failed)}`);
      await this.run(sql`UPDATE sync_log SET written = written + ${written.length}, failed = failed + ${failed.length}
        WHERE id = ${log.id}`);
    });
  }

  async startLog(
    destination: string,
    runId: number,
    asOf: string,
    planned: number,
    now: Date,
  ): Promise<number> {
    const [row] =
      await this.rows(sql`INSERT INTO sync_log (destination, run_id, as_of, started_at, status, planned, written, failed, unmatched)
      VALUES (${destination}, ${runId}, ${asOf}, ${now}, 'running', ${planned}, 0, 0, 0) RETURNING id`);
    return Number(row?.id);
  }

  /** The end of a sync (its counts were kept batch by batch). */
  async finishLog(
    id: number,
    outcome: { status: 'done' | 'failed'; error?: string },
    now: Date,
  ): Promise<void> {
    await this.run(sql`UPDATE sync_log SET finished_at = ${now}, status = ${outcome.status},
      error = ${outcome.error ? redactSecrets(outcome.error).slice(0, 500) : null} WHERE id = ${id}`);
  }

  /** Syncs, newest first (of one destination, or all). */
  async log(destination?: string, limit = 20): Promise<SyncLogRow[]> {
    const rows =
      await this.rows(sql`SELECT id, destination, run_id, as_of, strftime(started_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS started,
        CASE WHEN finished_at IS NOT NULL THEN strftime(finished_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') END AS finished,
        status, planned, written, failed, unmatched, error
      FROM sync_log ${destination === undefined ? sql.empty : sql`WHERE destination = ${destination}`} ORDER BY id DESC LIMIT ${limit}`);
    return rows.map((r) => ({
      id: Number(r.id),
      destination: String(r.destination),
      runId: Number(r.run_id),
      asOf: String(r.as_of),
      startedAt: String(r.started),
      finishedAt: r.finished === null ? null : String(r.finished),
      status: r.status as SyncLogRow['status'],
      planned: Number(r.planned),
      written: Number(r.written),
      failed: Number(r.failed),
      unmatched: Number(r.unmatched),
      error: r.error === null ? null : String(r.error),
    }));
  }

  /** Failed records of a destination (dead ones only, with `dead`), newest first. */
  async failures(
    destination: string,
    options: { dead?: boolean | undefined; limit?: number | undefined } = {},
  ): Promise<FailureRow[]> {
    const rows = await this.rows(sql`SELECT record, attempts, status, last_error,
        strftime(updated_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS updated
      FROM sync_failures WHERE destination = ${destination} ${options.dead ? sql`AND status = 'dead'` : sql.empty}
      ORDER BY updated_at DESC, record LIMIT ${options.limit ?? 100}`);
    return rows.map((r) => ({
      record: String(r.record),
      attempts: Number(r.attempts),
      status: r.status as FailureRow['status'],
      lastError: String(r.last_error ?? ''),
      updatedAt: String(r.updated),
    }));
  }

  /** How many of a destination's records wait for another try, and how many are dead-lettered. */
  async failureCounts(destination: string): Promise<{ retry: number; dead: number }> {
    const [row] = await this.rows(sql`SELECT count(*) FILTER (WHERE status = 'retry') AS retry,
      count(*) FILTER (WHERE status = 'dead') AS dead FROM sync_failures WHERE destination = ${destination}`);
    return { retry: Number(row?.retry ?? 0), dead: Number(row?.dead ?? 0) };
  }

  /** Dead-lettered records made due again (all of the destination's, or these): how many. */
  async replay(destination: string, records?: readonly string[]): Promise<number> {
    const only = records?.length
      ? sql`AND record IN (${sql.join(records.map((r) => sql.value(r)))})`
      : sql.empty;
    const [row] = await this.rows(
      sql`SELECT count(*) AS n FROM sync_failures WHERE destination = ${destination} AND status = 'dead' ${only}`,
    );
    await this.run(
      sql`DELETE FROM sync_failures WHERE destination = ${destination} AND status = 'dead' ${only}`,
    );
    return Number(row?.n ?? 0);
  }

  /** Forgets what a destination received (its next sync writes every record): how many records. */
  async forget(destination: string): Promise<number> {
    const [row] = await this.rows(
      sql`SELECT count(*) AS n FROM sync_records WHERE destination = ${destination}`,
    );
    await this.transaction(async () => {
      await this.run(sql`DELETE FROM sync_records WHERE destination = ${destination}`);
      await this.run(sql`DELETE FROM sync_failures WHERE destination = ${destination}`);
    });
    return Number(row?.n ?? 0);
  }

  close(): void {
    const held = open.get(this.path);
    if (held && --held.users > 0) return;
    open.delete(this.path);
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
