import { z } from 'zod';
import { DEFAULT_IDENTITY, identitySchema } from '../identity/identity-config.js';
import type { RfmCellRange } from '../language/ast.js';
import { sourceSchema } from '../sources/source-config.js';
import { storeSchema } from '../store/store-config.js';
import { destinationSchema } from './destination-schema.js';
import { parseWindowDays } from './duration.js';
import { metricSchema, segmentSchema } from './language-schema.js';

/**
 * The schema of strata.yaml: the one source of the workspace's types. The keys are a
 * contract (DESIGN section 3); new keys may be added, none renamed. The metric and
 * condition forms live in language-schema.ts, the store and sources forms in
 * src/store/store-config.ts; playbooks, triggers, webhooks and schedules
 * (used by src/activate and src/server) are here.
 */
const scoreRange = z
  .tuple([z.number().int().min(1).max(5), z.number().int().min(1).max(5)])
  .refine(([lo, hi]) => lo <= hi, { message: 'a score range is [low, high] with low <= high' });

/** A named RFM cell (see src/language/ast.ts). */
export type RfmCell = RfmCellRange;

/** The classic RFM grid on R and FM (the mean of F and M, rounded half up); first match wins. */
export const DEFAULT_RFM_CELLS = [
  { name: 'Champions', r: [4, 5], fm: [4, 5] },
  { name: 'Loyal', r: [3, 5], fm: [3, 5] },
  { name: 'Potential', r: [4, 5], fm: [2, 3] },
  { name: 'New', r: [4, 5], fm: [1, 1] },
  { name: 'Needs Attention', r: [3, 3], fm: [1, 2] },
  { name: 'At Risk', r: [1, 2], fm: [3, 4] },
  { name: "Can't Lose", r: [1, 2], fm: [5, 5] },
  { name: 'Hibernating', r: [2, 2], fm: [1, 2] },
  { name: 'Lost', r: [1, 1], fm: [1, 2] },
] as const satisfies readonly RfmCell[];

const rfmSchema = z
  .object({
    recency: z
      .string()
      .min(1)
      .optional()
      .describe('Metric of days since last activity (default last_seen_days)'),
    frequency: z
      .string()
      .min(1)
      .optional()
      .describe('Metric of activity per period (default: session_start events in the last 30 days)'),
    monetary: z.string().min(1).optional().describe('Metric of value (default mrr)'),
    cells: z
      .array(
        z
          .object({
            name: z.string().min(1),
            r: scoreRange.optional(),
            f: scoreRange.optional(),
            m: scoreRange.optional(),
            fm: scoreRange.optional(),
          })
          .strict(),
      )
      .min(1)
      .optional()
      .describe('Named cells, first match wins (default: the classic R x FM grid)'),
  })
  .strict();

const qualitySchema = z
  .object({
    coverage: z
      .number()
      .min(0)
      .max(1)
      .default(0.8)
      .describe('Share of accounts that must have a value of each attribute (default 0.8)'),
    segments: z
      .record(z.string(), z.number().min(0).max(1))
      .optional()
      .describe('Stricter or looser coverage for the members of a segment, e.g. { enterprise: 0.95 }'),
    attributes: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Attributes checked (default: every account column)'),
    freshness: z
      .record(z.string(), z.enum(['realtime', 'hourly', 'daily', 'weekly', 'monthly']))
      .optional()
      .describe('How often each table is expected to get new rows, e.g. { events: daily }'),
  })
  .strict();

const funnelSchema = z
  .object({
    steps: z.array(z.string().min(1)).min(2).describe('Events in order: each must follow the one before'),
    within: z
      .string()
      .regex(/^\d+\s*[dwmy]$/, 'a window such as 30d, 12w, 6m or 1y')
      .default('30d')
      .describe('All steps within this long of the first'),
  })
  .strict();

/** A real-time trigger: which segments `strata serve` re-evaluates for an account when its data changes. */
export const triggerSchema = z
  .object({
    segments: z
      .array(z.string().min(1))
      .min(1)
      .describe('Segments re-evaluated for the accounts a batch touches'),
    events: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Only when the batch has one of these events for the account (default: any message)'),
    traits: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('...or changes one of these account traits (group calls)'),
  })
  .strict();

/**
 * Opting a webhook into batches: only a receiver that reads `{ "events": [...] }` should get
 * them, so it is off unless asked for. The byte bound keeps a body under what common
 * receivers accept (Express's JSON parser refuses bodies over 100 KB by default).
 */
export const webhookBatchSchema = z
  .object({
    maxEvents: z.number().int().min(1).max(1000).describe('Events per POST at most'),
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(4 * 1024 * 1024)
      .default(100_000)
      .describe('Bytes of a POST body at most (an event larger than this goes alone)'),
  })
  .strict();

/** A webhook: where entered / exited events of triggers and scheduled runs are delivered, signed. */
export const webhookSchema = z
  .object({
    url: z
      .string()
      .url()
      .describe(
        'Receiver (http or https, without credentials); gets a POST per event, or per batch with `batch`',
      ),
    secretEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as CRM_HOOK_SECRET')
      .describe('Environment variable holding the HMAC-SHA256 signing secret (never written in strata.yaml)'),
    triggers: z.array(z.string().min(1)).default([]).describe('Triggers whose changes this webhook receives'),
    schedules: z
      .array(z.string().min(1))
      .default([])
      .describe('Scheduled runs whose transitions it receives'),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(50)
      .default(8)
      .describe('Tries before a delivery is dead-lettered'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(5000)
      .describe('Per try, in ms: connecting, sending, and the answer with its body'),
    allowPrivate: z
      .boolean()
      .default(false)
      .describe(
        'Deliver to loopback, private and link-local addresses too (a receiver on this machine or network)',
      ),
    batch: webhookBatchSchema
      .optional()
      .describe('Many events per POST, as { "events": [...] } (default: one event per POST)'),
  })
  .strict();

/** A scheduled full run inside `strata serve`. */
export const scheduleSchema = z
  .object({
    cron: z
      .string()
      .min(1)
      .describe('Cron expression (minute hour day month weekday), UTC, e.g. "0 2 * * *"'),
    import: z
      .union([z.literal(true), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe(
        'Import sources before the run: true for every source of strata.yaml, or a list of source names (each import atomic)',
      ),
  })
  .strict();

export const CADENCE_DAYS = { daily: 1, weekly: 7, biweekly: 14, monthly: 30, quarterly: 91 } as const;

/** What to do with a segment's accounts (see src/activate/playbooks.ts). */
export const playbookSchema = z.looseObject({
  owner: z.string().min(1).describe('Team or person accountable, e.g. cs'),
  touch: z
    .string()
    .regex(/^1:(\d+|many)$/, 'a touch model such as "1:10" (one owner per 10 accounts) or "1:many"')
    .optional()
    .describe('Touch model: accounts per owner'),
  cadence: z
    .enum(Object.keys(CADENCE_DAYS) as [keyof typeof CADENCE_DAYS])
    .optional()
    .describe('How often each account is touched'),
  channels: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe('Channels in order of use, e.g. [call, email]'),
  goal: z.string().min(1).optional().describe('What the playbook is for, e.g. save, expand'),
  message: z.string().min(1).optional().describe('What to tell the account'),
  offers: z
    .array(
      z.union([
        z.string().min(1),
        z.object({ kind: z.enum(['upsell', 'cross_sell']), offer: z.string().min(1) }).strict(),
      ]),
    )
    .optional()
    .describe('Upsell and cross-sell offers'),
  successMetrics: z.array(z.string().min(1)).optional().describe('Metrics that show whether it works'),
  priority: z
    .string()
    .min(1)
    .optional()
    .describe('Metric ordering the worklist, highest first (default mrr)'),
  rank: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      "Which next action is an account's primary one when it is in several segments with playbooks: the lowest rank wins (1 first) and a ranked playbook comes before an unranked one; without a rank or on a tie, the segment first in the schemes' orders (schemes in strata.yaml order), then segments in no scheme in the order of playbooks:, then by segment id",
    ),
});
export type Playbook = z.infer<typeof playbookSchema>;

export const workspaceSchema = z
  .object({
    store: storeSchema,
    sources: z
      .record(z.string(), sourceSchema)
      .nullish()
      .transform((sources) => sources ?? {}),
    identity: identitySchema
      .nullish()
      .transform((identity) => identity ?? DEFAULT_IDENTITY)
      .describe('How users are matched to accounts (src/identity)'),
    metrics: z
      .record(z.string(), metricSchema)
      .nullish()
      .transform((metrics) => metrics ?? {}),
    segments: z
      .record(z.string(), segmentSchema)
      .nullish()
      .transform((segments) => segments ?? {}),
    schemes: z
      .record(
        z.string(),
        z
          .object({
            order: z
              .array(z.string().min(1))
              .min(1)
              .describe(
                "Primary assignment: the first matching segment wins; also the order of an account's next actions from playbooks without a rank (schemes in file order)",
              ),
            fallback: z.string().min(1).default('unassigned').describe('Label of accounts matching none'),
            description: z.string().optional(),
          })
          .strict(),
      )
      .nullish()
      .transform((schemes) => schemes ?? {}),
    playbooks: z
      .record(z.string(), playbookSchema)
      .nullish()
      .describe(
        "What to do with each segment's accounts. An account in several of these segments gets one primary next action: the lowest rank, else the first in the schemes' orders, else the first in this section",
      ),
    triggers: z
      .record(z.string(), triggerSchema)
      .nullish()
      .transform((triggers) => triggers ?? {}),
    webhooks: z
      .record(z.string(), webhookSchema)
      .nullish()
      .transform((webhooks) => webhooks ?? {}),
    schedules: z
      .record(z.string(), scheduleSchema)
      .nullish()
      .transform((schedules) => schedules ?? {}),
    destinations: z
      .record(z.string(), destinationSchema)
      .nullish()
      .transform((destinations) => destinations ?? {})
      .describe('CRM objects kept current with the segments (strata sync plan|run NAME)'),
    rfm: rfmSchema.optional(),
    quality: qualitySchema.optional(),
    funnels: z.record(z.string(), funnelSchema).optional(),
    settings: z
      .object({
        minSegmentSize: z.number().int().min(0).default(10).describe('Warn about segments smaller than this'),
        staleRuns: z
          .number()
          .int()
          .min(2)
          .default(5)
          .describe('Warn about segments unchanged over this many runs'),
        substantialSize: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe(
            'Members a segment needs to pass "substantial" on its validation card (default: 5% of the accounts, between minSegmentSize and 300)',
          ),
        clock: z
          .enum(['data', 'now'])
          .default('data')
          .describe(
            'The time of a run without --as-of: data (the latest time in the data, never later than now) or now',
          ),
        currency: z
          .string()
          .refine(
            (code) => Intl.supportedValuesOf('currency').includes(code),
            'expected an ISO 4217 currency code such as USD, EUR or GBP',
          )
          .default('USD')
          .describe('The currency of MRR and other money, as people read it (an ISO 4217 code)'),
        staleAfter: z
          .string()
          .refine((text) => parseWindowDays(text) !== undefined, 'expected a window such as 2d, 1w or 1m')
          .default('2d')
          .describe('Warn when the data ends more than this before the time used'),
      })
      .strict()
      .default({ minSegmentSize: 10, staleRuns: 5, clock: 'data', staleAfter: '2d', currency: 'USD' }),
  })
  .strict();

export type WorkspaceFile = z.infer<typeof workspaceSchema>;
