import { statSync } from 'node:fs';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdbDialect } from '../dialect/duckdb/duckdb-dialect.js';
import { redactSecrets } from '../redact.js';

/**
 * The server's own state, in `.strata/activation.duckdb` whatever the store's engine (so
 * that it has transactions on ClickHouse too): each account's current memberships as the
 * triggers last saw them, and the webhook outbox. A membership change and its outbox rows
 * are written in one transaction, so an event is never sent for a change that was not
 * recorded, nor a recorded change left unsent.
 */

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface OutboxRow {
  /** Also the idempotency key the receiver sees. */
  readonly id: string;
  readonly webhook: string;
  readonly type: string;
  readonly body: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
}

const lit = duckdbDialect.literal;

export class ActivationDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(path: string): Promise<ActivationDb> {
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    const db = new ActivationDb(instance, connection);
    await db.run(
      `CREATE TABLE IF NOT EXISTS live_memberships (account_id VARCHAR, segment VARCHAR, since BIGINT, PRIMARY KEY (account_id, segment))`,
    );
    await db.run(`CREATE TABLE IF NOT EXISTS known_accounts (account_id VARCHAR PRIMARY KEY)`);
    await db.run(
      `CREATE TABLE IF NOT EXISTS outbox (id VARCHAR PRIMARY KEY, webhook VARCHAR NOT NULL, type VARCHAR NOT NULL, body VARCHAR NOT NULL,
        status VARCHAR NOT NULL, attempts INTEGER NOT NULL, created_at BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL,
        last_error VARCHAR, delivered_at BIGINT)`,
    );
    return db;
  }

  private async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  private async rows(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  }

  /** Current memberships of these accounts; accounts never seen are left out of the map. */
  async memberships(accountIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const result = new Map<string, Set<string>>();
    if (accountIds.length === 0) return result;
    const list = accountIds.map((id) => lit(id)).join(', ');
    for (const row of await this.rows(`SELECT account_id FROM known_accounts WHERE account_id IN (${list})`))
      result.set(String(row.account_id), new Set());
    for (const row of await this.rows(
      `SELECT account_id, segment FROM live_memberships WHERE account_id IN (${list})`,
    ))
      result.get(String(row.account_id))?.add(String(row.segment));
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
    // One statement per table (a statement each costs a millisecond or so).
    const values = (rows: readonly string[][]) => rows.map((row) => `(${row.join(', ')})`).join(', ');
    const known = initial.map(({ account }) => [lit(account)]);
    const joined = [
      ...initial.flatMap(({ account, segments }) =>
        segments.map((segment) => [lit(account), lit(segment), lit(now)]),
      ),
      ...changes.flatMap(({ account, entered }) =>
        entered.map((segment) => [lit(account), lit(segment), lit(now)]),
      ),
    ];
    const left = changes.flatMap(({ account, exited }) =>
      exited.map((segment) => [lit(account), lit(segment)]),
    );
    const queued = events.map((event) => [
      lit(event.id),
      lit(event.webhook),
      lit(event.type),
      lit(event.body),
      "'pending'",
      '0',
      lit(now),
      lit(now),
      'NULL',
      'NULL',
    ]);
    await this.run('BEGIN TRANSACTION');
    try {
      if (known.length > 0) await this.run(`INSERT OR IGNORE INTO known_accounts VALUES ${values(known)}`);
      if (left.length > 0)
        await this.run(
          `DELETE FROM live_memberships WHERE (account_id, segment) IN (VALUES ${values(left)})`,
        );
      if (joined.length > 0)
        await this.run(`INSERT OR IGNORE INTO live_memberships VALUES ${values(joined)}`);
      if (queued.length > 0) await this.run(`INSERT OR IGNORE INTO outbox VALUES ${values(queued)}`);
      await this.run('COMMIT');
    } catch (error) {
      await this.run('ROLLBACK');
      throw error;
    }
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
  }): Promise<{ accounts: number; entered: number; exited: number; events: number }> {
    const { segments, now } = input;
    const ms = lit(now.getTime());
    const load = async (table: string, file: string) => {
      const columns = [`'account_id': 'VARCHAR'`, ...segments.map((_, i) => `${lit(`s${i}`)}: 'INTEGER'`)];
      // An engine may write nothing at all (not even the header) for no rows.
      const empty = statSync(file).size === 0;
      await this.run(
        `CREATE OR REPLACE TEMP TABLE ${table} AS ${
          empty
            ? `SELECT NULL::VARCHAR AS account_id WHERE false`
            : `SELECT * FROM read_csv(${lit(file)}, header = true, auto_detect = false, quote = '"', escape = '"',
                columns = {${columns.join(', ')}})`
        }`,
      );
      // Long form: one row per (account, segment) the account is in.
      const members = segments.map(
        (segment, i) =>
          `SELECT account_id, ${lit(segment)} AS segment FROM ${table} WHERE ${empty ? 'false' : `s${i} = 1`}`,
      );
      await this.run(`CREATE OR REPLACE TEMP TABLE ${table}_members AS ${members.join(' UNION ALL ')}`);
    };
    await load('sweep_now', input.file);
    const unknown = `(SELECT account_id FROM sweep_now WHERE account_id NOT IN (SELECT account_id FROM known_accounts))`;
    const [counted] = await this.rows(`SELECT count(*) AS n FROM ${unknown}`);
    const fromRun = Number(counted?.n ?? 0) > 0 ? await input.baseline() : null;
    if (fromRun) await load('sweep_run', fromRun);
    // The first start's sweep with nothing to compare with (no live state, no run) sets the
    // baseline silently: the accounts were in their segments before the triggers existed,
    // and a webhook per membership (100k at M) would tell a receiver nothing.
    const [seen] = await this.rows('SELECT count(*) AS n FROM known_accounts');
    const baselineOnly = input.silentBaseline === true && !fromRun && Number(seen?.n ?? 0) === 0;
    const mine = `segment IN (${segments.map((s) => lit(s)).join(', ')})`;
    await this.run(
      `CREATE OR REPLACE TEMP TABLE sweep_before AS
       SELECT account_id, segment FROM live_memberships WHERE ${mine}
       ${fromRun ? `UNION ALL SELECT account_id, segment FROM sweep_run_members WHERE account_id IN ${unknown}` : ''}`,
    );
    await this.run(
      `CREATE OR REPLACE TEMP TABLE sweep_changes AS
       SELECT 'segment.entered' AS type, * FROM (SELECT account_id, segment FROM sweep_now_members EXCEPT SELECT account_id, segment FROM sweep_before)
       UNION ALL
       SELECT 'segment.exited' AS type, * FROM (SELECT account_id, segment FROM sweep_before EXCEPT SELECT account_id, segment FROM sweep_now_members)`,
    );
    const routes = input.routes.map((r) => `(${lit(r.segment)}, ${lit(r.source)}, ${lit(r.webhook)})`);
    // Ids made once (a table, not a view), so each outbox row's body names its own id.
    await this.run(
      `CREATE OR REPLACE TEMP TABLE sweep_events AS
       SELECT CAST(uuid() AS VARCHAR) AS id, r.webhook, c.type, c.segment, c.account_id, r.source
       FROM sweep_changes c JOIN (${routes.length > 0 && !baselineOnly ? `VALUES ${routes.join(', ')}` : 'SELECT NULL, NULL, NULL WHERE false'}) r(segment, source, webhook)
       ON r.segment = c.segment`,
    );
    await this.run('BEGIN TRANSACTION');
    try {
      await this.run(`INSERT OR IGNORE INTO known_accounts SELECT DISTINCT account_id FROM sweep_now`);
      await this.run(
        `DELETE FROM live_memberships WHERE ${mine}
         AND (account_id, segment) NOT IN (SELECT account_id, segment FROM sweep_now_members)`,
      );
      await this.run(
        `INSERT OR IGNORE INTO live_memberships SELECT account_id, segment, ${ms} FROM sweep_now_members`,
      );
      // The body as MembershipEvent's JSON: the same keys in the same order as onApplied's.
      await this.run(
        `INSERT OR IGNORE INTO outbox SELECT id, webhook, type,
           json_object('id', id, 'type', type, 'segment', segment, 'accountId', account_id, 'source', source,
             'asOf', ${lit(now.toISOString())})::VARCHAR,
           'pending', 0, ${ms}, ${ms}, NULL, NULL FROM sweep_events`,
      );
      await this.run('COMMIT');
    } catch (error) {
      await this.run('ROLLBACK');
      throw error;
    }
    const [summary] = await this.rows(
      `SELECT (SELECT count(*) FROM sweep_now) AS accounts,
        (SELECT count(*) FROM sweep_changes WHERE type = 'segment.entered') AS entered,
        (SELECT count(*) FROM sweep_changes WHERE type = 'segment.exited') AS exited,
        (SELECT count(*) FROM sweep_events) AS events`,
    );
    for (const table of ['now', 'now_members', 'run', 'run_members', 'before', 'changes', 'events'])
      await this.run(`DROP TABLE IF EXISTS sweep_${table}`);
    return {
      accounts: Number(summary?.accounts ?? 0),
      entered: Number(summary?.entered ?? 0),
      exited: Number(summary?.exited ?? 0),
      events: Number(summary?.events ?? 0),
    };
  }

  /** Queues events (a scheduled run's transitions) without membership changes. */
  async enqueue(
    events: readonly { id: string; webhook: string; type: string; body: string }[],
    now: number,
  ): Promise<void> {
    await this.record([], [], events, now);
  }

  /** Pending deliveries whose time has come, oldest first. */
  async due(now: number, limit: number): Promise<OutboxRow[]> {
    const rows = await this.rows(
      `SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ${lit(now)} ORDER BY created_at, id LIMIT ${lit(limit)}`,
    );
    return rows.map(toOutboxRow);
  }

  async delivered(ids: readonly string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.run(
      `UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ${lit(now)}, last_error = NULL
       WHERE id IN (${ids.map((id) => lit(id)).join(', ')})`,
    );
  }

  /** A failed try: tried again at `retryAt`, or dead-lettered when it is null. */
  async failed(id: string, error: string, retryAt: number | null): Promise<void> {
    await this.run(
      `UPDATE outbox SET attempts = attempts + 1, last_error = ${lit(error.slice(0, 500))},
        status = ${lit(retryAt === null ? 'dead' : 'pending')}, next_attempt_at = ${lit(retryAt ?? 0)} WHERE id = ${lit(id)}`,
    );
  }

  /** Deliveries by status (and webhook), newest first. */
  async list(
    options: { status?: DeliveryStatus; webhook?: string; limit?: number } = {},
  ): Promise<OutboxRow[]> {
    const where = [
      options.status ? `status = ${lit(options.status)}` : null,
      options.webhook ? `webhook = ${lit(options.webhook)}` : null,
    ].filter(Boolean);
    const rows = await this.rows(
      `SELECT * FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ${lit(options.limit ?? 100)}`,
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
    const where = [
      options.delivered ? `status IN ('dead', 'delivered')` : `status = 'dead'`,
      options.ids?.length ? `id IN (${options.ids.map((id) => lit(id)).join(', ')})` : null,
      options.webhook ? `webhook = ${lit(options.webhook)}` : null,
      options.since !== undefined ? `created_at >= ${lit(options.since)}` : null,
    ].filter(Boolean);
    const [count] = await this.rows(`SELECT count(*) AS n FROM outbox WHERE ${where.join(' AND ')}`);
    await this.run(
      `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ${lit(now)}, last_error = NULL WHERE ${where.join(' AND ')}`,
    );
    return Number(count?.n ?? 0);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

function toOutboxRow(row: Record<string, unknown>): OutboxRow {
  return {
    id: String(row.id),
    webhook: String(row.webhook),
    type: String(row.type),
    body: String(row.body),
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
    nextAttemptAt: Number(row.next_attempt_at),
    // Redacted again when read: errors recorded before redaction existed.
    lastError: row.last_error === null ? null : redactSecrets(String(row.last_error)),
  };
}
