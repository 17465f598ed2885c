import { z } from 'zod';
import type { Comparison, ConditionNode, EventFilter, MetricNode } from '../compile/ast.js';
import { parseWindowDays } from './duration.js';

/**
 * zod schemas for the metric and condition forms of strata.yaml (DESIGN section 3),
 * each transforming what users write into the AST of src/compile/ast.ts.
 */

const window = z
  .string()
  .refine((text) => parseWindowDays(text) !== undefined, {
    message: 'invalid window: use a number and a unit, e.g. 30d, 12w, 6m or 1y',
  })
  .transform((text) => parseWindowDays(text) ?? 0);

/**
 * A union picked by which key the object has (`count`, `recency`, `trait`, ...), so a
 * mistake is reported against the form the user meant, not as "no option matched".
 */
function byKey<T>(
  what: string,
  branches: Readonly<Record<string, z.ZodType<T, unknown>>>,
): z.ZodType<T, unknown> {
  const keys = Object.keys(branches);
  return z.unknown().transform((value, ctx): T => {
    const key = value && typeof value === 'object' ? keys.find((k) => k in value) : undefined;
    const branch = key ? branches[key] : undefined;
    if (!branch) {
      ctx.addIssue({ code: 'custom', message: `not a ${what}: expected one of the keys ${keys.join(', ')}` });
      return z.NEVER;
    }
    const parsed = branch.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: issue.path } as never);
      return z.NEVER;
    }
    return parsed.data;
  });
}

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const propertyEquals = z.record(z.string(), scalar).default({});

/** `session_start`, or `{ event: session_start, where: { plan: pro } }`. */
const eventFilter = z
  .union([z.string().min(1), z.object({ event: z.string().min(1), where: propertyEquals }).strict()])
  .transform((value): EventFilter => (typeof value === 'string' ? { event: value, where: {} } : value));

const aggregate = z
  .object({ event: z.string().min(1), property: z.string().min(1), where: propertyEquals })
  .strict();

/** `{ sum: { event, property, where? }, within? }` and its avg / min / max siblings. */
function aggregateMetric(fn: 'sum' | 'avg' | 'min' | 'max') {
  return z
    .object({ [fn]: aggregate, within: window.optional() })
    .strict()
    .transform((m): MetricNode => {
      const spec = m[fn] as z.infer<typeof aggregate>;
      return {
        kind: 'aggregate',
        fn,
        filter: { event: spec.event, where: spec.where },
        property: spec.property,
        withinDays: (m.within as number | undefined) ?? null,
      };
    });
}

export const metricSchema = byKey<MetricNode>('metric', {
  count: z
    .object({ count: eventFilter, within: window.optional() })
    .strict()
    .transform((m): MetricNode => ({ kind: 'count', filter: m.count, withinDays: m.within ?? null })),
  recency: z
    .object({ recency: eventFilter })
    .strict()
    .transform((m): MetricNode => ({ kind: 'recency', filter: m.recency })),
  distinctEvents: z
    .object({
      distinctEvents: z.array(z.string().min(1)).min(1),
      within: window.optional(),
      ratio: z.boolean().default(false),
    })
    .strict()
    .transform(
      (m): MetricNode => ({
        kind: 'distinctEvents',
        events: m.distinctEvents,
        withinDays: m.within ?? null,
        ratio: m.ratio,
      }),
    ),
  sum: aggregateMetric('sum'),
  avg: aggregateMetric('avg'),
  min: aggregateMetric('min'),
  max: aggregateMetric('max'),
  trait: z
    .object({ trait: z.string().min(1) })
    .strict()
    .transform((m): MetricNode => ({ kind: 'trait', trait: m.trait })),
});

/** The one comparison operator of a trait or metric condition. */
const comparisonKeys = {
  eq: scalar.optional(),
  ne: scalar.optional(),
  gt: z.union([z.number(), z.string()]).optional(),
  gte: z.union([z.number(), z.string()]).optional(),
  lt: z.union([z.number(), z.string()]).optional(),
  lte: z.union([z.number(), z.string()]).optional(),
  between: z.tuple([z.number(), z.number()]).optional(),
  in: z
    .array(z.union([z.string(), z.number()]))
    .min(1)
    .optional(),
  exists: z.boolean().optional(),
  contains: z.string().optional(),
};
type ComparisonInput = { [K in keyof typeof comparisonKeys]?: z.infer<(typeof comparisonKeys)[K]> };

function toComparison(input: ComparisonInput, ctx: z.RefinementCtx): Comparison {
  const given = (Object.keys(comparisonKeys) as (keyof ComparisonInput)[]).filter(
    (k) => input[k] !== undefined,
  );
  if (given.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message:
        given.length === 0
          ? `needs one comparison: ${Object.keys(comparisonKeys).join(', ')}`
          : `has ${given.length} comparisons (${given.join(', ')}); use all: [...] to combine them`,
    });
    return { op: 'exists', value: true };
  }
  const op = given[0] as keyof ComparisonInput;
  return { op, value: input[op] } as Comparison;
}

export const conditionSchema: z.ZodType<ConditionNode, unknown> = z.lazy(() =>
  byKey<ConditionNode>('condition', {
    trait: z
      .object({ trait: z.string().min(1), ...comparisonKeys })
      .strict()
      .transform((c, ctx): ConditionNode => ({ kind: 'trait', trait: c.trait, ...toComparison(c, ctx) })),
    metric: z
      .object({ metric: z.string().min(1), ...comparisonKeys })
      .strict()
      .transform((c, ctx): ConditionNode => ({ kind: 'metric', metric: c.metric, ...toComparison(c, ctx) })),
    performed: z
      .object({
        performed: eventFilter,
        within: window.optional(),
        atLeast: z.number().int().min(0).default(1),
        atMost: z.number().int().min(0).optional(),
      })
      .strict()
      .transform(
        (c): ConditionNode => ({
          kind: 'performed',
          filter: c.performed,
          withinDays: c.within ?? null,
          atLeast: c.atLeast,
          atMost: c.atMost ?? null,
        }),
      ),
    notPerformed: z
      .object({ notPerformed: eventFilter, within: window.optional() })
      .strict()
      .transform(
        (c): ConditionNode => ({
          kind: 'performed',
          filter: c.notPerformed,
          withinDays: c.within ?? null,
          atLeast: 0,
          atMost: 0,
        }),
      ),
    segment: z
      .object({ segment: z.string().min(1) })
      .strict()
      .transform((c): ConditionNode => ({ kind: 'segment', segment: c.segment })),
    all: z
      .object({ all: z.array(conditionSchema).min(1) })
      .strict()
      .transform((c): ConditionNode => ({ kind: 'all', conditions: c.all })),
    any: z
      .object({ any: z.array(conditionSchema).min(1) })
      .strict()
      .transform((c): ConditionNode => ({ kind: 'any', conditions: c.any })),
    not: z
      .object({ not: conditionSchema })
      .strict()
      .transform((c): ConditionNode => ({ kind: 'not', condition: c.not })),
  }),
);

export const FRAMEWORKS = [
  'firmographic',
  'behavioral',
  'value',
  'needs',
  'lifecycle',
  'predictive',
] as const;

export const segmentSchema = z
  .object({
    framework: z.enum(FRAMEWORKS).optional(),
    parent: z.string().min(1).optional(),
    description: z.string().optional(),
    where: conditionSchema,
  })
  .strict();
