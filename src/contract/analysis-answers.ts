import { z } from 'zod';
import { ClockFields, Warning } from './common.js';

/*
 * Answers of what the dashboard's pages show (src/server/analysis-routes.ts): overview, RFM,
 * cohorts, funnels, transitions, A/B tests, models, clusterings and the plan. Only zod is
 * imported (the dashboard's types).
 */

const nullableNumber = z.number().nullable();

export const Overview = z.strictObject({
  runId: z.number().int().nullable(),
  asOf: z.string().nullable(),
  previousRunId: z.number().int().nullable(),
  accounts: z.number(),
  mrr: z.number(),
  meanHealth: nullableNumber,
  /** Trailing 365-day retention (logo, net and gross revenue); null before the first run. */
  retention: z
    .strictObject({
      days: z.number(),
      customers: z.number(),
      logoRetention: nullableNumber,
      netRevenueRetention: nullableNumber,
      grossRevenueRetention: nullableNumber,
    })
    .nullable(),
  segments: z.array(
    z.strictObject({
      id: z.string(),
      framework: z.string().nullable(),
      accounts: nullableNumber,
      change: nullableNumber,
      playbook: z.boolean(),
    }),
  ),
  schemes: z.array(
    z.strictObject({
      scheme: z.string(),
      primary: z.array(z.strictObject({ segment: z.string(), accounts: z.number(), change: nullableNumber })),
    }),
  ),
  clock: ClockFields.clock,
  warnings: z.array(Warning),
});

export const RfmReport = z.strictObject({
  accounts: z.number(),
  /** Accounts paying above 0: the ones in the grid; the rest are the Non-paying cell. */
  paying: z.number(),
  metrics: z.strictObject({ recency: z.string(), frequency: z.string(), monetary: z.string() }),
  cells: z.array(
    z.strictObject({
      cell: z.string(),
      accounts: z.number(),
      share: z.number(),
      recency: nullableNumber,
      frequency: nullableNumber,
      monetary: nullableNumber,
      monetaryTotal: z.number(),
    }),
  ),
  grid: z.array(z.strictObject({ r: z.number().int(), fm: z.number().int(), accounts: z.number() })),
  ...ClockFields,
});

export const RfmAccounts = z.strictObject({
  r: z.number().int(),
  fm: z.number().int(),
  total: z.number(),
  accounts: z.array(
    z.strictObject({
      account_id: z.string(),
      name: z.string().nullable(),
      recency: nullableNumber,
      frequency: nullableNumber,
      monetary: nullableNumber,
      cell: z.string(),
    }),
  ),
  ...ClockFields,
});

export const Transitions = z.strictObject({
  from: z.number().int(),
  to: z.number().int(),
  segments: z.array(
    z.strictObject({
      segment: z.string(),
      before: z.number(),
      after: z.number(),
      entered: z.number(),
      exited: z.number(),
    }),
  ),
  flows: z.array(
    z.strictObject({ scheme: z.string(), from: z.string(), to: z.string(), accounts: z.number() }),
  ),
});

export const AbTestList = z.strictObject({
  tests: z.array(
    z.strictObject({
      test: z.string(),
      segment: z.string(),
      ratio: z.number(),
      createdAt: z.string(),
      plannedPerVariant: nullableNumber,
      control: z.number(),
      treatment: z.number(),
    }),
  ),
});

export const AbReport = z.strictObject({
  test: z.strictObject({
    test: z.string(),
    segment: z.string(),
    salt: z.string(),
    ratio: z.number(),
    createdAt: z.string(),
    plannedPerVariant: nullableNumber,
  }),
  outcome: z.string(),
  variants: z.array(
    z.strictObject({ variant: z.enum(['control', 'treatment']), accounts: z.number(), value: z.number() }),
  ),
  comparison: z.strictObject({
    /** Treatment minus control. */
    difference: z.number(),
    confidenceInterval: z.tuple([z.number(), z.number()]),
    pValue: z.number(),
    statistic: z.number(),
    degreesOfFreedom: nullableNumber,
  }),
  plannedPerVariant: nullableNumber,
  reachedPlan: z.boolean().nullable(),
  ...ClockFields,
});

const Verdict = {
  /** 'not_useful' when the holdout does not vouch for the model; `warnings` say why. */
  verdict: z.enum(['usable', 'not_useful']),
  warnings: z.array(z.string()),
};

export const ModelList = z.strictObject({
  models: z.array(
    z.strictObject({
      name: z.string(),
      version: z.number().int(),
      versions: z.array(z.number().int()),
      target: z.string().nullable(),
      algorithm: z.string().nullable(),
      rocAuc: nullableNumber,
      ...Verdict,
    }),
  ),
});

/** A predictor's holdout report (src/ml/holdout-report.ts). */
export const HoldoutReport = z.strictObject({
  target: z.string(),
  algorithm: z.string(),
  split: z.string(),
  seed: z.number(),
  train: z.strictObject({ rows: z.number(), positives: z.number() }),
  holdout: z.strictObject({ rows: z.number(), positives: z.number(), baseRate: z.number() }),
  rocAuc: nullableNumber,
  rocAucInterval: z
    .strictObject({ low: z.number(), high: z.number(), level: z.number(), method: z.string() })
    .nullish(),
  verdict: Verdict.verdict.optional(),
  warnings: Verdict.warnings.optional(),
  rocCurve: z.array(z.strictObject({ fpr: z.number(), tpr: z.number() })).optional(),
  prAuc: nullableNumber,
  accuracy: z.number(),
  majorityAccuracy: z.number(),
  balancedAccuracy: nullableNumber,
  brier: z.number(),
  baselineBrier: z.number(),
  topK: z.array(
    z.strictObject({
      share: z.number(),
      k: z.number(),
      precision: z.number(),
      recall: z.number(),
      lift: z.number(),
    }),
  ),
  calibration: z.array(
    z.strictObject({
      from: z.number(),
      to: z.number(),
      n: z.number(),
      predicted: z.number(),
      observed: z.number(),
    }),
  ),
  topFeatures: z.array(
    z.strictObject({ feature: z.string(), aucDrop: nullableNumber, importance: z.number() }),
  ),
});

export const ModelCard = z.strictObject({
  name: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
  /** How the model was trained: source, target, snapshots, algorithm and settings. */
  training: z.record(z.string(), z.unknown()),
  report: HoldoutReport,
  ...Verdict,
});

export const ClusteringList = z.strictObject({
  clusterings: z.array(
    z.strictObject({
      name: z.string(),
      version: z.number().int(),
      versions: z.array(z.number().int()),
      metrics: z.array(z.string()),
      k: z.number().int(),
      silhouette: nullableNumber,
    }),
  ),
});

export const ClusterMap = z.strictObject({
  name: z.string(),
  version: z.number().int(),
  metrics: z.array(z.string()),
  accounts: z.number(),
  /** Share of the variance along each of the two axes. */
  explained: z.array(z.number()),
  axes: z.array(z.array(z.number())),
  /** What was done to each metric before standardising ("mrr: capped at 4,800 ..., then ln(1 + x)"). */
  transforms: z.array(z.string()),
  clusters: z.array(
    z.strictObject({
      cluster: z.number().int(),
      accounts: z.number(),
      means: z.record(z.string(), nullableNumber),
      profile: z.string(),
      centre: z.tuple([z.number(), z.number()]),
    }),
  ),
  points: z.array(
    z.strictObject({ account_id: z.string(), cluster: z.number().int(), x: z.number(), y: z.number() }),
  ),
  /** How the clustering was trained: time, metrics, seed, k, transform. */
  training: z.record(z.string(), z.unknown()),
  ...ClockFields,
});

const Outcomes = {
  paying: z.number(),
  churned: z.number(),
  expanded: z.number(),
  churnRate: nullableNumber,
  expansionRate: nullableNumber,
};
export const Plan = z.strictObject({
  againstRunId: z.number().int(),
  againstAsOf: z.string(),
  segments: z.array(
    z.strictObject({
      segment: z.string(),
      status: z.enum(['new', 'removed', 'changed', 'unchanged']),
      added: z.number(),
      removed: z.number(),
      unchanged: z.number(),
    }),
  ),
  /** With ?asOf=: how the members then went on to behave over the horizon. */
  backtest: z
    .strictObject({
      asOf: z.string(),
      horizonDays: z.number(),
      observedUntil: z.string().nullable(),
      horizonObserved: z.boolean(),
      accounts: z.number(),
      all: z.strictObject(Outcomes),
      segments: z.array(
        z.strictObject({
          segment: z.string(),
          members: z.number(),
          ...Outcomes,
          others: z.strictObject(Outcomes),
        }),
      ),
    })
    .optional(),
  ...ClockFields,
});

export const CohortsReport = z.strictObject({
  by: z.enum(['month', 'quarter']),
  comparePeriod: z.number(),
  /** Retention kinds the data cannot measure (no subscriptions, no events), and what to add. */
  unavailable: z.array(z.strictObject({ kind: z.enum(['logo', 'revenue', 'activity']), reason: z.string() })),
  cohorts: z.array(
    z.strictObject({
      cohort: z.string(),
      accounts: z.number(),
      periods: z.array(
        z.strictObject({
          period: z.number(),
          paying: z.number(),
          logoRetention: z.number(),
          mrr: z.number(),
          netRevenueRetention: nullableNumber,
          grossRevenueRetention: nullableNumber,
          active: z.number(),
          activityRetention: z.number(),
        }),
      ),
      survival: z.array(z.number()),
      retention30: nullableNumber,
      expansion90: nullableNumber,
      ltvToDate: z.number(),
      /** Shifted-beta-geometric fit; null when too few periods. */
      projection: z
        .strictObject({
          alpha: z.number(),
          beta: z.number(),
          projectedSurvival: z.array(z.number()),
          projectedLtv: z.number(),
        })
        .nullable(),
      flag: z
        .strictObject({
          period: z.number(),
          retention: z.number(),
          othersRetention: z.number(),
          pValue: z.number(),
          adjustedPValue: z.number(),
          cohensH: z.number(),
          weak: z.boolean(),
        })
        .nullable(),
    }),
  ),
  ...ClockFields,
});

export const FunnelList = z.strictObject({
  funnels: z.array(z.strictObject({ name: z.string(), steps: z.array(z.string()), within: z.string() })),
  schemes: z.array(z.string()),
});

export const FunnelGroup = z.strictObject({
  group: z.string(),
  /** Accounts reaching each step. */
  reached: z.array(z.number()),
  /** reached[k] / reached[k-1] (null when no account reached k-1). */
  conversion: z.array(nullableNumber),
  tests: z.array(
    z.strictObject({
      step: z.number().int(),
      others: nullableNumber,
      pValue: z.number(),
      adjustedPValue: z.number(),
      leak: z.boolean(),
    }),
  ),
});

export const FunnelReport = z.strictObject({
  steps: z.array(z.string()),
  withinDays: z.number(),
  by: z.string().nullable(),
  overall: FunnelGroup,
  groups: z.array(FunnelGroup),
  ...ClockFields,
});

export type Overview = z.infer<typeof Overview>;
export type RfmReport = z.infer<typeof RfmReport>;
export type RfmAccounts = z.infer<typeof RfmAccounts>;
export type Transitions = z.infer<typeof Transitions>;
export type AbTestList = z.infer<typeof AbTestList>;
export type AbReport = z.infer<typeof AbReport>;
export type ModelList = z.infer<typeof ModelList>;
export type ModelCard = z.infer<typeof ModelCard>;
export type ClusteringList = z.infer<typeof ClusteringList>;
export type ClusterMap = z.infer<typeof ClusterMap>;
export type Plan = z.infer<typeof Plan>;
export type CohortsReport = z.infer<typeof CohortsReport>;
export type FunnelList = z.infer<typeof FunnelList>;
export type FunnelGroup = z.infer<typeof FunnelGroup>;
export type FunnelReport = z.infer<typeof FunnelReport>;
