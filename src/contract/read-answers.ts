import { z } from 'zod';
import { AccountRow, ClockFields, Metrics, PlaybookConfig } from './common.js';

/*
 * Answers of the read API (src/server/read-routes.ts): segments, a segment's members and
 * validation card, account and user profiles. Only zod is imported (the dashboard's types).
 */

export const SegmentList = z.strictObject({
  runId: z.number().int().nullable(),
  asOf: z.string().nullable(),
  segments: z.array(
    z.strictObject({
      id: z.string(),
      framework: z.string().nullable(),
      parent: z.string().nullable(),
      accounts: z.number().nullable(),
      playbook: PlaybookConfig.nullable(),
    }),
  ),
});

export const SegmentDetail = z.strictObject({
  segment: z.string(),
  /** The segment as written in strata.yaml. */
  definition: z.string(),
  playbook: PlaybookConfig.nullable(),
  history: z.array(
    z.strictObject({ run_id: z.number().int(), as_of: z.string(), accounts: z.number().nullable() }),
  ),
  overlaps: z.array(z.strictObject({ segment: z.string(), accounts: z.number(), jaccard: z.number() })),
});

const Criterion = { verdict: z.enum(['pass', 'warn', 'fail', 'n/a']), reason: z.string() };
export const ValidationCard = z.strictObject({
  segment: z.string(),
  runId: z.number().int(),
  asOf: z.string(),
  members: z.number(),
  overall: z.enum(['pass', 'warn', 'fail']),
  distinct: z.strictObject({
    ...Criterion,
    against: z.string(),
    metrics: z.array(
      z.strictObject({
        metric: z.string(),
        members: z.number().nullable(),
        others: z.number().nullable(),
        cohensD: z.number().nullable(),
        pValue: z.number().nullable(),
        adjustedPValue: z.number().nullable(),
      }),
    ),
    rates: z.array(
      z.strictObject({
        outcome: z.enum(['churned', 'expanded']),
        members: z.number().nullable(),
        others: z.number().nullable(),
        chiSquare: z.number().nullable(),
        pValue: z.number().nullable(),
        cohensH: z.number().nullable(),
      }),
    ),
  }),
  measurable: z.strictObject({
    ...Criterion,
    coverage: z.array(z.strictObject({ trait: z.string(), share: z.number() })),
  }),
  accessible: z.strictObject({ ...Criterion, reachable: z.number(), share: z.number() }),
  substantial: z.strictObject({ ...Criterion, minimum: z.number() }),
  actionable: z.strictObject(Criterion),
  stability: z.strictObject({
    ...Criterion,
    againstRunId: z.number().int().nullable(),
    turnover: z.number().nullable(),
  }),
});

export const MembersPage = z.strictObject({
  runId: z.number().int(),
  segment: z.string(),
  limit: z.number().int(),
  offset: z.number().int(),
  sort: z.string().nullable(),
  order: z.enum(['asc', 'desc']),
  /** The metrics a page can be sorted by: the run's numeric ones. */
  sortable: z.array(z.string()),
  total: z.number().int(),
  members: z.array(
    z.strictObject({
      account_id: z.string(),
      name: z.string().nullable(),
      plan: z.string().nullable(),
      mrr: z.number().nullable(),
      metrics: Metrics,
    }),
  ),
  ...ClockFields,
});

/** A saved model's reasons for an account's score (src/ml/predict.ts). */
export const Contribution = z.strictObject({
  feature: z.string(),
  value: z.number().nullable(),
  contribution: z.number(),
  direction: z.enum(['raises', 'lowers']),
});
export const Explanation = z.strictObject({
  model: z.string(),
  version: z.number().int(),
  account: z.string(),
  asOf: z.string(),
  probability: z.number(),
  /** Log-odds of an account before its features speak. */
  baseLogOdds: z.number(),
  contributions: z.array(Contribution),
});

/**
 * One playbook's next action for an account (src/activate/playbooks.ts), with why it ranks
 * where it does among the account's: "rank 1", "cs_tiers order 1 of 4", "playbooks order 2 of 5".
 */
export const PlannedAction = z.strictObject({
  segment: z.string(),
  owner: z.string(),
  action: z.string(),
  channel: z.string(),
  /** YYYY-MM-DD. */
  due: z.string(),
  goal: z.string().nullable(),
  reason: z.string(),
});

export const AccountProfile = z.strictObject({
  account: AccountRow,
  /** The latest run the profile is read from; null when evaluated at another time. */
  run: z.strictObject({ runId: z.number().int(), asOf: z.string() }).nullable(),
  segments: z.array(z.string()),
  primary: z.record(z.string(), z.string().nullable()),
  metrics: Metrics,
  /** Each playbook of the account's segments with its next action, in the order of `nextAction.rule`. */
  playbooks: z.array(
    z.looseObject({
      segment: z.string(),
      owner: z.string(),
      next: z.strictObject({ action: z.string(), channel: z.string(), owner: z.string(), due: z.string() }),
    }),
  ),
  /** One primary next action where the account's segments have several playbooks, the others secondary. */
  nextAction: z.strictObject({
    /** Null when no segment of the account has a playbook. */
    primary: PlannedAction.nullable(),
    /** The others, in rule order. */
    secondary: z.array(PlannedAction),
    /** The rule in one sentence, for people. */
    rule: z.string(),
  }),
  /** With ?explain=: each model's reasons. */
  explanations: z.array(Explanation).optional(),
  ...ClockFields,
});

export const UserProfile = z.strictObject({
  user: z.looseObject({
    user_id: z.string(),
    account_id: z.string().nullable(),
    traits: z.record(z.string(), z.unknown()),
  }),
  account: AccountProfile.nullable(),
});

/** An account as the hierarchy names it. */
const TreeAccount = z.strictObject({ account_id: z.string(), name: z.string().nullable() });

/**
 * An account's place in its hierarchy (parent_account_id): ancestors and direct children. The
 * links as stored now: they are current state, with no as-of time (roll-ups read them so too).
 */
export const AccountTree = z.strictObject({
  account_id: z.string(),
  /** From the top of the hierarchy down to the account's parent; empty for a top account. */
  ancestors: z.array(TreeAccount),
  /** The first 50 direct children by name, then id. */
  children: z.array(TreeAccount),
  /** How many direct children it has in all. */
  childCount: z.number().int(),
});

export type SegmentList = z.infer<typeof SegmentList>;
export type SegmentDetail = z.infer<typeof SegmentDetail>;
export type ValidationCard = z.infer<typeof ValidationCard>;
export type MembersPage = z.infer<typeof MembersPage>;
export type Explanation = z.infer<typeof Explanation>;
export type PlannedAction = z.infer<typeof PlannedAction>;
export type AccountProfile = z.infer<typeof AccountProfile>;
export type UserProfile = z.infer<typeof UserProfile>;
export type AccountTree = z.infer<typeof AccountTree>;
