import { z } from 'zod';
import {
  type Comparison,
  type ConditionNode,
  type EventFilter,
  type MetricNode,
  type ModelScorer,
  type Moment,
  ROLLUP_FUNCTIONS,
  SEGMENT_LEVELS,
} from '../language/ast.js';
import { parseWindowDays } from './duration.js';

/**
 * zod schemas for the metric and condition forms of strata.yaml (DESIGN section 3),
 * each transforming what users write into the AST of src/language/ast.ts.
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
  // The same { event, property, where? } as sum / avg / min / max.
  countDistinct: z
    .object({ countDistinct: aggregate, within: window.optional() })
    .strict()
    .transform(
      (m): MetricNode => ({
        kind: 'countDistinct',
        filter: { event: m.countDistinct.event, where: m.countDistinct.where },
        property: m.countDistinct.property,
        withinDays: m.within ?? null,
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
  tickets: z
    .object({ tickets: z.object({ within: window.optional(), open: z.boolean().default(false) }).strict() })
    .strict()
    .transform(
      (m): MetricNode => ({ kind: 'tickets', withinDays: m.tickets.within ?? null, open: m.tickets.open }),
    ),
  traitChanges: z
    .object({ traitChanges: z.string().min(1), within: window })
    .strict()
    .transform((m): MetricNode => ({ kind: 'traitChanges', trait: m.traitChanges, withinDays: m.within })),
  change: z
    .object({ change: z.string().min(1), within: window })
    .strict()
    .transform((m): MetricNode => ({ kind: 'change', metric: m.change, withinDays: m.within })),
  rfm: z
    .object({ rfm: z.enum(['cell', 'r', 'f', 'm', 'fm']) })
    .strict()
    // The inputs come from the workspace's `rfm:` section when the workspace is loaded.
    .transform(
      (m): MetricNode => ({ kind: 'rfm', part: m.rfm, recency: '', frequency: '', monetary: '', cells: [] }),
    ),
  // The scorer is read from models/ when the workspace is loaded.
  model: z
    .object({ model: z.string().min(1) })
    .strict()
    .transform((m): MetricNode => ({ kind: 'model', ref: m.model, scorer: UNLOADED_MODEL })),
  cluster: z
    .object({ cluster: z.string().min(1) })
    .strict()
    .transform(
      (m): MetricNode => ({
        kind: 'cluster',
        ref: m.cluster,
        scorer: { features: [], metrics: {}, means: [], scales: [], centres: [] },
      }),
    ),
  rollup: z
    .object({ rollup: z.string().min(1), using: z.enum(ROLLUP_FUNCTIONS) })
    .strict()
    .transform((m): MetricNode => ({ kind: 'rollup', metric: m.rollup, using: m.using })),
  percentile: z
    .object({ percentile: z.string().min(1) })
    .strict()
    .transform((m): MetricNode => ({ kind: 'percentile', metric: m.percentile })),
  score: z
    .object({
      score: z
        .array(
          z
            .object({
              metric: z.string().min(1),
              weight: z.number().positive(),
              bad: z.number(),
              good: z.number(),
            })
            .strict()
            .refine((c) => c.bad !== c.good, { message: 'bad and good anchors must differ' }),
        )
        .min(1),
    })
    .strict()
    .transform((m): MetricNode => ({ kind: 'score', components: m.score })),
});

const UNLOADED_MODEL: ModelScorer = {
  type: 'logistic',
  features: [],
  metrics: {},
  means: [],
  scales: [],
  weights: [],
  intercept: 0,
};

/** `30d` (that many days before the evaluation time) or an ISO date. */
const moment = z.string().transform((text, ctx): Moment => {
  const days = parseWindowDays(text);
  if (days !== undefined) return { daysAgo: days };
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text))) return { date: text };
  ctx.addIssue({ code: 'custom', message: `'${text}' is neither a window (30d) nor a date (2024-01-31)` });
  return z.NEVER;
});

const percent = z
  .union([z.number(), z.string().regex(/^\d+(\.\d+)?%$/, 'expected a percentage such as 10%')])
  .transform((v) => (typeof v === 'number' ? v : Number(v.slice(0, -1))))
  .refine((v) => v > 0 && v <= 100, { message: 'a percentage between 0 and 100' });

/** `{ firstSeen: any, before: 30d }` and its lastSeen sibling. */
function seenCondition(which: 'first' | 'last') {
  const key = `${which}Seen` as const;
  return z
    .object({ [key]: eventFilter, before: moment.optional(), after: moment.optional() })
    .strict()
    .superRefine((c, ctx) => {
      if (c.before === undefined && c.after === undefined)
        ctx.addIssue({ code: 'custom', message: `${key} needs before or after` });
    })
    .transform(
      (c): ConditionNode => ({
        kind: 'seen',
        which,
        filter: c[key] as EventFilter,
        before: (c.before as Moment | undefined) ?? null,
        after: (c.after as Moment | undefined) ?? null,
      }),
    );
}

function rankCondition(side: 'top' | 'bottom') {
  return z
    .object({ [side]: percent, by: z.string().min(1) })
    .strict()
    .transform(
      (c): ConditionNode => ({ kind: 'rank', side, percent: c[side] as number, metric: c.by as string }),
    );
}

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
      .object({
        metric: z.string().min(1),
        ...comparisonKeys,
        dropBy: z.number().positive().optional(),
        riseBy: z.number().positive().optional(),
        within: window.optional(),
      })
      .strict()
      .transform((c, ctx): ConditionNode => {
        const { dropBy, riseBy, within, metric, ...rest } = c;
        if (dropBy === undefined && riseBy === undefined) {
          if (within !== undefined)
            ctx.addIssue({ code: 'custom', message: 'within goes with dropBy or riseBy' });
          return { kind: 'metric', metric, ...toComparison(rest, ctx) };
        }
        if (
          within === undefined ||
          (dropBy !== undefined && riseBy !== undefined) ||
          Object.values(rest).some((v) => v !== undefined)
        ) {
          ctx.addIssue({
            code: 'custom',
            message: 'dropBy / riseBy need a window (within: 30d) and no other comparison',
          });
          return z.NEVER;
        }
        return dropBy !== undefined
          ? { kind: 'metricChange', metric, direction: 'drop', by: dropBy, withinDays: within }
          : { kind: 'metricChange', metric, direction: 'rise', by: riseBy ?? 0, withinDays: within };
      }),
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
    firstSeen: seenCondition('first'),
    lastSeen: seenCondition('last'),
    signedUpWithin: z
      .object({ signedUpWithin: window })
      .strict()
      .transform(
        (c): ConditionNode => ({ kind: 'recent', field: 'created_at', withinDays: c.signedUpWithin }),
      ),
    renewalWithin: z
      .object({ renewalWithin: window })
      .strict()
      .transform(
        (c): ConditionNode => ({ kind: 'recent', field: 'renewal_at', withinDays: c.renewalWithin }),
      ),
    top: rankCondition('top'),
    bottom: rankCondition('bottom'),
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
    level: z
      .enum(SEGMENT_LEVELS)
      .optional()
      .describe('account (default), parent (tops of hierarchies) or child'),
    description: z.string().optional(),
    where: conditionSchema,
  })
  .strict();
