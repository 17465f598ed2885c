import { z } from 'zod';

/*
 * Suggestions for the dashboard's free-text boxes (an event name, an account id, a metric, a
 * segment): values beginning with what was typed, from the store or the workspace, few enough
 * for a <datalist>.
 */

export const SuggestionField = z.enum(['event', 'account', 'metric', 'segment']);

export const Suggestions = z.strictObject({
  field: SuggestionField,
  /** The text the values begin with (case-insensitive), as asked. */
  prefix: z.string(),
  /**
   * The run segments' counts are read from (the latest one; null before any run or for other
   * fields). Event counts are of every stored event, whatever its time; accounts and metrics are
   * not counted.
   */
  run: z.strictObject({ runId: z.number().int(), asOf: z.string() }).nullable(),
  values: z.array(
    z.strictObject({
      /** What goes into the box. */
      value: z.string(),
      /** Words beside it: an account's name, a metric's kind of number, a segment's framework. */
      label: z.string().nullable(),
      /** How many: an event's rows, a segment's accounts in the latest run; null when not counted. */
      count: z.number().nullable(),
    }),
  ),
});

export type SuggestionField = z.infer<typeof SuggestionField>;
export type Suggestions = z.infer<typeof Suggestions>;
