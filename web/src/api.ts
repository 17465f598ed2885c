/** The dashboard's reads of the Strata API, with the read key `strata serve` put in the URL. */

import type { Clocked } from './clock.js';

const KEY_ITEM = 'strata-key';

/** Takes the key from the URL fragment (#key=...) into this tab's session storage. */
export function adoptKey(): void {
  const match = /^#key=([^&]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(KEY_ITEM, decodeURIComponent(match[1]));
    history.replaceState(null, '', `${window.location.pathname}#/`);
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GET a path of the API as JSON; errors say what to do next. */
export async function get<T>(path: string): Promise<T> {
  const key = sessionStorage.getItem(KEY_ITEM);
  let response: Response;
  try {
    response = await fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  } catch {
    throw new ApiError(0, 'The Strata server cannot be reached: is `strata serve` still running?');
  }
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  if (response.status === 401)
    throw new ApiError(
      401,
      'This page has no valid key: open the URL `strata serve` printed (it carries one).',
    );
  if (!response.ok) throw new ApiError(response.status, body.message ?? `HTTP ${response.status}`);
  return body as T;
}

export interface Overview extends Clocked {
  runId: number | null;
  asOf: string | null;
  previousRunId: number | null;
  accounts: number;
  mrr: number;
  meanHealth: number | null;
  retention: {
    days: number;
    customers: number;
    logoRetention: number | null;
    netRevenueRetention: number | null;
    grossRevenueRetention: number | null;
  } | null;
  schemes: { scheme: string; primary: { segment: string; accounts: number; change: number | null }[] }[];
  warnings: { code: string; level: 'warning' | 'strong'; message: string; segment?: string }[];
  segments: {
    id: string;
    framework: string | null;
    accounts: number | null;
    change: number | null;
    playbook: boolean;
  }[];
}

export interface MembersPage extends Clocked {
  runId: number;
  segment: string;
  total: number;
  limit: number;
  offset: number;
  sort: string | null;
  order: 'asc' | 'desc';
  sortable: string[];
  members: {
    account_id: string;
    name: string | null;
    plan: string | null;
    mrr: number | null;
    metrics: Record<string, number | string | null>;
  }[];
}

export interface Criterion {
  verdict: 'pass' | 'warn' | 'fail' | 'n/a';
  reason: string;
}

export interface ValidationCard {
  segment: string;
  runId: number;
  members: number;
  overall: 'pass' | 'warn' | 'fail';
  distinct: Criterion & {
    metrics: {
      metric: string;
      members: number | null;
      others: number | null;
      cohensD: number | null;
      adjustedPValue: number | null;
    }[];
  };
  measurable: Criterion;
  accessible: Criterion;
  substantial: Criterion;
  actionable: Criterion;
  stability: Criterion;
}

export interface SegmentDetail {
  segment: string;
  definition: string;
  playbook: Record<string, unknown> | null;
  history: { run_id: number; as_of: string; accounts: number | null }[];
  overlaps: { segment: string; accounts: number; jaccard: number }[];
}

export interface RfmReport extends Clocked {
  asOf: string;
  accounts: number;
  /** Accounts paying above 0: the ones in the grid; the rest are the Non-paying cell. */
  paying: number;
  cells: { cell: string; accounts: number; share: number; monetaryTotal: number }[];
  grid: { r: number; fm: number; accounts: number }[];
}

export interface RfmAccounts extends Clocked {
  r: number;
  fm: number;
  total: number;
  accounts: {
    account_id: string;
    name: string | null;
    recency: number | null;
    frequency: number | null;
    monetary: number | null;
    cell: string;
  }[];
}

export interface Transitions {
  from: number;
  to: number;
  segments: { segment: string; before: number; after: number; entered: number; exited: number }[];
  flows: { scheme: string; from: string; to: string; accounts: number }[];
}

export interface AbTestRow {
  test: string;
  segment: string;
  ratio: number;
  createdAt: string;
  plannedPerVariant: number | null;
  control: number;
  treatment: number;
}

export interface AbReport extends Clocked {
  outcome: string;
  variants: { variant: string; accounts: number; value: number }[];
  comparison: { difference: number; confidenceInterval: [number, number]; pValue: number };
  reachedPlan: boolean | null;
}

export interface ModelRow {
  name: string;
  version: number;
  target: string | null;
  algorithm: string | null;
  rocAuc: number | null;
  verdict: 'usable' | 'not_useful';
  warnings: string[];
}

export interface ModelCard {
  name: string;
  version: number;
  /** 'not_useful' when the holdout does not vouch for the model; `warnings` say why. */
  verdict: 'usable' | 'not_useful';
  warnings: string[];
  report: {
    target: string;
    algorithm: string;
    split: string;
    holdout: { rows: number; positives: number; baseRate: number };
    rocAuc: number | null;
    rocAucInterval?: { low: number; high: number } | null;
    prAuc: number | null;
    accuracy: number;
    majorityAccuracy: number;
    brier: number;
    baselineBrier: number;
    rocCurve?: { fpr: number; tpr: number }[];
    calibration: { from: number; to: number; n: number; predicted: number; observed: number }[];
    topK: { share: number; k: number; precision: number; recall: number; lift: number }[];
    topFeatures: { feature: string; aucDrop?: number | null; importance?: number }[];
  };
}

export interface Plan extends Clocked {
  againstRunId: number;
  asOf: string;
  segments: { segment: string; status: string; added: number; removed: number; unchanged: number }[];
}

export interface CohortsReport extends Clocked {
  asOf: string;
  by: 'month' | 'quarter';
  /** Retention kinds the data cannot measure (no subscriptions, no events), and what to add. */
  unavailable: { kind: 'logo' | 'revenue' | 'activity'; reason: string }[];
  cohorts: {
    cohort: string;
    accounts: number;
    periods: { period: number; logoRetention: number; netRevenueRetention: number | null }[];
    survival: number[];
    projection: { projectedSurvival: number[]; projectedLtv: number } | null;
    flag: { weak: boolean } | null;
  }[];
}

export interface FunnelList {
  funnels: { name: string; steps: string[]; within: string }[];
  schemes: string[];
}

export interface FunnelReport extends Clocked {
  steps: string[];
  overall: FunnelGroupRow;
  groups: FunnelGroupRow[];
}

export interface FunnelGroupRow {
  group: string;
  reached: number[];
  conversion: (number | null)[];
  tests: { step: number; leak: boolean; adjustedPValue: number }[];
}

export interface ClusteringRow {
  name: string;
  version: number;
  metrics: string[];
  k: number;
  silhouette: number | null;
}

export interface ClusterMap extends Clocked {
  name: string;
  version: number;
  asOf: string;
  metrics: string[];
  accounts: number;
  explained: number[];
  axes: number[][];
  /** What was done to each metric before standardising ("mrr: capped at 4,800 ..., then ln(1 + x)"). */
  transforms: string[];
  clusters: {
    cluster: number;
    accounts: number;
    means: Record<string, number | null>;
    profile: string;
    centre: [number, number];
  }[];
  points: { account_id: string; cluster: number; x: number; y: number }[];
}

export interface Explanation {
  model: string;
  version: number;
  account: string;
  asOf: string;
  probability: number;
  contributions: { feature: string; value: number | null; contribution: number; direction: string }[];
}

/** GET /v1/accounts/<id>: the account's row, its segments and metrics in the latest run, and its playbooks. */
export interface AccountProfile extends Clocked {
  account: Record<string, unknown> & {
    account_id: string;
    name?: string | null;
    traits?: Record<string, unknown>;
  };
  run: { runId: number; asOf: string } | null;
  segments: string[];
  primary: Record<string, string | null>;
  metrics: Record<string, number | string | null>;
  playbooks: {
    segment: string;
    owner: string;
    next: { action: string; channel: string; owner: string; due: string };
  }[];
}

/** One node of a segment's condition tree, as src/engine/explain-membership.ts explains it. */
export interface ExplainedNode {
  path: string;
  kind: string;
  holds: boolean;
  value?: string | null;
  text: string;
  components?: {
    metric: string;
    value: number | null;
    weight: number;
    bad: number;
    good: number;
    points: number;
  }[];
  /** For a condition on a saved model's probability: the model's largest contributions. */
  drivers?: {
    model: string;
    version: number;
    probability: number;
    contributions: {
      feature: string;
      value: number | null;
      contribution: number;
      direction: 'raises' | 'lowers';
    }[];
  };
  decidedBy?: string[];
  children?: ExplainedNode[];
}

export interface SegmentExplanation {
  segment: string;
  member: boolean;
  parent: { segment: string; member: boolean } | null;
  storedMember: boolean | null;
  tree: ExplainedNode;
}

/** GET /v1/accounts/<id>/explain[?segment=]: in or out of each segment and why, each scheme's primary. */
export interface AccountExplanation {
  account: string;
  runId: number;
  asOf: string;
  /** The definition version (hash of strata.yaml) it was worked out with. */
  definition?: string;
  segments: SegmentExplanation[];
  schemes: {
    scheme: string;
    order: string[];
    primary: string;
    storedPrimary: string | null;
    reason: string;
  }[];
}

/** A leaf's verdict and the value it compared in one run, for a timeline's reasons. */
export interface LeafState {
  holds: boolean;
  value: string | null;
}

/**
 * GET /v1/accounts/<id>/history (src/engine/membership-timeline.ts): the account run by
 * run, oldest first, each entry and exit with its cause and, for `data`, the leaves that
 * turned (path `parent` for the parent segment).
 */
export interface AccountHistory {
  account: string;
  runs: {
    runId: number;
    asOf: string;
    workspaceHash: string;
    segments: string[];
    primary: Record<string, string | null>;
    changes: {
      segment: string;
      change: 'entered' | 'exited';
      cause: 'first_run' | 'new_account' | 'gone' | 'definition' | 'data' | 'unrecorded';
      reasons: { path: string; text: string; before: LeafState; after: LeafState }[];
    }[];
  }[];
}
