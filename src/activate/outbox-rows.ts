import { duckdbDialect } from '../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../dialect/sql.js';
import { redactSecrets } from '../redact.js';

/**
 * The webhook outbox's rows as the activation file keeps them (see activation-db.ts), and
 * how long delivered ones are kept.
 */

const sql = duckdbDialect.sql;

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

/** How long delivered rows are kept: `days` since delivered, the newest `rows` at most. */
export interface DeliveredKept {
  readonly days: number;
  readonly rows: number;
}

/**
 * A week of delivered rows, the newest 100,000 at most: enough for `webhooks deliveries` and
 * `replay --delivered` after an incident, and a bound on the outbox the sender scans.
 */
export const DELIVERED_KEPT: DeliveredKept = { days: 7, rows: 100_000 };

/** The kept delivered rows are trimmed at most this often (ms): a trim scans them all. */
export const TRIM_EVERY_MS = 60_000;

/** Statements that drop the delivered rows older than `kept.days` or beyond the newest `kept.rows`. */
export function trimDelivered(now: number, kept: DeliveredKept): Sql[] {
  return [
    sql`DELETE FROM outbox WHERE status = 'delivered' AND delivered_at < ${now - kept.days * 86_400_000}`,
    sql`DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = 'delivered'
      ORDER BY delivered_at DESC, id OFFSET ${kept.rows})`,
  ];
}

export function toOutboxRow(row: Record<string, unknown>): OutboxRow {
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
