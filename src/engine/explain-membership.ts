import {
  compileLayers,
  explainColumn,
  explainValueColumn,
  metricColumn,
  segmentColumn,
} from '../compile/compile-workspace.js';
import { didYouMean, StrataError } from '../errors.js';
import type { ConditionNode } from '../language/ast.js';
import { comparedMetric, conditionPaths } from '../language/condition-paths.js';
import { ownValue } from '../own-key.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { definitionWorkspace } from './definition-versions.js';
import { evaluateLayers, rowsFor } from './evaluate.js';
import { type LeafReader, leafReader, leafText, leafValue } from './leaf-text.js';
import { readRun, schemeColumn } from './run-snapshot.js';
import { workspaceHash } from './run-workspace.js';

/**
 * Why an account is in or out of each segment: the workspace compiled with its condition
 * nodes as output columns (the same expressions as the segment flags, in the same query),
 * evaluated at the latest run's as-of time, and read back for one account.
 */

export interface ExplainedNode {
  /** Where the node sits in the segment's definition: where, where.any[1], where.all[0].not. */
  readonly path: string;
  readonly kind: ConditionNode['kind'];
  readonly holds: boolean;
  /**
   * For a leaf: the value compared, full precision: a number when the leaf compares numbers,
   * text for text and times (null when the account has none).
   */
  readonly value?: number | string | null;
  /** The node in words, with the value rounded by its kind: "metric health = 53.6, needs < 40". */
  readonly text: string;
  /**
   * For a leaf on a score metric (health): each component's value and the points it gave
   * (they add up to the score, 0-100; a missing value gives none).
   */
  readonly components?: readonly {
    readonly metric: string;
    readonly value: number | null;
    readonly weight: number;
    readonly bad: number;
    readonly good: number;
    readonly points: number;
  }[];
  /**
   * For a leaf comparing a saved model's probability (churn_probability): the model's
   * largest feature contributions for the account at the same time (see src/ml/model-drivers.ts).
   */
  readonly drivers?: ModelDrivers;
  /** For all / any: the paths of the children that decided the outcome. */
  readonly decidedBy?: readonly string[];
  readonly children?: readonly ExplainedNode[];
}

/** A saved model's explanation of one account: its probability and largest feature contributions. */
export interface ModelDrivers {
  readonly model: string;
  readonly version: number;
  readonly probability: number;
  /** Contributions to the log-odds, largest first: positive raises the probability. */
  readonly contributions: readonly {
    readonly feature: string;
    readonly value: number | null;
    readonly contribution: number;
    readonly direction: 'raises' | 'lowers';
  }[];
}

/**
 * The drivers of each model-backed metric the trees compare, by metric, at `asOf`
 * (src/ml/model-drivers.ts; handed in by the caller, since scoring a model is src/ml's job
 * and src/ml builds on this folder).
 */
export type DriversOf = (
  store: Store,
  workspace: Workspace,
  account: string,
  asOf: Date,
  trees: readonly ConditionNode[],
) => Promise<ReadonlyMap<string, ModelDrivers>>;

export interface SegmentExplanation {
  readonly segment: string;
  readonly member: boolean;
  /** The parent it must also be in, and whether it is. */
  readonly parent: { readonly segment: string; readonly member: boolean } | null;
  /** The stored run's flag, when it differs (data arrived since the run). */
  readonly storedMember: boolean | null;
  readonly tree: ExplainedNode;
}

export interface AccountExplanation {
  readonly account: string;
  readonly runId: number;
  readonly asOf: string;
  /** The definition version (hash of strata.yaml) the explanation was computed with. */
  readonly definition: string;
  readonly segments: readonly SegmentExplanation[];
  /** Per scheme: the order tried, the first segment that holds (or the fallback), and the stored run's. */
  readonly schemes: readonly {
    readonly scheme: string;
    readonly order: readonly string[];
    readonly primary: string;
    readonly storedPrimary: string | null;
    readonly reason: string;
  }[];
}

/** The score components of a metric, if it is a score. */
function scoreOf(workspace: Workspace, metric: string) {
  const node = ownValue(workspace.metrics, metric);
  return node?.kind === 'score' ? node.components : null;
}

/** Points of each component of a score, as the compiled score adds them (scaled, clamped, weighted). */
function scoreComponents(workspace: Workspace, metric: string, row: Record<string, unknown>) {
  const components = scoreOf(workspace, metric);
  if (!components) return undefined;
  const total = components.reduce((sum, c) => sum + c.weight, 0);
  return components.map((c) => {
    const raw = row[metricColumn(c.metric)];
    const value = raw === null || raw === undefined ? null : Number(raw);
    const scaled = value === null ? 0 : Math.max(0, Math.min(1, (value - c.bad) / (c.good - c.bad)));
    return {
      metric: c.metric,
      value,
      weight: c.weight,
      bad: c.bad,
      good: c.good,
      points: (100 * c.weight * scaled) / total,
    };
  });
}

/** The explained tree of one segment from the account's row of the explain query. */
function explainTree(
  workspace: Workspace,
  id: string,
  node: ConditionNode,
  row: Record<string, unknown>,
  path = 'where',
  reader: LeafReader = leafReader(workspace.metrics, workspace.config.settings.currency),
): ExplainedNode {
  const holds = Boolean(row[explainColumn(id, path)]);
  const valueKey = explainValueColumn(id, path);
  const value = valueKey in row ? leafValue(node, row[valueKey], reader) : undefined;
  const components = node.kind === 'metric' ? scoreComponents(workspace, node.metric, row) : undefined;
  const base = {
    path,
    kind: node.kind,
    holds,
    text: leafText(node, value, reader),
    ...(value !== undefined ? { value } : {}),
    ...(components ? { components } : {}),
  };
  if (node.kind === 'not')
    return { ...base, children: [explainTree(workspace, id, node.condition, row, `${path}.not`, reader)] };
  if (node.kind !== 'all' && node.kind !== 'any') return base;
  const children = node.conditions.map((child, i) =>
    explainTree(workspace, id, child, row, `${path}.${node.kind}[${i}]`, reader),
  );
  // all fails on its failing children and holds on every one; any holds on its holding children and fails on every one.
  const deciding = node.kind === 'all' ? children.filter((c) => !c.holds) : children.filter((c) => c.holds);
  return { ...base, children, decidedBy: (deciding.length > 0 ? deciding : children).map((c) => c.path) };
}

/** The tree with each model-backed leaf given its model's drivers. */
function withDrivers(
  tree: ExplainedNode,
  source: ConditionNode,
  drivers: ReadonlyMap<string, ModelDrivers>,
): ExplainedNode {
  const metric = comparedMetric(source);
  const explained = metric === null ? undefined : drivers.get(metric);
  const own = explained
    ? {
        drivers: {
          model: explained.model,
          version: explained.version,
          probability: explained.probability,
          contributions: explained.contributions,
        },
      }
    : {};
  const children =
    source.kind === 'all' || source.kind === 'any'
      ? source.conditions
      : source.kind === 'not'
        ? [source.condition]
        : [];
  return {
    ...tree,
    ...own,
    ...(tree.children
      ? {
          children: tree.children.map((child, i) =>
            withDrivers(child, children[i] as ConditionNode, drivers),
          ),
        }
      : {}),
  };
}

/**
 * Every segment (or one) of `account`, in or out and why, at the latest run's as-of time
 * by the workspace as it is now; or, with `runId`, at that run's time by the definition
 * version that run applied (kept by the audit trail), so any past membership can be
 * explained again. With `drivers`, a leaf comparing a saved model's probability also
 * shows what drove it.
 */
export async function explainMembership(
  store: Store,
  current: Workspace,
  account: string,
  options: { segment?: string; runId?: number; drivers?: DriversOf } = {},
): Promise<AccountExplanation> {
  const run = await readRun(store, options.runId).catch((error: unknown) => {
    throw error instanceof StrataError && error.code === 'no_runs' && options.runId === undefined
      ? new StrataError('no_runs', "no run to explain yet; run 'strata run' first")
      : error;
  });
  const currentHash = workspaceHash(current);
  const workspace =
    options.runId === undefined
      ? current
      : await definitionWorkspace(store, current, run.workspaceHash, currentHash);
  if (!workspace)
    throw new StrataError(
      'definition_not_kept',
      `run ${run.runId}'s definition (version ${run.workspaceHash.slice(0, 12)}) was not kept: the run predates the audit trail`,
    );
  const ids = workspace.segments.map((s) => s.id);
  if (options.segment !== undefined && !ids.includes(options.segment))
    throw new StrataError(
      'unknown_segment',
      `unknown segment '${options.segment}'${didYouMean(options.segment, ids)}`,
    );
  const d = store.dialect;
  const input = {
    metrics: workspace.metrics,
    segments: workspace.segments,
    asOf: new Date(run.asOf),
    // The components of the scores that conditions compare, to show what drove them.
    metricOutputs: [
      ...new Set(
        workspace.segments.flatMap((s) =>
          conditionPaths(s.where).flatMap(({ node }) =>
            node.kind === 'metric' ? (scoreOf(workspace, node.metric) ?? []).map((c) => c.metric) : [],
          ),
        ),
      ),
    ],
    explain: 'nodes' as const,
  };
  const layers = compileLayers(d, { ...input, rows: await rowsFor(store, workspace, input) });
  const table = await evaluateLayers(store, layers, 'strata_explain');
  let row: Record<string, unknown> | undefined;
  try {
    [row] = await store.query<Record<string, unknown>>(
      d.sql`SELECT * FROM ${table} WHERE account_id = ${account}`,
    );
  } finally {
    await store.dropScratch(table);
  }
  if (!row) throw new StrataError('unknown_account', `no account '${account}' at ${run.asOf}`);
  const [stored] = await store.query<Record<string, unknown>>(
    d.sql`SELECT * FROM ${run.table} WHERE account_id = ${account}`,
  );
  const flag = (id: string) => Boolean(row?.[segmentColumn(id)]);
  const storedFlag = (id: string) =>
    stored && segmentColumn(id) in stored ? Boolean(stored[segmentColumn(id)]) : null;
  const chosen = workspace.segments.filter((s) => options.segment === undefined || s.id === options.segment);
  const drivers = options.drivers
    ? await options.drivers(
        store,
        workspace,
        account,
        new Date(run.asOf),
        chosen.map((s) => s.where),
      )
    : new Map<string, ModelDrivers>();
  const explained = chosen.map((s) => {
    const stored = storedFlag(s.id);
    return {
      segment: s.id,
      member: flag(s.id),
      parent: s.parent ? { segment: s.parent, member: flag(s.parent) } : null,
      storedMember: stored === flag(s.id) ? null : stored,
      tree: withDrivers(
        explainTree(workspace, s.id, s.where, row as Record<string, unknown>),
        s.where,
        drivers,
      ),
    };
  });
  const schemes = Object.entries(workspace.config.schemes).map(([scheme, { order, fallback }]) => {
    const primary = order.find((id) => flag(id)) ?? fallback;
    const skipped = order.slice(0, Math.max(0, order.indexOf(primary)));
    const storedPrimary =
      stored && schemeColumn(scheme) in stored ? String(stored[schemeColumn(scheme)]) : null;
    return {
      scheme,
      order,
      primary,
      storedPrimary,
      reason:
        primary === fallback && !order.includes(fallback)
          ? `in none of ${order.join(', ')}: the fallback`
          : `${skipped.length > 0 ? `not in ${skipped.join(', ')}; ` : ''}first match in the order`,
    };
  });
  return {
    account,
    runId: run.runId,
    asOf: run.asOf,
    definition: options.runId === undefined ? currentHash : run.workspaceHash,
    segments: explained,
    schemes,
  };
}
