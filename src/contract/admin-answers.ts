import { z } from 'zod';
import { LogPosition } from './common.js';

/*
 * Answers of the admin routes (src/server/admin-routes.ts, quarantine-routes.ts), /health
 * and the ingestion routes. Only zod is imported.
 */

/** Every ingestion route: 200 once the messages are in the log on disk. */
export const Accepted = z.strictObject({ success: z.literal(true) });

export const Deliveries = z.strictObject({
  deliveries: z.array(
    z.strictObject({
      /** Also the idempotency key the receiver sees. */
      id: z.string(),
      webhook: z.string(),
      type: z.string(),
      body: z.string(),
      status: z.enum(['pending', 'delivered', 'dead']),
      attempts: z.number().int(),
      /** Epoch milliseconds. */
      createdAt: z.number(),
      nextAttemptAt: z.number(),
      lastError: z.string().nullable(),
    }),
  ),
});

export const WebhookReplay = z.strictObject({ replayed: z.number().int() });

export const QuarantinedRecord = z.strictObject({
  id: z.string(),
  quarantinedAt: z.string(),
  reason: z.string(),
  /** The record as logged, or the text of a line that is not JSON. */
  record: z.unknown(),
  unreadable: z.boolean(),
});
export const QuarantineList = z.strictObject({ records: z.array(QuarantinedRecord) });
export const QuarantineReplay = z.strictObject({
  replayed: z.array(z.string()),
  stillQuarantined: z.array(QuarantinedRecord),
});

export const ScheduleRun = z.strictObject({
  schedule: z.string(),
  runId: z.number().int(),
  asOf: z.string(),
  /** Webhook events the run's transitions made. */
  events: z.number().int(),
});

const Sweep = z.strictObject({
  asOf: z.string(),
  accounts: z.number(),
  entered: z.number(),
  exited: z.number(),
  events: z.number(),
  seconds: z.number(),
});
export const Health = z.strictObject({
  ok: z.literal(true),
  /** Written to disk so far, and applied to the store so far. */
  log: LogPosition,
  applied: LogPosition,
  pending: z.number(),
  quarantined: z.number(),
  lastApply: z
    .strictObject({
      events: z.number(),
      accounts: z.number(),
      users: z.number(),
      traitChanges: z.number(),
      pending: z.number(),
      rejected: z.number(),
      quarantined: z.number(),
      seconds: z.number(),
    })
    .nullable(),
  lastTrigger: z
    .strictObject({
      accounts: z.number(),
      entered: z.number(),
      exited: z.number(),
      events: z.number(),
      /** Accounts evaluated in memory; the rest by the compiled query. */
      inMemory: z.number(),
      evaluateSeconds: z.number(),
      recordSeconds: z.number(),
    })
    .nullable(),
  lastSweep: Sweep.nullable(),
  schedules: z.array(z.strictObject({ name: z.string(), next: z.string() })),
  lastSchedule: z
    .strictObject({
      schedule: z.string(),
      runId: z.number().int(),
      events: z.number(),
      /** Destinations synced after the run (`sync: schedule` or `realtime`), each with what it wrote or why it stopped. */
      syncs: z.array(
        z.strictObject({
          destination: z.string(),
          written: z.number().int(),
          failed: z.number().int(),
          error: z.string().nullable(),
        }),
      ),
    })
    .nullable(),
  /** Each `sync: realtime` destination's latest sync, run as the triggers saw accounts change. */
  realtimeSyncs: z.array(
    z.strictObject({
      destination: z.string(),
      /** When the values were evaluated (the trigger's time). */
      asOf: z.string(),
      /** Accounts it was asked for; null: every account. */
      accounts: z.number().int().nullable(),
      planned: z.number().int(),
      written: z.number().int(),
      failed: z.number().int(),
      /** Why it stopped; its accounts are tried again at `retryAt`. */
      error: z.string().nullable(),
      retryAt: z.string().nullable(),
    }),
  ),
  /**
   * How late the server's event loop ran its callbacks over the last 10 s (ms): requests,
   * acknowledgements and applies share one thread, so each waits as long.
   */
  eventLoop: z.strictObject({ p50Ms: z.number(), p99Ms: z.number(), maxMs: z.number(), seconds: z.number() }),
  /** The last apply's or sweep's error, until one succeeds. */
  failure: z.string().nullable(),
});

export type Deliveries = z.infer<typeof Deliveries>;
export type QuarantineList = z.infer<typeof QuarantineList>;
export type Health = z.infer<typeof Health>;
