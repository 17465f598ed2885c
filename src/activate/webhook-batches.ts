import { createHash } from 'node:crypto';
import type { OutboxRow } from './activation-db.js';

/**
 * How due outbox rows become POSTs. A webhook without `batch` gets one POST per row, its
 * body the row's JSON as stored. A webhook with `batch: { maxEvents, maxBytes }` gets
 * `{"events":[<row>,<row>,...]}`: the rows' stored JSON joined as they are, byte for byte
 * what a single POST would have carried, in the outbox's order (oldest first), at most
 * maxEvents of them and at most maxBytes of body (a row larger than that alone goes alone).
 *
 * Only rows with the same number of past tries share a batch: a failed batch's rows are
 * all tried again at one time, so they come back together (as one batch, with the same
 * id, unless more rows have come due beside them), and a row's tries still count towards
 * its own dead-lettering.
 */

/** One POST's worth of rows, for one webhook. */
export interface Delivery {
  readonly webhook: string;
  readonly rows: readonly OutboxRow[];
  /** Sent as `{"events":[...]}` (the webhook opted in), even when it holds one row. */
  readonly batched: boolean;
}

export interface BatchLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
}

/** `{"events":[` and `]}` around the rows, `,` between them. */
const ENVELOPE_BYTES = '{"events":[]}'.length;

/** The body of a batch: the rows' stored JSON, unchanged, in order. */
export function batchBody(rows: readonly OutboxRow[]): string {
  return `{"events":[${rows.map((row) => row.body).join(',')}]}`;
}

/**
 * A batch's delivery id (its `Idempotency-Key`): `b_` and 32 hex digits of the SHA-256 of
 * its rows' ids, so the same events sent again carry the same id.
 */
export function batchId(rows: readonly OutboxRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${row.id}\n`);
  return `b_${hash.digest('hex').slice(0, 32)}`;
}

/**
 * The POSTs for `rows` (due rows, oldest first): one per row where `limits(webhook)` is
 * null, batches where it is set. Deliveries come in the order of their first row.
 */
export function groupDeliveries(
  rows: readonly OutboxRow[],
  limits: (webhook: string) => BatchLimits | null,
): Delivery[] {
  const out: { first: number; delivery: Delivery }[] = [];
  const open = new Map<string, { first: number; rows: OutboxRow[]; bytes: number }>();
  const close = (key: string) => {
    const batch = open.get(key);
    if (!batch) return;
    open.delete(key);
    out.push({
      first: batch.first,
      delivery: { webhook: batch.rows[0]?.webhook ?? '', rows: batch.rows, batched: true },
    });
  };
  for (const [index, row] of rows.entries()) {
    const limit = limits(row.webhook);
    if (!limit) {
      out.push({ first: index, delivery: { webhook: row.webhook, rows: [row], batched: false } });
      continue;
    }
    const key = `${row.webhook}\n${row.attempts}`;
    const bytes = Buffer.byteLength(row.body) + 1;
    const batch = open.get(key);
    if (batch && (batch.rows.length >= limit.maxEvents || batch.bytes + bytes > limit.maxBytes)) close(key);
    const current = open.get(key);
    if (current) {
      current.rows.push(row);
      current.bytes += bytes;
    } else open.set(key, { first: index, rows: [row], bytes: ENVELOPE_BYTES - 1 + bytes });
  }
  for (const key of [...open.keys()]) close(key);
  return out.sort((a, b) => a.first - b.first).map((entry) => entry.delivery);
}
