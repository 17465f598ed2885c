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
  | { readonly kind: 'builtin'; readonly name: BuiltinMetric };

export const BUILTIN_METRICS = [
  'seats',
  'tenure_days',
  'days_to_renewal',
  'tickets_open',
  'nps_latest',
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
  | { readonly kind: 'all'; readonly conditions: readonly ConditionNode[] }
  | { readonly kind: 'any'; readonly conditions: readonly ConditionNode[] }
  | { readonly kind: 'not'; readonly condition: ConditionNode };

export interface SegmentNode {
  readonly id: string;
  readonly framework: string | null;
  readonly parent: string | null;
  readonly where: ConditionNode;
}
