import { z } from 'zod';
import { ClockFields } from './common.js';
import { Contribution } from './read-answers.js';

/*
 * Answers of the audit trail (src/server/timeline-routes.ts): why an account is in or out,
 * its timeline, a segment's entries and exits. Only zod is imported (the dashboard's types).
 */

/** One node of a segment's condition tree, as src/engine/explain-membership.ts explains it. */
export const ExplainedNode = z.strictObject({
  path: z.string(),
  kind: z.string(),
  holds: z.boolean(),
  /** A leaf's value, full precision: a number when the leaf compares numbers, text for text and times. */
  value: z.union([z.number(), z.string()]).nullish(),
  /** The node in words, its value rounded by its kind of number ("metric health = 53.6, needs < 40"). */
  text: z.string(),
  components: z
    .array(
      z.strictObject({
        metric: z.string(),
        value: z.number().nullable(),
        weight: z.number(),
        bad: z.number(),
        good: z.number(),
        points: z.number(),
      }),
    )
    .optional(),
  /** For a condition on a saved model's probability: the model's largest contributions. */
  drivers: z
    .strictObject({
      model: z.string(),
      version: z.number().int(),
      probability: z.number(),
      contributions: z.array(Contribution),
    })
    .optional(),
  decidedBy: z.array(z.string()).optional(),
  get children() {
    return z.array(ExplainedNode).optional();
  },
});

export const SegmentExplanation = z.strictObject({
  segment: z.string(),
  member: z.boolean(),
  parent: z.strictObject({ segment: z.string(), member: z.boolean() }).nullable(),
  storedMember: z.boolean().nullable(),
  tree: ExplainedNode,
});

export const AccountExplanation = z.strictObject({
  account: z.string(),
  runId: z.number().int(),
  asOf: z.string(),
  /** The definition version (hash of strata.yaml) it was worked out with. */
  definition: z.string(),
  segments: z.array(SegmentExplanation),
  schemes: z.array(
    z.strictObject({
      scheme: z.string(),
      order: z.array(z.string()),
      primary: z.string(),
      storedPrimary: z.string().nullable(),
      reason: z.string(),
    }),
  ),
});

/**
 * A leaf's verdict and the value it compared in one run, for a timeline's reasons: the value
 * full precision (a number for a number), and as people read it (rounded by its kind).
 */
export const LeafState = z.strictObject({
  holds: z.boolean(),
  value: z.union([z.number(), z.string()]).nullable(),
  shown: z.string().nullable(),
});

const Change = {
  change: z.enum(['entered', 'exited']),
  cause: z.enum(['first_run', 'new_account', 'gone', 'definition', 'data', 'unrecorded', 'merge']),
  reasons: z.array(
    z.strictObject({ path: z.string(), text: z.string(), before: LeafState, after: LeafState }),
  ),
};

/** A merge of one account into another (src/identity/account-merges.ts), and its undo if any. */
export const AccountMerge = z.strictObject({
  mergeId: z.string(),
  mergedId: z.string(),
  survivorId: z.string(),
  mergedAt: z.string(),
  mergedBy: z.string(),
  reason: z.string(),
  undone: z.strictObject({ at: z.string(), by: z.string(), reason: z.string() }).nullable(),
});

/** The account run by run, oldest first, each entry and exit with its cause, and its merges. */
export const AccountHistory = z.strictObject({
  account: z.string(),
  merges: z.array(AccountMerge),
  runs: z.array(
    z.strictObject({
      runId: z.number().int(),
      asOf: z.string(),
      workspaceHash: z.string(),
      segments: z.array(z.string()),
      primary: z.record(z.string(), z.string().nullable()),
      changes: z.array(z.strictObject({ segment: z.string(), ...Change })),
    }),
  ),
});

/** Who entered and left a segment, newest run first. */
export const SegmentChanges = z.strictObject({
  segment: z.string(),
  /** The resolved ?since= (ISO), and the window it was given as, if any. */
  since: z.string().nullable(),
  windowDays: z.number().nullable(),
  clock: ClockFields.clock.nullable(),
  total: z.number().int(),
  changes: z.array(
    z.strictObject({
      runId: z.number().int(),
      asOf: z.string(),
      workspaceHash: z.string(),
      account_id: z.string(),
      ...Change,
    }),
  ),
});

export type ExplainedNode = z.infer<typeof ExplainedNode>;
export type SegmentExplanation = z.infer<typeof SegmentExplanation>;
export type AccountExplanation = z.infer<typeof AccountExplanation>;
export type LeafState = z.infer<typeof LeafState>;
export type AccountHistory = z.infer<typeof AccountHistory>;
export type SegmentChanges = z.infer<typeof SegmentChanges>;
