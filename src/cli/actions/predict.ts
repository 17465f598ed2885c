import { StrataError } from '../../errors.js';
import { count, decimals, number, percent, signedKind } from '../../format/numbers.js';
import { type HoldoutReport, verdictOf } from '../../ml/holdout-report.js';
import { parseTarget } from '../../ml/labels.js';
import { explainAccount, readPredictor, scoreAccounts } from '../../ml/predict.js';
import { ALGORITHMS, trainOnHistory, trainOnTable } from '../../ml/train.js';
import { loadWorkspace } from '../../workspace/load-workspace.js';
import { modelNames, modelVersions, readModel } from '../../workspace/model-files.js';
import type {
  PredictExplainInput,
  PredictReportInput,
  PredictScoreInput,
  PredictTrainInput,
} from '../commands/predict.js';
import { formatTable, type Output } from '../output.js';
import { createProgress } from '../progress.js';
import { commandTime, withWorkspace } from '../workspace-session.js';

// Ratios (AUC, precision, lift, Brier) at the digits their readers compare them by;
// probabilities as percentages, as src/format writes a model's output everywhere.
const fixed = (v: number | null | undefined, digits = 3) => decimals(v, digits);

/** The interval after an AUC, when there is one. */
const interval = (report: HoldoutReport) =>
  report.rocAucInterval
    ? ` (95% interval ${fixed(report.rocAucInterval.low)}-${fixed(report.rocAucInterval.high)})`
    : '';

/** The holdout report as text: split, ranking, accuracy, top-k, calibration, top features. */
export function formatReport(report: HoldoutReport): string {
  const { warnings } = verdictOf(report);
  return [
    ...warnings.map((w) => `WARNING: ${w}`),
    ...(warnings.length > 0 ? [''] : []),
    `target: ${report.target}`,
    `model: ${report.algorithm}`,
    `split: ${report.split}`,
    `train: ${count(report.train.rows)} rows, ${count(report.train.positives)} positive; holdout: ${count(report.holdout.rows)} rows, ${count(report.holdout.positives)} positive (base rate ${percent(report.holdout.baseRate)})`,
    '',
    `ROC AUC ${fixed(report.rocAuc)}${interval(report)}   PR AUC ${fixed(report.prAuc)} (chance ${fixed(report.holdout.baseRate)})`,
    `accuracy ${percent(report.accuracy)} at p > 0.5 (always the common outcome: ${percent(report.majorityAccuracy)}); balanced accuracy ${report.balancedAccuracy === null ? '-' : percent(report.balancedAccuracy)}`,
    `Brier ${fixed(report.brier, 4)} (base rate alone: ${fixed(report.baselineBrier, 4)})`,
    '',
    formatTable(
      ['top', 'accounts', 'precision', 'recall', 'lift'],
      report.topK.map((t) => [
        percent(t.share),
        count(t.k),
        fixed(t.precision),
        fixed(t.recall),
        fixed(t.lift, 2),
      ]),
    ),
    '',
    'calibration:',
    formatTable(
      ['predicted', 'accounts', 'mean predicted', 'observed'],
      report.calibration.map((c) => [
        `${percent(c.from, 0)}-${percent(c.to, 0)}`,
        count(c.n),
        percent(c.predicted),
        percent(c.observed),
      ]),
    ),
    '',
    'top features:',
    formatTable(
      ['feature', 'AUC drop when shuffled', report.algorithm === 'logistic' ? 'weight share' : 'gain share'],
      report.topFeatures.map((f) => [f.feature, fixed(f.aucDrop, 4), fixed(f.importance)]),
    ),
  ].join('\n');
}

/** How to use a model, or, for one its holdout does not vouch for, that it should not be used. */
function suggestion(name: string, report: HoldoutReport): string {
  return verdictOf(report).verdict === 'usable'
    ? `use it in strata.yaml as { metric: ${name}_probability, gte: 0.5 } or { top: 10%, by: ${name}_probability }`
    : `${name} is saved but not suggested for use (see the warnings above): add data, features or a longer history and train again`;
}

/** `strata predict train [name] --label ... [--table accounts]`. */
export async function runPredictTrain(o: PredictTrainInput, output: Output) {
  const { name, label, seed } = o;
  if (!label) {
    throw new StrataError(
      'invalid_argument',
      'give --label: churned, expanded, adopted:<event>, tickets:<N>, or a column with --table',
    );
  }
  const algorithm = ALGORITHMS.find((a) => a === o.algorithm);
  if (algorithm === undefined) {
    throw new StrataError(
      'invalid_argument',
      `--algorithm ${o.algorithm}: expected ${ALGORITHMS.join(' or ')}`,
    );
  }
  const { features } = o;
  const common = {
    algorithm,
    seed,
    ...(name ? { name } : {}),
    ...(features ? { features } : {}),
    ...(o.exportTraining ? { exportTo: o.exportTraining } : {}),
  };
  const progress = createProgress('train', !output.json);
  return withWorkspace(
    o.workspace,
    async (store, workspace) => {
      const onProgress = (f: number) => progress.update(f, 'training');
      const trained = await (o.table
        ? trainOnTable(store, workspace, {
            ...common,
            table: 'accounts',
            label,
            holdoutFraction: o.holdout,
            onProgress,
          })
        : trainOnHistory(store, workspace, {
            ...common,
            target: parseTarget(label, o.horizon),
            snapshots: o.snapshots,
            everyDays: o.every,
            ...(o.sample !== undefined ? { sample: o.sample } : {}),
            ...(o.asOf ? { asOf: o.asOf } : {}),
            onProgress,
          })
      ).finally(() => progress.stop());
      output.result(trained, () =>
        [
          `saved ${trained.name} version ${trained.version} to ${trained.file}`,
          ...trained.notes.map((n) => `note: ${n}`),
          '',
          formatReport(trained.report),
          '',
          suggestion(trained.name, trained.report),
        ].join('\n'),
      );
      return trained;
    },
    { metricsOnly: true },
  );
}

/** `strata predict report [name]`: the saved holdout report (all models when no name). */
export async function runPredictReport(o: PredictReportInput, output: Output) {
  const { name } = o;
  const workspace = loadWorkspace(o.workspace);
  if (!name) {
    const models = modelNames(workspace.dir).map((model) => {
      const saved = readModel(workspace.dir, model);
      return {
        name: model,
        kind: saved.kind,
        versions: modelVersions(workspace.dir, model),
        createdAt: saved.createdAt,
      };
    });
    output.result(models, () =>
      models.length === 0
        ? 'no saved models; train one with strata predict train --label churned'
        : formatTable(
            ['model', 'kind', 'versions', 'latest trained'],
            models.map((m) => [m.name, m.kind, m.versions.join(', '), m.createdAt]),
          ),
    );
    return models;
  }
  const saved = readPredictor(workspace, name);
  const report = saved.report as unknown as HoldoutReport;
  const result = {
    name: saved.name,
    version: saved.version,
    createdAt: saved.createdAt,
    training: saved.training,
    report,
  };
  output.result(result, () =>
    [`${saved.name} version ${saved.version}, trained ${saved.createdAt}`, '', formatReport(report)].join(
      '\n',
    ),
  );
  return result;
}

/** `strata predict score <name> [--as-of] [--top N] [--out file.csv]`. */
export async function runPredictScore(o: PredictScoreInput, output: Output) {
  const { name, top } = o;
  return withWorkspace(o.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, o.asOf, 'read', output);
    const summary = await scoreAccounts(store, workspace, name, {
      asOf,
      top,
      ...(o.out ? { out: o.out } : {}),
    });
    output.result(summary, () =>
      [
        `${summary.model} version ${summary.version} at ${summary.asOf}: ${count(summary.accounts)} ${summary.population}, mean probability ${percent(summary.meanProbability)}`,
        ...(summary.file ? [`every account's probability written to ${summary.file}`] : []),
        '',
        formatTable(
          ['probability', 'accounts'],
          summary.histogram.map((h) => [`${percent(h.from, 0)}-${percent(h.to, 0)}`, count(h.accounts)]),
        ),
        '',
        formatTable(
          ['account', 'probability'],
          summary.top.map((t) => [t.accountId, percent(t.probability)]),
        ),
      ].join('\n'),
    );
    return summary;
  });
}

/** `strata predict explain <account> [--model churn]`. */
export async function runPredictExplain(o: PredictExplainInput, output: Output) {
  const { account, top } = o;
  return withWorkspace(o.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, o.asOf, 'read', output);
    let model = o.model;
    if (!model) {
      const predictors = modelNames(workspace.dir).filter(
        (m) => readModel(workspace.dir, m).kind === 'predictor',
      );
      model = predictors.includes('churn') ? 'churn' : predictors.length === 1 ? predictors[0] : undefined;
      if (!model) {
        throw new StrataError(
          'invalid_argument',
          predictors.length === 0
            ? 'no saved prediction models; train one with strata predict train'
            : `give --model (one of ${predictors.join(', ')})`,
        );
      }
    }
    const explanation = await explainAccount(store, workspace, model, account, { asOf, top });
    output.result(explanation, () =>
      [
        `${explanation.account}: ${explanation.model} probability ${percent(explanation.probability)} at ${explanation.asOf}`,
        `(an account whose features all sit at the model's starting point: ${percent(1 / (1 + Math.exp(-explanation.baseLogOdds)))})`,
        '',
        formatTable(
          ['feature', 'value', 'effect', 'log-odds'],
          explanation.contributions.map((c) => [
            c.feature,
            c.value === null ? 'missing' : number(c.value),
            c.direction,
            signedKind(c.contribution, 'number'),
          ]),
        ),
      ].join('\n'),
    );
    return explanation;
  });
}
