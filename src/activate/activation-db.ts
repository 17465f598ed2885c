import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdbDialect } from '../dialect/duckdb/duckdb-dialect.js';

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
    lastError: row.last_error === null ? null : String(row.last_error),
  };
}
