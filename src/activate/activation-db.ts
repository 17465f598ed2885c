import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { SqlValue } from '../dialect/dialect.js';
import { duckdbDialect } from '../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../dialect/sql.js';
import { inTransaction } from './local-transaction.js';
import {
  DELIVERED_KEPT,
  type DeliveredKept,
  type DeliveryStatus,
  type OutboxRow,
  TRIM_EVERY_MS,
  toOutboxRow,
  trimDelivered,
} from './outbox-rows.js';
import { createStaged, rowsOf, type Staged, stageRows } from './staged-rows.js';
import { loadSweep } from './sweep-tables.js';

/**
 * The server's own state, in `.strata/activation.duckdb` whatever the store's engine (so
 * that it has transactions on ClickHouse too): each account's current memberships as the
 * triggers last saw them, and the webhook outbox. A membership change and its outbox rows
 * are written in one transaction, so an event is never sent for a change that was not
 * recorded, nor a recorded change left unsent.
 *
 * Delivered rows stay in the outbox for `webhooks deliveries` and `webhooks replay
 * --delivered`, and so that a change recorded again (after a crash) finds its id taken, for
 * a week and the newest 100,000 at most (DELIVERED_KEPT, outbox-rows.ts): the
 * sender's scan for due rows reads a bounded table, not every row ever sent. Batches of
 * accounts and rows reach the statements through staging tables filled by DuckDB's Appender
 * (`staged-rows.ts`), never as lists of literals.
 */

export type { DeliveryStatus, OutboxRow } from './outbox-rows.js';

const sql = duckdbDialect.sql;

/** A sweep names the accounts it changed up to this many; beyond, every account counts as changed. */
export const CHANGED_LISTED = 2000;
/** `(a, b), (c, d)`: a sweep's few routes as VALUES. */
const values = (rows: readonly SqlValue[][]) =>
  sql.join(rows.map((row) => sql`(${sql.join(row.map((v) => sql.value(v)))})`));
/** `(a, b, c)`: a short list for IN (a few segments, ids named on the command line). */
const list = (items: readonly SqlValue[]) => sql`(${sql.join(items.map((v) => sql.value(v)))})`;

export class ActivationDb {
  /** The tail of the transactions queued on the one connection (see `exclusive`). */
  private turn: Promise<unknown> = Promise.resolve();
  /** When the delivered rows were last trimmed (epoch ms; 0: not yet since opened). */
  private trimmedAt = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly kept: DeliveredKept,
  ) {}

  /** Opens (creating) the file; `kept`: how long delivered rows stay (tests make it short). */
  static async open(path: string, kept: DeliveredKept = DELIVERED_KEPT): Promise<ActivationDb> {
    // One thread: small transactions, where a second only adds scheduling (17-21 ms of CPU a record, not 29-34).
    const instance = await DuckDBInstance.create(path, { threads: '1' });
    const connection = await instance.connect();
    const db = new ActivationDb(instance, connection, kept);
    await db.run(
      sql`CREATE TABLE IF NOT EXISTS live_memberships (account_id VARCHAR, segment VARCHAR, since BIGINT, PRIMARY KEY (account_id, segment))`,
    );
    await db.run(sql`CREATE TABLE IF NOT EXISTS known_accounts (account_id VARCHAR PRIMARY KEY)`);
    await db.run(
      sql`CREATE TABLE IF NOT EXISTS outbox (id VARCHAR PRIMARY KEY, webhook VARCHAR NOT NULL, type VARCHAR NOT NULL, body VARCHAR NOT NULL,
        status VARCHAR NOT NULL, attempts INTEGER NOT NULL, created_at BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL,
        last_error VARCHAR, delivered_at BIGINT)`,
    );
    await createStaged(connection);
    return db;
  }

  private readonly run = async (statement: Sql): Promise<void> => {
    await this.connection.run(statement.text);
  };

  /**
   * `rows` staged, then `statements` in one transaction and the staging tables emptied, sent
   * as one text (one call into DuckDB, not one per statement); rolled back when one fails.
   * The caller holds the connection (`exclusive`).
   */
  private async atomically(statements: readonly Sql[], rows: Staged = {}): Promise<void> {
    if (statements.length === 0) return;
    const emptied = await stageRows(this.connection, rows);
    try {
      await this.run(sql`BEGIN TRANSACTION; ${sql.join(statements, sql`; `)}; COMMIT; ${emptied}`);
    } catch (error) {
      // A failure at BEGIN leaves no transaction to roll back; the statement's error is the one to report.
      await this.run(sql`ROLLBACK`).catch(() => undefined);
      await this.run(emptied).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Runs `work` after every transaction queued before it. The connection is shared by the
   * apply loop, the sweeps and the webhook sender: a transaction begun while another is
   * open would fail, and a statement slipped into another's transaction would be undone
   * with it.
   */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work, work);
    this.turn = result.catch(() => undefined);
    return result;
  }

  /** `work` in one transaction, rolled back when it throws. */
  private transaction(work: () => Promise<void>): Promise<void> {
    return this.exclusive(() => inTransaction((statement) => this.run(statement), work));
  }

  private async rows(query: Sql): Promise<Record<string, unknown>[]> {
    return (await this.connection.runAndReadAll(query.text)).getRowObjectsJS() as Record<string, unknown>[];
  }

  /** Current memberships of these accounts (null: of every account); accounts never seen are left out of the map. */
  async memberships(accountIds: readonly string[] | null): Promise<Map<string, Set<string>>> {
    const result = new Map<string, Set<string>>();
    if (accountIds?.length === 0) return result;
    const rows = await this.exclusive(async () => {
      if (accountIds === null)
        return this.rows(sql`SELECT k.account_id, m.segment FROM (SELECT DISTINCT account_id FROM known_accounts) k
           LEFT JOIN live_memberships m ON m.account_id = k.account_id`);
      const cells = accountIds.map((a) => [a]);
      const { relation, staged } = rowsOf('staged_accounts', cells);
      const emptied = await stageRows(this.connection, staged);
      try {
        return await this.rows(
          sql`SELECT k.account_id, m.segment FROM (SELECT DISTINCT account_id FROM known_accounts
             WHERE account_id IN (SELECT account_id FROM ${relation} a)) k
           LEFT JOIN live_memberships m ON m.account_id = k.account_id`,
        );
      } finally {
        if (staged.staged_accounts) await this.run(emptied);
      }
    });
    for (const row of rows) {
      const account = String(row.account_id);
      const segments = result.get(account) ?? new Set<string>();
      result.set(account, segments);
      if (row.segment !== null && row.segment !== undefined) segments.add(String(row.segment));
    }
    return result;
  }

  /**
   * Records new memberships and queues their events, in one transaction. `initial` are
   * accounts seen for the first time: their memberships are recorded without events.
   */
  async record(
    changes: readonly { account: string; entered: readonly string[]; exited: readonly string[] }[],
    initial: readonly { account: string; segments: readonly string[] }[],
    events: readonly { id: string; webhook: string; type: string; body: string }[],
    now: number,
  ): Promise<void> {
    const known = initial.map(({ account }) => [account]);
    const joined = [
      ...initial.flatMap(({ account, segments }) => segments.map((segment) => [account, segment])),
      ...changes.flatMap(({ account, entered }) => entered.map((segment) => [account, segment])),
    ];
    const left = changes.flatMap(({ account, exited }) => exited.map((segment) => [account, segment]));
    const queued = events.map((event) => [event.id, event.webhook, event.type, event.body]);
    // Each statement only when its staging table has rows (one statement costs a millisecond or so).
    const statements: [readonly unknown[], Sql][] = [
      [known, sql`INSERT OR IGNORE INTO known_accounts SELECT DISTINCT account_id FROM staged_accounts`],
      [
        left,
        sql`DELETE FROM live_memberships USING staged_left s
         WHERE live_memberships.account_id = s.account_id AND live_memberships.segment = s.segment`,
      ],
      [
        joined,
        sql`INSERT OR IGNORE INTO live_memberships SELECT DISTINCT account_id, segment, ${now} FROM staged_joined`,
      ],
      [
        queued,
        sql`INSERT OR IGNORE INTO outbox SELECT id, webhook, type, body, 'pending', 0, ${now}, ${now}, NULL, NULL FROM staged_events`,
      ],
    ];
    await this.exclusive(() =>
      this.atomically(
        statements.filter(([rows]) => rows.length > 0).map(([, statement]) => statement),
        { staged_accounts: known, staged_joined: joined, staged_left: left, staged_events: queued },
      ),
    );
  }

  /**
   * A sweep's memberships (`file`: a CSV of `account_id` and a 1/0 flag `s<i>` per segment,
   * every account existing at `now`) made the live ones for these segments, in one
   * transaction with an outbox row per change and route (a trigger naming the segment, a
   * webhook subscribed to it). An account seen for the first time is compared with its
   * memberships in `baseline()` (the latest run, same columns; none when null), as
   * onApplied does; an account known before but absent now leaves its segments. All of it
   * is set arithmetic in SQL here, over the file as DuckDB reads it.
   */
  async sweep(input: {
    file: string;
    segments: readonly string[];
    routes: readonly { segment: string; source: string; webhook: string }[];
    now: Date;
    baseline: () => Promise<string | null>;
    /** The server's start: with no live state and no run, record memberships without events. */
    silentBaseline?: boolean;
  }): Promise<{
    accounts: number;
    entered: number;
    exited: number;
    events: number;
    /** The accounts whose memberships changed; null when more than CHANGED_LISTED. */
    changed: string[] | null;
  }> {
    const { segments, now } = input;
    await loadSweep(this.run, 'sweep_now', input.file, segments);
    const unknown = sql`(SELECT account_id FROM sweep_now WHERE account_id NOT IN (SELECT account_id FROM known_accounts))`;
    const [counted] = await this.rows(sql`SELECT count(*) AS n FROM ${unknown}`);
    const fromRun = Number(counted?.n ?? 0) > 0 ? await input.baseline() : null;
    if (fromRun) await loadSweep(this.run, 'sweep_run', fromRun, segments);
    // The first start's sweep with nothing to compare with (no live state, no run) sets the
    // baseline silently: the accounts were in their segments before the triggers existed,
    // and a webhook per membership (100k at M) would tell a receiver nothing.
    const [seen] = await this.rows(sql`SELECT count(*) AS n FROM known_accounts`);
    const baselineOnly = input.silentBaseline === true && !fromRun && Number(seen?.n ?? 0) === 0;
    const mine = sql`segment IN ${list(segments)}`;
    await this.run(
      sql`CREATE OR REPLACE TEMP TABLE sweep_before AS
       SELECT account_id, segment FROM live_memberships WHERE ${mine}
       ${fromRun ? sql`UNION ALL SELECT account_id, segment FROM sweep_run_members WHERE account_id IN ${unknown}` : sql.empty}`,
    );
    await this.run(
      sql`CREATE OR REPLACE TEMP TABLE sweep_changes AS
       SELECT 'segment.entered' AS type, * FROM (SELECT account_id, segment FROM sweep_now_members EXCEPT SELECT account_id, segment FROM sweep_before)
       UNION ALL
       SELECT 'segment.exited' AS type, * FROM (SELECT account_id, segment FROM sweep_before EXCEPT SELECT account_id, segment FROM sweep_now_members)`,
    );
    const routes = input.routes.map((r) => [r.segment, r.source, r.webhook]);
    // Ids made once (a table, not a view), so each outbox row's body names its own id.
    await this.run(
      sql`CREATE OR REPLACE TEMP TABLE sweep_events AS
       SELECT CAST(uuid() AS VARCHAR) AS id, r.webhook, c.type, c.segment, c.account_id, r.source
       FROM sweep_changes c JOIN (${routes.length > 0 && !baselineOnly ? sql`VALUES ${values(routes)}` : sql`SELECT NULL, NULL, NULL WHERE false`}) r(segment, source, webhook)
       ON r.segment = c.segment`,
    );
    await this.applySweep(mine, now);
    const [summary] = await this.rows(
      sql`SELECT (SELECT count(*) FROM sweep_now) AS accounts,
        (SELECT count(*) FROM sweep_changes WHERE type = 'segment.entered') AS entered,
        (SELECT count(*) FROM sweep_changes WHERE type = 'segment.exited') AS exited,
        (SELECT count(*) FROM sweep_events) AS events`,
    );
    const changed = await this.rows(
      sql`SELECT DISTINCT account_id FROM sweep_changes ORDER BY account_id LIMIT ${CHANGED_LISTED + 1}`,
    );
    for (const table of ['now', 'now_members', 'run', 'run_members', 'before', 'changes', 'events'])
      await this.run(sql`DROP TABLE IF EXISTS ${sql.id(`sweep_${table}`)}`);
    return {
      accounts: Number(summary?.accounts ?? 0),
      entered: Number(summary?.entered ?? 0),
      exited: Number(summary?.exited ?? 0),
      events: Number(summary?.events ?? 0),
      changed: changed.length > CHANGED_LISTED ? null : changed.map((row) => String(row.account_id)),
    };
  }

  /** The sweep's tables made the live state, with its outbox rows, in one transaction. */
  private async applySweep(mine: Sql, now: Date): Promise<void> {
    const ms = now.getTime();
    await this.transaction(async () => {
      await this.run(sql`INSERT OR IGNORE INTO known_accounts SELECT DISTINCT account_id FROM sweep_now`);
      await this.run(
        sql`DELETE FROM live_memberships WHERE ${mine}
         AND (account_id, segment) NOT IN (SELECT account_id, segment FROM sweep_now_members)`,
      );
      await this.run(
        sql`INSERT OR IGNORE INTO live_memberships SELECT account_id, segment, ${ms} FROM sweep_now_members`,
      );
      // The body as MembershipEvent's JSON: the same keys in the same order as onApplied's.
      await this.run(
        sql`INSERT OR IGNORE INTO outbox SELECT id, webhook, type,
           json_object('id', id, 'type', type, 'segment', segment, 'accountId', account_id, 'source', source,
             'asOf', ${now.toISOString()})::VARCHAR,
           'pending', 0, ${ms}, ${ms}, NULL, NULL FROM sweep_events`,
      );
    });
  }

  /** Queues events (a scheduled run's transitions) without membership changes. */
  async enqueue(
    events: readonly { id: string; webhook: string; type: string; body: string }[],
    now: number,
  ): Promise<void> {
    await this.record([], [], events, now);
  }

  /**
   * Pending deliveries whose time has come, oldest first; after `after` (a row's created_at
   * and id) when given, so that a round pages on without waiting for its marks.
   */
  async due(now: number, limit: number, after?: { createdAt: number; id: string }): Promise<OutboxRow[]> {
    const later = after
      ? sql`AND (created_at > ${after.createdAt} OR (created_at = ${after.createdAt} AND id > ${after.id}))`
      : sql.empty;
    const rows = await this.exclusive(() =>
      this.rows(
        sql`SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ${now} ${later} ORDER BY created_at, id LIMIT ${limit}`,
      ),
    );
    return rows.map(toOutboxRow);
  }

  /**
   * Deliveries the receiver took, each at its time (epoch ms): one statement, one transaction;
   * now and then with the trim of delivered rows beyond what is kept.
   */
  async delivered(marks: readonly { id: string; at: number }[]): Promise<void> {
    if (marks.length === 0) return;
    const trim = Date.now() >= this.trimmedAt + TRIM_EVERY_MS;
    const cells = marks.map((m) => [m.id, m.at]);
    const { relation, staged } = rowsOf('staged_marks', cells);
    await this.exclusive(() =>
      this.atomically(
        [
          sql`UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = d.acked_at, last_error = NULL
           FROM (SELECT id, max(acked_at) AS acked_at FROM ${relation} m GROUP BY id) d WHERE outbox.id = d.id`,
          ...(trim ? trimDelivered(Date.now(), this.kept) : []),
        ],
        staged,
      ),
    );
    if (trim) this.trimmedAt = Date.now();
  }

  /** A failed try of these deliveries (a POST's): tried again at `retryAt`, or dead-lettered when it is null. */
  async failed(ids: readonly string[], error: string, retryAt: number | null): Promise<void> {
    if (ids.length === 0) return;
    const cells = ids.map((id) => [id, null]);
    const { relation, staged } = rowsOf('staged_marks', cells);
    await this.exclusive(() =>
      this.atomically(
        [
          sql`UPDATE outbox SET attempts = attempts + 1, last_error = ${error.slice(0, 500)},
          status = ${retryAt === null ? 'dead' : 'pending'}, next_attempt_at = ${retryAt ?? 0}
          WHERE id IN (SELECT id FROM ${relation} f)`,
        ],
        staged,
      ),
    );
  }

  /** Deliveries by status (and webhook), newest first. */
  async list(
    options: { status?: DeliveryStatus; webhook?: string; limit?: number } = {},
  ): Promise<OutboxRow[]> {
    const where = [
      options.status ? sql`status = ${options.status}` : null,
      options.webhook ? sql`webhook = ${options.webhook}` : null,
    ].filter((w): w is Sql => w !== null);
    const rows = await this.exclusive(() =>
      this.rows(
        sql`SELECT * FROM outbox ${where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql.empty} ORDER BY created_at DESC, id LIMIT ${options.limit ?? 100}`,
      ),
    );
    return rows.map(toOutboxRow);
  }

  /** Sends dead (or delivered, with `delivered`) deliveries again: back to pending, tries reset. Returns how many. */
  async replay(
    options: {
      ids?: readonly string[] | undefined;
      webhook?: string | undefined;
      since?: number | undefined;
      delivered?: boolean | undefined;
    },
    now: number,
  ) {
    const conditions = [
      options.delivered ? sql`status IN ('dead', 'delivered')` : sql`status = 'dead'`,
      options.ids?.length ? sql`id IN ${list(options.ids)}` : null,
      options.webhook ? sql`webhook = ${options.webhook}` : null,
      options.since !== undefined ? sql`created_at >= ${options.since}` : null,
    ].filter((w): w is Sql => w !== null);
    const where = sql.join(conditions, sql` AND `);
    return this.exclusive(async () => {
      const [count] = await this.rows(sql`SELECT count(*) AS n FROM outbox WHERE ${where}`);
      await this.run(
        sql`UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ${now}, last_error = NULL WHERE ${where}`,
      );
      return Number(count?.n ?? 0);
    });
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
