import { z } from 'zod';

/*
 * Pieces every answer shares: the error body, the one clock's fields of an "as of" answer
 * (src/server/request-clock.ts), warnings, and account rows. Only zod is imported here, so
 * the dashboard can take these types with `import type` and nothing else follows.
 */

/** Every 4xx and 5xx body: a code, a message for people, and the field at fault when one is. */
export const ErrorAnswer = z.object({
  error: z.string(),
  message: z.string(),
  field: z.string().optional(),
  /** RFM's 409: the dimensions without data. */
  missing: z.unknown().optional(),
  statusCode: z.number().int().optional(),
});

export const ClockSource = z.enum(['given', 'latest run', 'latest data', 'now']);

/** A run's warning, or the data_stale one every "as of" answer may carry. */
export const Warning = z.strictObject({
  code: z.string(),
  level: z.enum(['warning', 'strong']),
  message: z.string(),
  segment: z.string().optional(),
});

/** What an "as of" answer says of its time (`asOf`, `clock`, `warnings`). */
export const ClockFields = {
  asOf: z.string(),
  clock: z.strictObject({ at: z.string(), source: ClockSource }),
  warnings: z.array(Warning),
};

/** The latest value of a metric: numbers, text metrics, or nothing. */
export const MetricValue = z.union([z.number(), z.string(), z.null()]);
export const Metrics = z.record(z.string(), MetricValue);

/** An account row as answered (any imported column; traits as an object, times as ISO text). */
export const AccountRow = z.looseObject({
  account_id: z.string(),
  name: z.string().nullish(),
  traits: z.record(z.string(), z.unknown()),
});

/** A playbook as written in strata.yaml (owner, touch, cadence, channels, ...). */
export const PlaybookConfig = z.looseObject({ owner: z.string() });

/** Position in the write-ahead log. */
export const LogPosition = z.strictObject({ segment: z.number(), offset: z.number() });

export type Warning = z.infer<typeof Warning>;
export type AccountRow = z.infer<typeof AccountRow>;
export type ClockSource = z.infer<typeof ClockSource>;
