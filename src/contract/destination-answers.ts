import { z } from 'zod';

/*
 * Answers of the destination routes (src/server/destination-routes.ts): CRM destinations'
 * state, the writes their next sync would make, a sync run now, dead letters made due again.
 * The same shapes as `strata sync status|plan|run|replay --json`. Only zod is imported.
 */

const SyncedValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const SyncLogEntry = z.strictObject({
  id: z.number().int(),
  destination: z.string(),
  /** The latest run when it started. */
  runId: z.number().int(),
  /** The values' time: the run's, or for a real-time sync the trigger's. */
  asOf: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z.enum(['running', 'done', 'failed', 'interrupted']),
  /** Records whose values had changed when it started. */
  planned: z.number().int(),
  written: z.number().int(),
  failed: z.number().int(),
  /** Records the CRM has no record for. */
  unmatched: z.number().int(),
  error: z.string().nullable(),
});

export const Destinations = z.strictObject({
  destinations: z.array(
    z.strictObject({
      name: z.string(),
      type: z.enum(['hubspot', 'salesforce']),
      object: z.string(),
      sync: z.enum(['realtime', 'schedule', 'manual']),
      /** Its latest sync, or null before the first. */
      lastSync: SyncLogEntry.nullable(),
      /** Records refused by the CRM: tried again by each sync (retry) or dead-lettered (dead). */
      failures: z.strictObject({ retry: z.number().int(), dead: z.number().int() }),
      /** What its next sync would write, from the latest run (null with `nextError` when it cannot be planned). */
      next: z
        .strictObject({
          runId: z.number().int(),
          asOf: z.string(),
          records: z.number().int(),
          pending: z.number().int(),
          fields: z.record(z.string(), z.number().int()),
        })
        .nullable(),
      nextError: z.string().nullable(),
    }),
  ),
});

export const SyncPlanAnswer = z.strictObject({
  destination: z.string(),
  type: z.enum(['hubspot', 'salesforce']),
  object: z.string(),
  runId: z.number().int(),
  asOf: z.string(),
  records: z.number().int(),
  pending: z.number().int(),
  neverWritten: z.number().int(),
  toMatch: z.number().int(),
  dead: z.number().int(),
  /** Records holding values evaluated after this run (written in real time): left as they are. */
  newer: z.number().int(),
  /** Per CRM property, how many pending records change it. */
  fields: z.record(z.string(), z.number().int()),
  writes: z.array(
    z.strictObject({
      record: z.string(),
      crmId: z.string(),
      matchKey: z.string(),
      property: z.string(),
      from: SyncedValue,
      to: SyncedValue,
      firstWrite: z.boolean(),
    }),
  ),
  shownRecords: z.number().int(),
});

export const SyncRunAnswer = z.strictObject({
  destination: z.string(),
  runId: z.number().int(),
  asOf: z.string(),
  records: z.number().int(),
  planned: z.number().int(),
  written: z.number().int(),
  failed: z.number().int(),
  unmatched: z.number().int(),
  dead: z.number().int(),
  created: z.array(z.string()),
  updated: z.array(z.string()),
  seconds: z.number(),
});

export const SyncReplayAnswer = z.strictObject({ destination: z.string(), replayed: z.number().int() });

export const SyncReplayBody = z.object({
  records: z
    .array(z.string().min(1))
    .max(10_000)
    .optional()
    .describe('Only these records (account or user ids)'),
});

export type Destinations = z.infer<typeof Destinations>;
export type SyncPlanAnswer = z.infer<typeof SyncPlanAnswer>;
export type SyncRunAnswer = z.infer<typeof SyncRunAnswer>;
