import { compileLayers, metricColumn } from '../compile/compile-workspace.js';
import { evaluateLayers } from '../engine/evaluate.js';
import type { ModelDrivers } from '../engine/explain-membership.js';
import { StrataError } from '../errors.js';
import { accountRows } from '../identity/account-rows.js';
import type { ModelScorer } from '../language/ast.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { readModel, type SavedPredictor } from '../workspace/model-files.js';
import { BASELINE, explainBoostedTrees, predictBoostedTrees } from './boosting/model.js';
import { extractFeatures } from './features.js';
import { payingRelation } from './labels.js';
import { explainLogistic, predictLogistic } from './logistic-regression.js';

/** Scoring and explaining with a saved prediction model. */

/** A saved prediction model (latest version unless `ref` pins one, as in `churn@2`). */
export function readPredictor(workspace: Workspace, ref: string): SavedPredictor {
  const saved = readModel(workspace.dir, ref);
  if (saved.kind !== 'predictor') {
    throw new StrataError('invalid_model', `'${ref}' is a saved clustering, not a prediction model`);
  }
  return saved;
}

/** History-trained models describe paying accounts; a table-trained one every account. */
const payingOnly = (saved: SavedPredictor) => saved.training.source === 'history';

export interface ScoreSummary {
  readonly model: string;
  readonly version: number;
  readonly asOf: string;
  readonly population: string;
  readonly accounts: number;
  readonly meanProbability: number | null;
  /** Accounts per tenth of probability (0-0.1, ..., 0.9-1). */
  readonly histogram: readonly { readonly from: number; readonly to: number; readonly accounts: number }[];
  readonly top: readonly { readonly accountId: string; readonly probability: number }[];
  /** Where every account's probability was written, with --out. */
  readonly file?: string;
}

/**
 * Every account's probability at `asOf`, computed in the database by the model compiled to
 * SQL (the same expression `{ model: ... }` metrics use); only the summary, the top
 * accounts and an optional CSV leave the database.
 */
export async function scoreAccounts(
  store: Store,
  workspace: Workspace,
  ref: string,
  options: { asOf: Date; top: number; out?: string },
): Promise<ScoreSummary> {
  const saved = readPredictor(workspace, ref);
  const d = store.dialect;
  const { sql, fn } = d;
  const layers = compileLayers(d, {
    metrics: { probability: { kind: 'model', ref, scorer: saved.scorer } },
    segments: [],
    asOf: options.asOf,
    rows: await accountRows(store, workspace.config.identity),
  });
  const table = await evaluateLayers(store, layers, 'strata_scores');
  try {
    const scored = sql`(SELECT account_id, ${sql.id(metricColumn('probability'))} AS probability FROM ${table}) scored`;
    const from = payingOnly(saved) ? fn.joinSmall(scored, payingRelation(d, options.asOf)) : scored;
    const [summary] = await store.query<{ n: number; mean: number | null }>(
      sql`SELECT count(*) AS n, avg(probability) AS mean FROM ${from}`,
    );
    const bins = await store.query<{ bin: number; n: number }>(
      sql`SELECT least(floor(probability * 10), 9) AS bin, count(*) AS n FROM ${from} GROUP BY bin ORDER BY bin`,
    );
    const top = await store.query<{ account_id: string; probability: number }>(
      sql`SELECT account_id, probability FROM ${from} ORDER BY probability DESC, account_id LIMIT ${options.top}`,
    );
    if (options.out) {
      await store.exportFile(
        sql`SELECT account_id, probability FROM ${from} ORDER BY probability DESC, account_id`,
        options.out,
      );
    }
    return {
      model: saved.name,
      version: saved.version,
      asOf: options.asOf.toISOString(),
      population: payingOnly(saved) ? 'accounts paying at the as-of time' : 'every account',
      accounts: Number(summary?.n ?? 0),
      meanProbability: summary?.mean === null || summary?.mean === undefined ? null : Number(summary.mean),
      histogram: Array.from({ length: 10 }, (_, b) => ({
        from: b / 10,
        to: (b + 1) / 10,
        accounts: Number(bins.find((r) => Number(r.bin) === b)?.n ?? 0),
      })),
      top: top.map((r) => ({ accountId: String(r.account_id), probability: Number(r.probability) })),
      ...(options.out ? { file: options.out } : {}),
    };
  } finally {
    await store.dropScratch(table);
  }
}

/** The model of a scorer, for scoring and explaining rows in JavaScript. */
export function rowModel(scorer: ModelScorer) {
  if (scorer.type === 'logistic') {
    const model = { kind: 'logistic' as const, version: 1 as const, l2: 0, iterations: 0, ...scorer };
    return {
      predict: (x: Float64Array) => predictLogistic(model, x),
      explain: (row: Float64Array) => ({
        base: scorer.intercept,
        contributions: explainLogistic(model, row),
      }),
    };
  }
  const model = {
    kind: 'boosted_trees' as const,
    version: 1 as const,
    features: scorer.features,
    baseScore: scorer.baseScore,
    trees: scorer.trees,
    learningRate: 0,
    importance: [],
    iterations: scorer.trees.length,
    options: {} as never,
  };
  return {
    predict: (x: Float64Array) => predictBoostedTrees(model, x),
    explain: (row: Float64Array) => {
      const all = explainBoostedTrees(model, row);
      const shift = all.find((c) => c.feature === BASELINE)?.contribution ?? 0;
      return { base: scorer.baseScore + shift, contributions: all.filter((c) => c.feature !== BASELINE) };
    },
  };
}

/** Why a model scores an account as it does (the drivers `strata explain` shows on a leaf, and more). */
export interface Explanation extends ModelDrivers {
  readonly account: string;
  readonly asOf: string;
  /** Log-odds of an account before its features speak (every contribution 0). */
  readonly baseLogOdds: number;
}

/** Why the model scores one account as it does: its feature values and their contributions. */
export async function explainAccount(
  store: Store,
  workspace: Workspace,
  ref: string,
  account: string,
  options: { asOf: Date; top: number },
): Promise<Explanation> {
  const saved = readPredictor(workspace, ref);
  const matrix = await extractFeatures(store, saved.scorer, options.asOf, {
    account,
    rows: await accountRows(store, workspace.config.identity),
  });
  if (matrix.accountIds.length === 0) {
    throw new StrataError('unknown_account', `no account '${account}' at ${options.asOf.toISOString()}`);
  }
  const model = rowModel(saved.scorer);
  const probability = model.predict(matrix.x)[0] ?? Number.NaN;
  const index = new Map(saved.scorer.features.map((f, j) => [f, j]));
  const explained = model.explain(matrix.x);
  const contributions = explained.contributions
    .filter((c) => c.contribution !== 0)
    .slice(0, options.top)
    .map((c) => {
      const value = matrix.x[index.get(c.feature) ?? -1];
      return {
        feature: c.feature,
        value: value === undefined || Number.isNaN(value) ? null : value,
        contribution: c.contribution,
        direction: c.contribution > 0 ? ('raises' as const) : ('lowers' as const),
      };
    });
  return {
    model: saved.name,
    version: saved.version,
    account,
    asOf: options.asOf.toISOString(),
    probability,
    baseLogOdds: explained.base,
    contributions,
  };
}
