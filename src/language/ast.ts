/**
 * The segment language as plain, frozen data with a `kind` discriminant: what strata.yaml
 * means once parsed (src/workspace/language-schema.ts builds these) and what the
 * compiler turns into SQL. Windows are whole days.
 */

/** Events that match a name (`any` matches every event) and optional property equalities. */
export interface EventFilter {
  readonly event: string;
  readonly where: Readonly<Record<string, string | number | boolean>>;
}

export type MetricNode =
  /** Number of matching events in the last `withinDays` days (all time when null). */
  | { readonly kind: 'count'; readonly filter: EventFilter; readonly withinDays: number | null }
  /** Days since the last matching event; null when there was none. */
  | { readonly kind: 'recency'; readonly filter: EventFilter }
  /** How many of `events` occurred in the window; with `ratio`, that share of them (0-1). */
  | {
      readonly kind: 'distinctEvents';
      readonly events: readonly string[];
      readonly withinDays: number | null;
      readonly ratio: boolean;
    }
  /**
   * How many distinct non-null values an event property takes over the matching events of
   * the window (all time when null): a value that reads as a number counts by that number,
   * so 7, 7.0 and "7" are one value; any other value by its text. 0 when there are none.
   */
  | {
      readonly kind: 'countDistinct';
      readonly filter: EventFilter;
      readonly property: string;
      readonly withinDays: number | null;
    }
  /** sum / avg / min / max of a numeric event property over the window. */
  | {
      readonly kind: 'aggregate';
      readonly fn: 'sum' | 'avg' | 'min' | 'max';
      readonly filter: EventFilter;
      readonly property: string;
      readonly withinDays: number | null;
    }
  /** An account column or a key of its traits. */
  | { readonly kind: 'trait'; readonly trait: string }
  /** A built-in metric computed from the other tables (seats, tenure_days, ...). */
  | { readonly kind: 'builtin'; readonly name: BuiltinMetric }
  /** Support tickets opened in the window (all time when null); with `open`, only those unresolved at the time. */
  | { readonly kind: 'tickets'; readonly withinDays: number | null; readonly open: boolean }
  /** How many times a trait changed in the window (trait_history): plan changes, MRR changes. */
  | { readonly kind: 'traitChanges'; readonly trait: string; readonly withinDays: number }
  /** A metric now minus the same metric `withinDays` days earlier (sessions_30d against the 30 days before). */
  | { readonly kind: 'change'; readonly metric: string; readonly withinDays: number }
  /**
   * A metric over the account's hierarchy: `using` of its values over the account itself and
   * every descendant (children, grandchildren, ...) that exists at the time; NULL values are
   * skipped, `count` counts the non-NULL ones.
   */
  | { readonly kind: 'rollup'; readonly metric: string; readonly using: RollupFunction }
  /** Percentile rank of a metric among all accounts, 0-100 (100 = highest). */
  | { readonly kind: 'percentile'; readonly metric: string }
  /** Weighted health score 0-100: each component scaled from its `bad` anchor (0) to its `good` anchor (100). */
  | { readonly kind: 'score'; readonly components: readonly ScoreComponent[] }
  /**
   * An RFM score (1-5) or cell name among all accounts, from the metrics named in the
   * workspace's `rfm:` section (filled in when the workspace is loaded).
   */
  | {
      readonly kind: 'rfm';
      readonly part: RfmPart;
      readonly recency: string;
      readonly frequency: string;
      readonly monetary: string;
      readonly cells: readonly RfmCellRange[];
    }
  /** 1 when a text trait or text metric equals `value`, else 0: a one-hot column for the models. */
  | {
      readonly kind: 'indicator';
      readonly source: { readonly trait: string } | { readonly metric: string };
      readonly value: string;
    }
  /**
   * A saved model's probability (0-1), computed in the database from its own features
   * (`{ model: churn }`; filled in from models/ when the workspace is loaded).
   */
  | { readonly kind: 'model'; readonly ref: string; readonly scorer: ModelScorer }
  /** The nearest centre of saved k-means clusters (`{ cluster: usage }`), 0-based as reported. */
  | { readonly kind: 'cluster'; readonly ref: string; readonly scorer: ClusterScorer };

/**
 * What scoring needs from a saved model: its features as metrics (their definitions as
 * trained, kept with the model so a later edit of strata.yaml cannot change them) and
 * the fitted parameters.
 */
export interface ScoredFeatures {
  /** Feature names in the model's order; each is a key of `metrics`. */
  readonly features: readonly string[];
  /** The features and every metric they are built from. */
  readonly metrics: Readonly<Record<string, MetricNode>>;
}

export type ModelScorer = ScoredFeatures &
  (
    | {
        readonly type: 'logistic';
        /** Standardisation; a missing value takes the mean. */
        readonly means: readonly number[];
        readonly scales: readonly number[];
        readonly weights: readonly number[];
        readonly intercept: number;
      }
    | { readonly type: 'boosted_trees'; readonly baseScore: number; readonly trees: readonly TreeNodes[] }
  );

/** One regression tree as node arrays, root at 0 (the shape of src/ml/boosting/model.ts). */
export interface TreeNodes {
  /** Feature index of a split; -1 marks a leaf. */
  readonly feature: readonly number[];
  /** Go left when value <= threshold, or when the value is missing and missingLeft. */
  readonly threshold: readonly number[];
  readonly missingLeft: readonly boolean[];
  readonly left: readonly number[];
  readonly right: readonly number[];
  readonly value: readonly number[];
}

/**
 * How one feature is reshaped before it is standardised: clamped to [lower, upper] (raw
 * units; null: no cap), then ln(1 + value) when `log`. A missing value stays missing.
 */
export interface FeatureTransform {
  readonly lower: number | null;
  readonly upper: number | null;
  readonly log: boolean;
}

export interface ClusterScorer extends ScoredFeatures {
  /** Per feature, applied before standardising; absent (files saved before it existed): none. */
  readonly transforms?: readonly FeatureTransform[] | undefined;
  /** Standardisation of the transformed values; a missing value takes the mean. */
  readonly means: readonly number[];
  readonly scales: readonly number[];
  /** Cluster centres in standardised units, in cluster-number order. */
  readonly centres: readonly (readonly number[])[];
}

export const ROLLUP_FUNCTIONS = ['sum', 'avg', 'min', 'max', 'count'] as const;
export type RollupFunction = (typeof ROLLUP_FUNCTIONS)[number];

export type RfmPart = 'cell' | 'r' | 'f' | 'm' | 'fm';

/** A named RFM cell: inclusive score ranges an account must be in; absent ranges match any score. */
export interface RfmCellRange {
  readonly name: string;
  readonly r?: readonly [number, number] | undefined;
  readonly f?: readonly [number, number] | undefined;
  readonly m?: readonly [number, number] | undefined;
  readonly fm?: readonly [number, number] | undefined;
}

export interface ScoreComponent {
  readonly metric: string;
  readonly weight: number;
  /** Value that scores 0 (can be above `good`, for metrics where less is better). */
  readonly bad: number;
  /** Value that scores 100. */
  readonly good: number;
}

export const BUILTIN_METRICS = [
  'seats',
  'tenure_days',
  'days_to_renewal',
  'tickets_open',
  'tickets_30d',
  'nps_latest',
  'nps_category',
  'last_seen_days',
  'events_30d',
  'signup_month',
  'signup_quarter',
  'sessions_30d',
] as const;
export type BuiltinMetric = (typeof BUILTIN_METRICS)[number];

export type Comparison =
  | { readonly op: 'eq' | 'ne'; readonly value: string | number | boolean }
  | { readonly op: 'gt' | 'gte' | 'lt' | 'lte'; readonly value: number | string }
  | { readonly op: 'between'; readonly value: readonly [number, number] }
  | { readonly op: 'in'; readonly value: readonly (string | number)[] }
  | { readonly op: 'exists'; readonly value: boolean }
  | { readonly op: 'contains'; readonly value: string };

export type ConditionNode =
  | ({ readonly kind: 'trait'; readonly trait: string } & Comparison)
  | ({ readonly kind: 'metric'; readonly metric: string } & Comparison)
  /** Matching events happened at least `atLeast` times (and at most `atMost`) in the window. */
  | {
      readonly kind: 'performed';
      readonly filter: EventFilter;
      readonly withinDays: number | null;
      readonly atLeast: number;
      readonly atMost: number | null;
    }
  | { readonly kind: 'segment'; readonly segment: string }
  /** A metric fell (or rose) by at least `by` over the window. */
  | {
      readonly kind: 'metricChange';
      readonly metric: string;
      readonly direction: 'drop' | 'rise';
      readonly by: number;
      readonly withinDays: number;
    }
  /** First or last matching event before / after a moment (days ago, or a date). */
  | {
      readonly kind: 'seen';
      readonly which: 'first' | 'last';
      readonly filter: EventFilter;
      readonly before: Moment | null;
      readonly after: Moment | null;
    }
  /** Signed up within the last N days, or renewal due within the next N days. */
  | { readonly kind: 'recent'; readonly field: 'created_at' | 'renewal_at'; readonly withinDays: number }
  /** Among the top (or bottom) `percent` % of accounts by a metric. */
  | {
      readonly kind: 'rank';
      readonly side: 'top' | 'bottom';
      readonly percent: number;
      readonly metric: string;
    }
  | { readonly kind: 'all'; readonly conditions: readonly ConditionNode[] }
  | { readonly kind: 'any'; readonly conditions: readonly ConditionNode[] }
  | { readonly kind: 'not'; readonly condition: ConditionNode };

/** A point in time: N days before the evaluation time, or a calendar date (UTC). */
export type Moment = { readonly daysAgo: number } | { readonly date: string };

/**
 * Which accounts of a hierarchy a segment may hold: every account, only those at the top of
 * their tree (no parent_account_id: a holding company, or an account with no hierarchy), or
 * only those under a parent (a subsidiary, a team; its parent may not be imported yet).
 */
export const SEGMENT_LEVELS = ['account', 'parent', 'child'] as const;
export type SegmentLevel = (typeof SEGMENT_LEVELS)[number];

export interface SegmentNode {
  readonly id: string;
  readonly framework: string | null;
  readonly parent: string | null;
  readonly level: SegmentLevel;
  readonly where: ConditionNode;
}
