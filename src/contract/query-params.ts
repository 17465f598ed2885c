import { z } from 'zod';
import { EXPECTED, readSince, readTime } from '../engine/time-arguments.js';
import { parseWindowDays } from '../workspace/duration.js';

/*
 * Path parameters and query values of the routes, parsed by the same parsers as the CLI's
 * options of the same name (src/engine/time-arguments.ts), so both take the same forms and a
 * 400 names the parameter. Server-side only: the dashboard imports the answers' files.
 */

// Times and windows take the forms of the CLI's options of the same name.
const ISO = 'an ISO date or time (2024-05-01, 2024-05-01T13:45:00Z; UTC without an offset)';
const WINDOW = 'a window: 30d, 12w, 6m (30 days each) or 1y (365 days)';

const parsedBy = <T>(read: (text: string) => T | undefined, expected: string) =>
  z.string().transform((text, ctx) => {
    const value = read(text);
    if (value !== undefined) return value;
    ctx.addIssue({ code: 'custom', message: `${text}: ${expected}` });
    return z.NEVER;
  });

/** `?asOf=` and other times: ISO, as `--as-of`. */
export const TimeParam = parsedBy(readTime, EXPECTED.time);
/** `?within=`, `?horizon=`: a window in days (30d, 12w, 6m, 1y), as `--within`. */
export const WindowParam = parsedBy(parseWindowDays, EXPECTED.window);
/** `?since=`: ISO or a window back from the one clock's time, as `--since`. */
export const SinceParam = parsedBy(readSince, EXPECTED.since);

const window = (what: string) => WindowParam.describe(`${what}: ${WINDOW}`);

/**
 * `?asOf=`, as `--as-of`. Without it the one clock's read time: the latest run's, else the
 * latest time in the data (settings.clock: data) or now (settings.clock: now).
 */
const asOf = (what: string) =>
  z.object({
    asOf: TimeParam.optional().describe(
      `${what} as of this time, ${ISO}; default the latest run's time (else the workspace clock). The answer gives asOf, clock { at, source: given | latest run | latest data | now } and warnings (data_stale when the data ends more than settings.staleAfter before)`,
    ),
  });

const limit = (what: string) => z.coerce.number().int().min(1).max(1000).default(100).describe(what);
const offset = (what: string) => z.coerce.number().int().min(0).default(0).describe(what);

/** Paging of a list: `limit` rows from `offset`, a sort column and a search text. */
export const PageQuery = z.object({
  limit: limit('Page size'),
  offset: offset('Members to skip'),
  sort: z.string().min(1).optional().describe("A metric to sort by (one of the answer's `sortable`)"),
  search: z.string().min(1).max(200).optional().describe('Text in the account id or name'),
});

export const MembersQuery = PageQuery.extend({
  order: z.enum(['asc', 'desc']).default('desc').describe('Highest first, or lowest'),
});

/** `GET /v1/suggestions`: which box, what was typed, how many at most. */
export const SuggestionsQuery = z.object({
  field: z
    .enum(['event', 'account', 'metric', 'segment'])
    .describe('What to suggest: event names, account ids (by id or name), metrics or segments'),
  prefix: z
    .string()
    .max(200)
    .default('')
    .describe("What the values begin with, case-insensitive ('%' and '_' are plain characters)"),
  limit: z.coerce.number().int().min(1).max(50).default(10).describe('At most this many values (1-50)'),
});

export const ProfileQuery = asOf('Evaluated').extend({
  explain: z
    .string()
    .optional()
    .describe('Saved models to explain the account by, comma-separated (e.g. churn)'),
});
export const UserQuery = asOf("The account's profile");

const score = (what: string) => z.coerce.number().int().min(1).max(5).describe(what);
export const RfmQuery = asOf('Scored');
export const RfmCellQuery = z.object({
  ...PageQuery.shape,
  offset: offset('Accounts to skip'),
  ...asOf('Scored').shape,
  r: score('Recency score'),
  fm: score('Frequency-monetary score'),
});

export const AbOutcomeQuery = asOf('Reported').extend({
  event: z.string().min(1).optional().describe('Outcome: the share doing this event after assignment'),
  within: window('With event: only this long after the assignment').optional(),
  metric: z.string().min(1).optional().describe("Outcome: a metric's mean"),
});

export const ClusterQuery = asOf('Metrics').extend({
  points: z.coerce
    .number()
    .int()
    .min(0)
    .max(20_000)
    .default(2000)
    .describe('Accounts drawn (default 2000, the same ones each time)'),
});

export const PlanQuery = z.object({
  asOf: TimeParam.optional().describe(
    `Evaluate both at this time (${ISO}) and add a backtest: how the members then went on to behave`,
  ),
  horizon: window('With asOf: how far after it outcomes are read (default 90d)').prefault('90d'),
});

export const CohortQuery = asOf('Only periods complete').extend({
  by: z
    .enum(['month', 'quarter'], { message: 'expected month or quarter' })
    .default('month')
    .describe('Cohort period'),
});

export const FunnelQuery = asOf('Counted').extend({
  by: z.string().min(1).optional().describe('scheme:<name> or an account column'),
  within: window("All steps within this long of the first (default the funnel's own)").optional(),
});

export const ExplainQuery = z.object({
  segment: z.string().min(1).optional().describe('Only this segment'),
  run: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe("At this run's time, by the definition version it applied"),
});

export const ChangesQuery = z.object({
  since: SinceParam.optional().describe(
    `Only runs as of this time or later: ${ISO}; or ${WINDOW}: the runs of that many days up to the latest run's time, after its start (the answer gives since, resolved, windowDays and clock)`,
  ),
  limit: limit('Page size'),
  offset: offset('First row'),
});

export const DeliveriesQuery = z.object({
  status: z.enum(['pending', 'delivered', 'dead']).optional().describe('Only this status'),
  webhook: z.string().min(1).optional().describe('Only this webhook'),
  limit: limit('At most this many'),
});

export const WebhookReplayBody = z.object({
  ids: z.array(z.string().min(1)).optional(),
  webhook: z.string().min(1).optional(),
  // As the CLI's `webhooks replay --since`: an ISO date or time (2024-05-01 too).
  since: TimeParam.optional(),
  delivered: z.boolean().optional(),
});

export const QuarantineReplayBody = z.object({
  ids: z.array(z.string().min(1).max(64)).max(10_000).optional(),
  repair: z.boolean().optional(),
});

export const SegmentParams = z.object({ id: z.string().describe('Segment id') });
export const AccountParams = z.object({ id: z.string().describe('Account id') });
export const UserParams = z.object({ id: z.string().describe('User id') });
export const RefParams = z.object({ ref: z.string().describe('name or name@version') });
export const TestParams = z.object({ test: z.string() });
export const NameParams = z.object({ name: z.string() });

export const SyncPlanQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(20)
    .describe('Records whose writes are listed (the counts cover all)'),
});
