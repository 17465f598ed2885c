import { z } from 'zod';

/*
 * The workspace's vocabulary as readers need it to show numbers and suggest names: the
 * currency of money, each metric's kind of number (src/language/metric-kinds.ts), the
 * segments and the schemes. Display only: values elsewhere stay full-precision numbers.
 */

export const MetricKind = z.enum(['money', 'share', 'count', 'score', 'days', 'number', 'text']);

export const WorkspaceVocabulary = z.strictObject({
  /** ISO 4217 code of money (settings.currency, default USD). */
  currency: z.string(),
  /** Every metric a run computes or a condition may name, with its kind of number. */
  metrics: z.array(z.strictObject({ name: z.string(), kind: MetricKind, declared: z.boolean() })),
  segments: z.array(z.strictObject({ id: z.string(), framework: z.string().nullable() })),
  schemes: z.array(z.strictObject({ id: z.string(), order: z.array(z.string()) })),
});

export type MetricKind = z.infer<typeof MetricKind>;
export type WorkspaceVocabulary = z.infer<typeof WorkspaceVocabulary>;
