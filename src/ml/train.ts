import type { Sql } from '../dialect/sql.js';
import { requireEvents } from '../engine/check-names.js';
import { didYouMean, StrataError } from '../errors.js';
import { accountRows } from '../identity/account-rows.js';
import type { ModelScorer, ScoredFeatures } from '../language/ast.js';
import { TABLES } from '../model/tables.js';
import { Rng } from '../random.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { type SavedPredictor, saveModel } from '../workspace/model-files.js';
import { fitBoostedTrees } from './boosting/fit.js';
import { columnRescorerBoostedTrees, predictBoostedTrees } from './boosting/model.js';
import { chooseFeatures, extractFeatures, type FeatureMatrix } from './features.js';
import { type HoldoutReport, holdoutReport, permutationImportance } from './holdout-report.js';
import { defaultModelName, describeTarget, labelRelation, observedUntil, type Target } from './labels.js';
import { fitLogistic, predictLogistic } from './logistic-regression.js';
import { exportTrainingSet, type Matrix } from './training-export.js';

/**
 * Training a prediction model: a training set from the history (several as-of snapshots,
 * labels read after each) or from a table with a label column, a holdout kept apart, a
 * fit, the holdout report, and the model saved as the next version of models/<name>/.
 */

export type Algorithm = 'boosted_trees' | 'logistic';
export const ALGORITHMS: readonly Algorithm[] = ['boosted_trees', 'logistic'];
const DAY_MS = 86_400_000;

interface CommonOptions {
  readonly name?: string;
  readonly algorithm: Algorithm;
  readonly seed: number;
  /** Feature names to use instead of the full set. */
  readonly features?: readonly string[];
  /** Also write the training set (features, label, split) to this CSV file, for reference scripts. */
  readonly exportTo?: string;
  readonly onProgress?: (fraction: number) => void;
}

export interface SnapshotOptions extends CommonOptions {
  readonly target: Target;
  /** As-of time of the holdout snapshot; by default the last one whose horizon is observed. */
  readonly asOf?: Date;
  /** Number of training snapshots, `everyDays` apart, ending one horizon before the holdout. */
  readonly snapshots: number;
  readonly everyDays: number;
  /** Share of accounts (by a hash of the id, the same ones in every snapshot) to train and test on. */
  readonly sample?: number;
}

export interface TableOptions extends CommonOptions {
  readonly table: 'accounts';
  readonly label: string;
  /** Share of the labelled accounts kept for the holdout. */
  readonly holdoutFraction: number;
}

export interface TrainedModel {
  readonly name: string;
  readonly version: number;
  readonly file: string;
  readonly report: HoldoutReport;
  readonly notes: readonly string[];
}

/** Midnight UTC on or before an instant. */
const dayFloor = (at: Date) => new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);

/** Rows of several matrices stacked, in order. */
function stack(parts: readonly FeatureMatrix[], p: number, ats: readonly Date[]): Matrix {
  const n = parts.reduce((sum, m) => sum + m.accountIds.length, 0);
  const x = new Float64Array(n * p);
  const y = new Float64Array(n);
  const ids: string[] = [];
  const asOf: string[] = [];
  let row = 0;
  for (const [k, part] of parts.entries()) {
    x.set(part.x, row * p);
    y.set(part.y ?? new Float64Array(part.accountIds.length), row);
    // One element at a time: spreading a million ids into push() overflows the call stack.
    const at = (ats[k] as Date).toISOString();
    for (const id of part.accountIds) {
      ids.push(id);
      asOf.push(at);
    }
    row += part.accountIds.length;
  }
  return { x, y, ids, asOf };
}

const positives = (y: ArrayLike<number>) => Array.from(y).reduce((sum, v) => sum + v, 0);

/** Fits the chosen algorithm and returns its scorer (what is saved and compiled to SQL) and a predictor. */
function fitAlgorithm(
  algorithm: Algorithm,
  spec: ScoredFeatures,
  x: Float64Array,
  y: Float64Array,
  seed: number,
): {
  scorer: ModelScorer;
  predict: (x: Float64Array) => Float64Array;
  columnRescorer?: (x: Float64Array) => (changed: Float64Array, j: number) => Float64Array;
  importance: number[];
  settings: object;
} {
  if (algorithm === 'logistic') {
    const model = fitLogistic(x, y, spec.features, { l2: 1 });
    const total = model.weights.reduce((s, w) => s + Math.abs(w), 0) || 1;
    return {
      scorer: {
        type: 'logistic',
        features: spec.features,
        metrics: spec.metrics,
        means: model.means,
        scales: model.scales,
        weights: model.weights,
        intercept: model.intercept,
      },
      predict: (rows) => predictLogistic(model, rows),
      importance: model.weights.map((w) => Math.abs(w) / total),
      settings: { l2: model.l2, iterations: model.iterations, standardised: true, missing: 'training mean' },
    };
  }
  const model = fitBoostedTrees(x, y, spec.features, { seed });
  return {
    scorer: {
      type: 'boosted_trees',
      features: spec.features,
      metrics: spec.metrics,
      baseScore: model.baseScore,
      trees: model.trees,
    },
    predict: (rows) => predictBoostedTrees(model, rows),
    columnRescorer: (rows) => columnRescorerBoostedTrees(model, rows),
    importance: [...model.importance],
    settings: { ...model.options, trees: model.iterations },
  };
}

function finish(input: {
  workspace: Workspace;
  name: string;
  algorithm: Algorithm;
  spec: ScoredFeatures & { notes: readonly string[] };
  train: Matrix;
  holdout: Matrix;
  seed: number;
  described: { target: string; split: string; training: Record<string, unknown> };
  exportTo: string | undefined;
}): TrainedModel {
  const { workspace, name, algorithm, spec, train, holdout, seed, described } = input;
  if (input.exportTo) exportTrainingSet(input.exportTo, spec.features, { train, holdout });
  if (positives(train.y) === 0 || positives(train.y) === train.y.length) {
    throw new StrataError(
      'degenerate_labels',
      `every training row has the same label (${train.y.length} rows, ${positives(train.y)} positive); nothing to learn`,
    );
  }
  const fitStarted = performance.now();
  const fitted = fitAlgorithm(algorithm, spec, train.x, train.y, seed);
  const fitSeconds = (performance.now() - fitStarted) / 1000;
  // JSON cannot hold NaN or Infinity: a model with one would be saved damaged.
  JSON.stringify(fitted.scorer, (key, value) => {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new StrataError(
        'fit_failed',
        `the fit gave a non-finite ${key} (${value}); the model was not saved`,
      );
    }
    return value;
  });
  const scores = fitted.predict(holdout.x);
  const report = holdoutReport({
    target: described.target,
    algorithm,
    split: described.split,
    seed,
    features: spec.features,
    importance: fitted.importance,
    trainRows: train.y.length,
    trainPositives: positives(train.y),
    labels: holdout.y,
    scores,
    aucDrops:
      positives(holdout.y) > 0 && positives(holdout.y) < holdout.y.length
        ? permutationImportance(fitted, holdout.x, holdout.y, spec.features.length, seed)
        : null,
  });
  const saved = saveModel<SavedPredictor>(workspace.dir, {
    name,
    kind: 'predictor',
    scorer: fitted.scorer,
    training: {
      ...described.training,
      algorithm,
      seed,
      settings: fitted.settings,
      fitSeconds,
      notes: spec.notes,
    },
    report: report as unknown as Record<string, unknown>,
  });
  return { name, version: saved.version, file: saved.file, report, notes: spec.notes };
}

/**
 * Trains on snapshots of the history: the holdout is the latest as-of time whose horizon
 * is observed; training snapshots end one horizon before it, so no training label looks
 * at the holdout's future.
 */
export async function trainOnHistory(
  store: Store,
  workspace: Workspace,
  o: SnapshotOptions,
): Promise<TrainedModel> {
  const horizon = o.target.horizonDays;
  const until = await observedUntil(store);
  if (!until)
    throw new StrataError(
      'no_data',
      'the store has no events, subscriptions or tickets yet; import some first',
    );
  if (o.target.kind === 'adopted')
    await requireEvents(store, [o.target.event], `--label adopted:${o.target.event}`);
  const holdoutAt = o.asOf ?? dayFloor(new Date(until.getTime() - horizon * DAY_MS));
  if (holdoutAt.getTime() + horizon * DAY_MS > until.getTime()) {
    throw new StrataError(
      'horizon_not_observed',
      `labels need ${horizon} days after --as-of ${holdoutAt.toISOString().slice(0, 10)}, but the data ends ${until.toISOString().slice(0, 10)}; use an earlier --as-of or a shorter --horizon`,
    );
  }
  const trainAts = Array.from(
    { length: o.snapshots },
    (_, j) => new Date(holdoutAt.getTime() - (horizon + j * o.everyDays) * DAY_MS),
  ).reverse();
  const spec = await chooseFeatures(store, workspace, {
    currentTraitsAllowed: false,
    ...(o.features ? { only: o.features } : {}),
  });
  // A sample keeps large stores within memory: the same accounts at every snapshot.
  const d = store.dialect;
  const sampled = (labels: Sql) =>
    o.sample === undefined || o.sample >= 1
      ? labels
      : d.sql`(SELECT account_id, label FROM ${labels} WHERE ${d.fn.md5Bucket(d.sql`concat(${'sample:'}, account_id)`)} < ${Math.floor(o.sample * 2 ** 32)}) sampled`;
  const parts: FeatureMatrix[] = [];
  const all = [...trainAts, holdoutAt];
  const rows = await accountRows(store, workspace.config.identity);
  for (const [i, at] of all.entries()) {
    parts.push(
      await extractFeatures(store, spec, at, {
        labels: sampled(labelRelation(store.dialect, o.target, at, rows)),
        rows,
      }),
    );
    o.onProgress?.((i + 1) / (all.length + 1));
  }
  const holdoutPart = parts.pop() as FeatureMatrix;
  const p = spec.features.length;
  const train = stack(parts, p, trainAts);
  const holdout = stack([holdoutPart], p, [holdoutAt]);
  if (holdout.y.length === 0)
    throw new StrataError('no_data', `no paying accounts at ${holdoutAt.toISOString()}`);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const trained = finish({
    workspace,
    name: o.name ?? defaultModelName(o.target),
    algorithm: o.algorithm,
    spec,
    train,
    holdout,
    seed: o.seed,
    exportTo: o.exportTo,
    described: {
      target: describeTarget(o.target),
      split: `time-based${o.sample !== undefined && o.sample < 1 ? ` (a ${Math.round(o.sample * 100)}% sample of accounts)` : ''}: trained on ${trainAts.length} snapshots ${day(trainAts[0] as Date)} to ${day(trainAts[trainAts.length - 1] as Date)} (every ${o.everyDays} days), tested on the snapshot of ${day(holdoutAt)}`,
      training: {
        source: 'history',
        target: o.target,
        snapshots: trainAts.map((at) => at.toISOString()),
        holdoutAsOf: holdoutAt.toISOString(),
        rowsPerSnapshot: parts.map((m) => m.accountIds.length),
        dataUntil: until.toISOString(),
        ...(o.sample !== undefined && o.sample < 1 ? { sample: o.sample } : {}),
      },
    },
  });
  o.onProgress?.(1);
  return trained;
}

/** Label text read as 1 or 0 (case-insensitive); blank is unlabelled, anything else an error. */
const TRUE_WORDS = ['1', 'true', 'yes', 'y', 't'];
const FALSE_WORDS = ['0', 'false', 'no', 'n', 'f'];

/**
 * Trains on a table with a label column (an account column or a key of the imported
 * traits): features are the table's own columns (numbers as they are, text one-hot) plus
 * the workspace metrics now; the holdout is a seeded random share of the labelled accounts.
 */
export async function trainOnTable(
  store: Store,
  workspace: Workspace,
  o: TableOptions,
): Promise<TrainedModel> {
  const d = store.dialect;
  const isColumn = TABLES.accounts.columns.some((c) => c.name === o.label);
  const raw = isColumn ? d.fn.castText(d.sql.id(o.label)) : d.fn.jsonText(d.sql`traits`, o.label);
  const word = d.sql`lower(${raw})`;
  const values = await store.query<{ value: string | null; n: number }>(
    d.sql`SELECT ${word} AS value, count(*) AS n FROM accounts GROUP BY ${word} ORDER BY n DESC`,
  );
  const blank = (v: string | null) => v === null || v === '';
  if (values.every((v) => blank(v.value))) {
    // A name that is neither a column nor a trait key with values is most often a typo or
    // the wrong case (`churn` for `Churn`): say so rather than "no values".
    if (isColumn) {
      throw new StrataError('no_data', `accounts has no values in column '${o.label}' (the label)`, {
        path: o.label,
      });
    }
    const keys = await store.query<{ key: string }>(d.fn.distinctJsonKeys(d.sql`accounts`, d.sql`traits`));
    const known = [...TABLES.accounts.columns.map((c) => c.name), ...keys.map((k) => k.key)];
    throw new StrataError(
      'unknown_column',
      `--label ${o.label}: accounts has no column or trait '${o.label}' with values${didYouMean(o.label, known)}`,
    );
  }
  const unknown = values.filter(
    (v) => !blank(v.value) && !TRUE_WORDS.includes(String(v.value)) && !FALSE_WORDS.includes(String(v.value)),
  );
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 5).map((v) => `'${v.value}' (${v.n} accounts)`);
    throw new StrataError(
      'invalid_label',
      `label column '${o.label}' must hold yes/no values (1/0, true/false, yes/no; blank = unknown); found ${shown.join(', ')}`,
      { path: o.label },
    );
  }
  const list = (words: string[]) => d.sql.join(words.map((w) => d.sql.value(w)));
  const label = d.sql`CASE WHEN ${word} IN (${list(TRUE_WORDS)}) THEN 1 WHEN ${word} IN (${list(FALSE_WORDS)}) THEN 0 END`;
  const labels = d.sql`(SELECT account_id, ${label} AS label FROM accounts WHERE ${label} IS NOT NULL) labels`;
  const spec = await chooseFeatures(store, workspace, {
    currentTraitsAllowed: true,
    exclude: [o.label],
    ...(o.features ? { only: o.features } : {}),
  });
  o.onProgress?.(0.2);
  const asOf = new Date();
  const matrix = await extractFeatures(store, spec, asOf, {
    labels,
    rows: await accountRows(store, workspace.config.identity),
  });
  o.onProgress?.(0.7);
  // A seeded shuffle of the labelled accounts (in account order, so the split does not
  // depend on how the store returns rows).
  const n = matrix.accountIds.length;
  const order = new Rng(o.seed, 0x7ab1e).shuffle(Array.from({ length: n }, (_, i) => i));
  const holdoutCount = Math.round(n * o.holdoutFraction);
  if (holdoutCount < 1 || n - holdoutCount < 2) {
    throw new StrataError('too_few_accounts', `${n} labelled accounts: too few to train and test`);
  }
  const p = spec.features.length;
  const take = (indices: number[]) => {
    const x = new Float64Array(indices.length * p);
    const y = new Float64Array(indices.length);
    indices.forEach((from, to) => {
      x.set(matrix.x.subarray(from * p, from * p + p), to * p);
      y[to] = matrix.y?.[from] ?? 0;
    });
    return { x, y, ids: indices.map((i) => matrix.accountIds[i] as string) };
  };
  const holdout = take(order.slice(0, holdoutCount));
  const train = take(order.slice(holdoutCount));
  const percent = Math.round(o.holdoutFraction * 100);
  const trained = finish({
    workspace,
    name: o.name ?? o.label,
    algorithm: o.algorithm,
    spec,
    train,
    holdout,
    seed: o.seed,
    exportTo: o.exportTo,
    described: {
      target: `${o.label} (column of ${o.table})`,
      split: `random: ${100 - percent}% of the ${n} labelled accounts for training, ${percent}% held out (seed ${o.seed})`,
      training: { source: 'table', table: o.table, label: o.label, asOf: asOf.toISOString(), labelled: n },
    },
  });
  o.onProgress?.(1);
  return trained;
}
