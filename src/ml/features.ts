import { compileLayers, metricColumn } from '../compile/compile-workspace.js';
import type { AccountRows } from '../compile/scan-registry.js';
import type { Sql } from '../dialect/sql.js';
import { evaluateLayers } from '../engine/evaluate.js';
import { didYouMean, StrataError } from '../errors.js';
import type { MetricNode, ScoredFeatures } from '../language/ast.js';
import { isTextMetric } from '../language/value-types.js';
import { TABLES } from '../model/tables.js';
import { ownValue } from '../own-key.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { metricNode, withInputs } from '../workspace/metric-closure.js';

/**
 * Model features are metrics: each is a metric definition compiled into the one query per
 * as-of time, so every value is computed in the database from rows up to that time (no
 * leakage from later rows) and a saved model can be scored in SQL by the same definitions.
 */

export interface FeatureMatrix {
  readonly features: readonly string[];
  readonly accountIds: readonly string[];
  /** Row-major, accounts x features; NaN where an account has no value. */
  readonly x: Float64Array;
  /** 0 / 1 per account when a label relation was given. */
  readonly y?: Float64Array;
}

/** Metrics that cannot be features: ranked over all accounts, rolled up over hierarchies, text, or other models' outputs. */
function usable(name: string, node: MetricNode, metrics: Readonly<Record<string, MetricNode>>): boolean {
  return (
    node.kind !== 'percentile' &&
    node.kind !== 'rfm' &&
    node.kind !== 'rollup' &&
    node.kind !== 'model' &&
    node.kind !== 'cluster' &&
    !isTextMetric(name, metrics)
  );
}

/** Named workspace metrics (declared, built in, or account columns) as features. */
export function metricFeatures(workspace: Workspace, names: readonly string[]): ScoredFeatures {
  if (names.length === 0) throw new StrataError('invalid_argument', 'give at least one metric');
  const roots: Record<string, MetricNode> = {};
  for (const name of names) {
    const node = commandLineMetric(workspace, name);
    if (isTextMetric(name, { [name]: node })) {
      throw new StrataError('type_mismatch', `metric '${name}' is text; models need numbers`);
    }
    if (!usable(name, node, { [name]: node })) {
      throw new StrataError(
        'unsupported_metric',
        `metric '${name}' is ranked over all accounts or another model's output; it cannot be a feature`,
      );
    }
    roots[name] = node;
  }
  return { features: [...names], metrics: withInputs(workspace, roots) };
}

/**
 * A metric named on the command line (`--metrics`): an unknown name is the user's typo, so
 * the error names the option, not a line of strata.yaml that never mentioned it.
 */
function commandLineMetric(workspace: Workspace, name: string): MetricNode {
  try {
    return metricNode(workspace, name, ['metrics', name]);
  } catch (error) {
    if (!(error instanceof StrataError) || error.code !== 'unknown_metric') throw error;
    throw new StrataError('unknown_metric', `--metrics ${name}: ${error.message}`);
  }
}

/**
 * The standard features of a B2B account, beyond the workspace's own metrics: usage levels
 * and trends, breadth of use, seats, support, NPS, tenure, renewal, revenue and its change,
 * head count and its change.
 */
const STANDARD: Readonly<Record<string, MetricNode>> = {
  events_30d: { kind: 'builtin', name: 'events_30d' },
  events_90d: { kind: 'count', filter: { event: 'any', where: {} }, withinDays: 90 },
  events_change_30d: { kind: 'change', metric: 'events_30d', withinDays: 30 },
  sessions_30d: { kind: 'builtin', name: 'sessions_30d' },
  sessions_change_30d: { kind: 'change', metric: 'sessions_30d', withinDays: 30 },
  sessions_change_90d: { kind: 'change', metric: 'sessions_30d', withinDays: 90 },
  last_seen_days: { kind: 'builtin', name: 'last_seen_days' },
  seats: { kind: 'builtin', name: 'seats' },
  seats_change_90d: { kind: 'change', metric: 'seats', withinDays: 90 },
  tickets_30d: { kind: 'builtin', name: 'tickets_30d' },
  tickets_90d: { kind: 'tickets', withinDays: 90, open: false },
  tickets_open: { kind: 'builtin', name: 'tickets_open' },
  nps_latest: { kind: 'builtin', name: 'nps_latest' },
  tenure_days: { kind: 'builtin', name: 'tenure_days' },
  days_to_renewal: { kind: 'builtin', name: 'days_to_renewal' },
  mrr: { kind: 'trait', trait: 'mrr' },
  mrr_change_90d: { kind: 'change', metric: 'mrr', withinDays: 90 },
  employees: { kind: 'trait', trait: 'employees' },
  employees_change_180d: { kind: 'change', metric: 'employees', withinDays: 180 },
};

/** Text account columns one-hot encoded by default (identifiers and free text are not). */
const CATEGORY_COLUMNS = TABLES.accounts.columns
  .filter(
    (c) => c.type === 'string' && !['account_id', 'name', 'domain', 'parent_account_id'].includes(c.name),
  )
  .map((c) => c.name);
/** A category becomes a feature when it holds at least this share of accounts (at most MAX_CATEGORIES per column). */
const MIN_CATEGORY_SHARE = 0.01;
const MAX_CATEGORIES = 12;
/** Events counted by the breadth-of-use feature (event_types_90d). */
const BREADTH_EVENTS = 25;

/** The most common values of a text trait (account column or traits key), by share of accounts. */
async function commonValues(store: Store, trait: string): Promise<string[]> {
  const d = store.dialect;
  const text = CATEGORY_COLUMNS.includes(trait)
    ? d.fn.castText(d.sql.id(trait))
    : d.fn.jsonText(d.sql`traits`, trait);
  // Values the trait had in its history count too: a past snapshot may see them.
  const rows = await store.query<{ value: string; n: number; total: number }>(
    d.sql`SELECT v AS value, count(*) AS n FROM (SELECT ${text} AS v FROM accounts
       UNION ALL SELECT value AS v FROM trait_history WHERE trait = ${trait}) t
     WHERE v IS NOT NULL AND v <> '' GROUP BY v ORDER BY n DESC, value LIMIT ${MAX_CATEGORIES}`,
  );
  const [{ total } = { total: 0 }] = await store.query<{ total: number }>(
    d.sql`SELECT count(*) AS total FROM accounts`,
  );
  return rows.filter((r) => Number(r.n) >= MIN_CATEGORY_SHARE * Number(total)).map((r) => String(r.value));
}

/** One-hot features (`plan=growth`) for the common values of a text trait or text metric. */
function oneHot(name: string, values: readonly string[], source: { trait: string } | { metric: string }) {
  return Object.fromEntries(
    values.map((value): [string, MetricNode] => [`${name}=${value}`, { kind: 'indicator', source, value }]),
  );
}

/** Keys of the accounts' traits JSON, from a sample of accounts (the keys are the schema, not data). */
async function traitKeys(store: Store): Promise<Map<string, 'number' | 'text'>> {
  const rows = await store.query<{ traits: string | null }>(
    store.dialect
      .sql`SELECT ${store.dialect.fn.castText(store.dialect.sql`traits`)} AS traits FROM accounts WHERE traits IS NOT NULL LIMIT 2000`,
  );
  const kinds = new Map<string, 'number' | 'text'>();
  for (const row of rows) {
    let parsed: unknown;
    try {
      parsed = typeof row.traits === 'string' ? JSON.parse(row.traits) : row.traits;
    } catch {
      continue;
    }
    if (!parsed || typeof parsed !== 'object') continue;
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (value === null || value === '') continue;
      const numeric =
        typeof value === 'number' || (typeof value === 'string' && Number.isFinite(Number(value)));
      if (!numeric) kinds.set(key, 'text');
      else if (!kinds.has(key)) kinds.set(key, 'number');
    }
  }
  return kinds;
}

/** Account columns that do not change: safe at any past time without a history. */
const STATIC_TRAITS = new Set(['industry', 'region', 'country', 'created_at']);

/**
 * Traits a metric reads as they are now rather than as they were at the evaluation time:
 * account columns and traits keys without trait_history rows (renewal_at through
 * days_to_renewal). At a past snapshot such a value may tell the future (a churned
 * account's renewal date, a 'lifecycle: churned' trait).
 */
function currentOnlyTraits(
  node: MetricNode,
  metrics: Readonly<Record<string, MetricNode>>,
  history: ReadonlySet<string>,
  seen = new Set<MetricNode>(),
): string[] {
  if (seen.has(node)) return [];
  seen.add(node);
  const trait = (name: string) => (STATIC_TRAITS.has(name) || history.has(name) ? [] : [name]);
  const input = (name: string) => {
    const inner = ownValue(metrics, name) ?? ownValue(STANDARD, name);
    return inner ? currentOnlyTraits(inner, metrics, history, seen) : [];
  };
  switch (node.kind) {
    case 'trait':
      return trait(node.trait);
    case 'indicator':
      return 'trait' in node.source ? trait(node.source.trait) : input(node.source.metric);
    case 'builtin':
      return node.name === 'days_to_renewal' ? trait('renewal_at') : [];
    case 'change':
    case 'percentile':
      return input(node.metric);
    case 'score':
      return node.components.flatMap((c) => input(c.metric));
    default:
      return [];
  }
}

export interface FeatureChoice {
  /** Only these (metric, trait or standard feature names); every usable one when absent. */
  readonly only?: readonly string[];
  /**
   * Whether trait values may be used as they are now. Training on past snapshots must not
   * (a trait without history shows its current value at every past time: leakage), so only
   * account columns with a history or static firmographics are used there, unless named.
   */
  readonly currentTraitsAllowed: boolean;
  /** Columns never used as features (the label column of a table). */
  readonly exclude?: readonly string[];
}

/**
 * The features of a model: the standard set, one-hot categories of the text account
 * columns and traits, and every numeric workspace metric; or just the `only` ones.
 */
export async function chooseFeatures(
  store: Store,
  workspace: Workspace,
  choice: FeatureChoice,
): Promise<ScoredFeatures & { readonly notes: readonly string[] }> {
  const exclude = new Set(choice.exclude ?? []);
  const notes: string[] = [];
  const keys = await traitKeys(store);
  const historyTraits = new Set(
    (await store.query<{ trait: string }>(store.dialect.sql`SELECT DISTINCT trait FROM trait_history`)).map(
      (r) => String(r.trait),
    ),
  );
  const roots: Record<string, MetricNode> = {};
  const addTrait = async (trait: string, explicit: boolean) => {
    // Without a history, a trait read at a past snapshot is its value now: left out unless named.
    if (!choice.currentTraitsAllowed && !explicit && !STATIC_TRAITS.has(trait) && !historyTraits.has(trait))
      return;
    const kind = CATEGORY_COLUMNS.includes(trait) ? 'text' : (keys.get(trait) ?? 'number');
    if (kind === 'number') roots[trait] = { kind: 'trait', trait };
    else Object.assign(roots, oneHot(trait, await commonValues(store, trait), { trait }));
  };
  /** Adds a named feature (a trait is one-hot encoded when it holds text). */
  const addNamed = async (name: string) => {
    if (STANDARD[name]) roots[name] = STANDARD[name];
    else if (CATEGORY_COLUMNS.includes(name) || keys.has(name)) await addTrait(name, true);
    else if (name === 'nps_category')
      Object.assign(roots, oneHot(name, ['detractor', 'passive', 'promoter'], { metric: 'nps_category' }));
    else {
      let node: MetricNode;
      try {
        node = metricNode(workspace, name, ['metrics', name]);
      } catch {
        const known = [
          ...Object.keys(STANDARD),
          ...Object.keys(workspace.metrics),
          ...CATEGORY_COLUMNS,
          ...keys.keys(),
        ];
        throw new StrataError('unknown_feature', `unknown feature '${name}'${didYouMean(name, known)}`);
      }
      if (!usable(name, node, { ...workspace.metrics, [name]: node })) {
        throw new StrataError(
          'unsupported_metric',
          `'${name}' is text, ranked, or another model's output; it cannot be a feature`,
        );
      }
      roots[name] = node;
    }
  };
  // `+name` entries add to the full set; plain names replace it.
  const additions = choice.only?.every((name) => name.startsWith('+'))
    ? choice.only.map((name) => name.slice(1))
    : null;
  if (!choice.only || additions) {
    Object.assign(roots, STANDARD);
    // Breadth of use: how many of the product's most common events an account used lately.
    const events = await store.query<{ event: string }>(
      store.dialect
        .sql`SELECT event FROM events GROUP BY event ORDER BY count(*) DESC, event LIMIT ${BREADTH_EVENTS}`,
    );
    if (events.length > 1) {
      roots.event_types_90d = {
        kind: 'distinctEvents',
        events: events.map((e) => String(e.event)),
        withinDays: 90,
        ratio: false,
      };
    }
    Object.assign(
      roots,
      oneHot('nps_category', ['detractor', 'passive', 'promoter'], { metric: 'nps_category' }),
    );
    for (const column of CATEGORY_COLUMNS) if (!exclude.has(column)) await addTrait(column, false);
    for (const key of [...keys.keys()].sort()) if (!exclude.has(key)) await addTrait(key, false);
    for (const [name, node] of Object.entries(workspace.metrics)) {
      if (!exclude.has(name) && !roots[name] && usable(name, node, workspace.metrics)) roots[name] = node;
    }
  }
  /** Features the user named: kept even when they read a trait as it is now (with a note). */
  const named = new Set<string>();
  for (const name of additions ?? choice.only ?? []) {
    const before = new Set(Object.keys(roots));
    await addNamed(name);
    for (const added of Object.keys(roots)) if (!before.has(added) || added === name) named.add(added);
  }
  for (const name of exclude) delete roots[name];
  if (!choice.currentTraitsAllowed) {
    for (const [name, node] of Object.entries(roots)) {
      const current = currentOnlyTraits(node, workspace.metrics, historyTraits);
      if (current.length === 0) continue;
      const unique = [...new Set(current)].join(', ');
      if (named.has(name)) {
        notes.push(`'${name}' reads ${unique} as it is now (no history): leakage possible at past snapshots`);
      } else {
        delete roots[name];
        notes.push(
          `left out '${name}': it reads ${unique} as it is now (no history), which would leak the future into past snapshots`,
        );
      }
    }
  }
  const features = Object.keys(roots);
  if (features.length === 0) throw new StrataError('invalid_argument', 'no usable features');
  return { features, metrics: withInputs(workspace, roots), notes };
}

/**
 * Feature values of every account existing at `asOf`, computed in the database and read
 * back once as a typed matrix. With `labels` (a relation with account_id and label), only
 * the accounts in it are read, each with its label.
 */
export async function extractFeatures(
  store: Store,
  spec: ScoredFeatures,
  asOf: Date,
  options: { labels?: Sql; account?: string; rows: AccountRows },
): Promise<FeatureMatrix> {
  const d = store.dialect;
  const { sql, fn } = d;
  const layers = compileLayers(d, { metrics: spec.metrics, segments: [], asOf, rows: options.rows });
  const table = await evaluateLayers(store, layers, 'strata_features');
  try {
    const columns = spec.features.map(
      (name, i) => sql`${fn.toDouble(sql.id(metricColumn(name)))} AS ${sql.id(`f${i}`)}`,
    );
    const from = options.labels ? fn.joinOnAccount([options.labels, table]) : table;
    const where = options.account ? sql` WHERE account_id = ${options.account}` : sql.empty;
    const { keys, columns: values } = await store.queryColumns(
      sql`SELECT account_id, ${sql.join(columns)}${options.labels ? sql`, label` : sql.empty} FROM ${from}${where} ORDER BY account_id`,
    );
    const p = spec.features.length;
    const n = keys.length;
    const x = new Float64Array(n * p);
    for (let j = 0; j < p; j++) {
      const column = values[j] as Float64Array;
      for (let i = 0; i < n; i++) x[i * p + j] = column[i] ?? 0;
    }
    return {
      features: [...spec.features],
      accountIds: keys,
      x,
      ...(options.labels ? { y: values[p] as Float64Array } : {}),
    };
  } finally {
    await store.dropScratch(table);
  }
}
