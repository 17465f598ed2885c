import { StrataError } from '../../errors.js';
import { type HoldoutReport, verdictOf } from '../../ml/holdout-report.js';
import { parseTarget } from '../../ml/labels.js';
import { explainAccount, readPredictor, scoreAccounts } from '../../ml/predict.js';
import { ALGORITHMS, type Algorithm, trainOnHistory, trainOnTable } from '../../ml/train.js';
import { parseWindowDays } from '../../workspace/duration.js';
import { loadWorkspace } from '../../workspace/load-workspace.js';
import { modelNames, modelVersions, readModel } from '../../workspace/model-files.js';
import { numberOption } from '../options.js';
import { count, formatTable, type Output } from '../output.js';
import { createProgress } from '../progress.js';
import { commandTime, parseAsOf, withWorkspace } from './run.js';

const fixed = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits);
const percent = (v: number) => `${(v * 100).toFixed(1)}%`;

function days(option: string, text: string): number {
  const value = parseWindowDays(text);
  if (value === undefined)
    throw new StrataError('invalid_argument', `${option} ${text}: expected a window such as 90d, 12w, 3m`);
  return value;
}

const list = (text: string | undefined) =>
  text
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

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
      report.topK.map((t) => [percent(t.share), t.k, fixed(t.precision), fixed(t.recall), fixed(t.lift, 2)]),
    ),
    '',
    'calibration:',
    formatTable(
      ['predicted', 'accounts', 'mean predicted', 'observed'],
      report.calibration.map((c) => [
        `${c.from.toFixed(1)}-${c.to.toFixed(1)}`,
        c.n,
        fixed(c.predicted),
        fixed(c.observed),
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

function sampleShare(text: string): number {
  const share = numberOption('--sample', text, { min: 0 }) as number;
  if (!(share > 0 && share <= 1))
    throw new StrataError('invalid_argument', `--sample ${text}: expected a share above 0, up to 1`);
  return share;
}

/** `strata predict train [name] --label ... [--table accounts]`. */
export async function runPredictTrain(
  name: string | undefined,
  o: {
    workspace: string;
    json?: boolean;
    label?: string;
    table?: string;
    horizon: string;
    snapshots: string;
    every: string;
    asOf?: string;
    algorithm: string;
    features?: string;
    seed: string;
    holdout: string;
    exportTraining?: string;
    sample?: string;
  },
  output: Output,
) {
  if (!o.label) {
    throw new StrataError(
      'invalid_argument',
      'give --label: churned, expanded, adopted:<event>, tickets:<N>, or a column with --table',
    );
  }
  if (!ALGORITHMS.includes(o.algorithm as Algorithm)) {
    throw new StrataError(
      'invalid_argument',
      `--algorithm ${o.algorithm}: expected ${ALGORITHMS.join(' or ')}`,
    );
  }
  if (o.table !== undefined && o.table !== 'accounts') {
    throw new StrataError('invalid_argument', `--table ${o.table}: models are trained on the accounts table`);
  }
  const algorithm = o.algorithm as Algorithm;
  const seed = numberOption('--seed', o.seed, { whole: true, min: 0 }) ?? 42;
  const features = list(o.features);
  const common = {
    algorithm,
    seed,
    ...(name ? { name } : {}),
    ...(features ? { features } : {}),
    ...(o.exportTraining ? { exportTo: o.exportTraining } : {}),
  };
  const progress = createProgress('train', !o.json);
  return withWorkspace(
    o.workspace,
    async (store, workspace) => {
      const onProgress = (f: number) => progress.update(f, 'training');
      const trained = await (o.table
        ? trainOnTable(store, workspace, {
            ...common,
            table: 'accounts',
            label: o.label as string,
            holdoutFraction: numberOption('--holdout', o.holdout, { min: 0.01 }) ?? 0.2,
            onProgress,
          })
        : trainOnHistory(store, workspace, {
            ...common,
            target: parseTarget(o.label as string, days('--horizon', o.horizon)),
            snapshots: numberOption('--snapshots', o.snapshots, { whole: true, min: 1 }) ?? 6,
            everyDays: days('--every', o.every),
            ...(o.sample !== undefined ? { sample: sampleShare(o.sample) } : {}),
            ...(parseAsOf(o.asOf) ? { asOf: parseAsOf(o.asOf) as Date } : {}),
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
export async function runPredictReport(name: string | undefined, o: { workspace: string }, output: Output) {
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
export async function runPredictScore(
  name: string,
  o: { workspace: string; asOf?: string; top: string; out?: string },
  output: Output,
) {
  const top = numberOption('--top', o.top, { whole: true, min: 0 }) ?? 20;
  return withWorkspace(o.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, o.asOf, 'read', output);
    const summary = await scoreAccounts(store, workspace, name, {
      asOf,
      top,
      ...(o.out ? { out: o.out } : {}),
    });
    output.result(summary, () =>
      [
        `${summary.model} version ${summary.version} at ${summary.asOf}: ${count(summary.accounts)} ${summary.population}, mean probability ${fixed(summary.meanProbability)}`,
        ...(summary.file ? [`every account's probability written to ${summary.file}`] : []),
        '',
        formatTable(
          ['probability', 'accounts'],
          summary.histogram.map((h) => [`${h.from.toFixed(1)}-${h.to.toFixed(1)}`, h.accounts]),
        ),
        '',
        formatTable(
          ['account', 'probability'],
          summary.top.map((t) => [t.accountId, fixed(t.probability)]),
        ),
      ].join('\n'),
    );
    return summary;
  });
}

/** `strata predict explain <account> [--model churn]`. */
export async function runPredictExplain(
  account: string,
  o: { workspace: string; model?: string; asOf?: string; top: string },
  output: Output,
) {
  const top = numberOption('--top', o.top, { whole: true, min: 1 }) ?? 8;
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
        `${explanation.account}: ${explanation.model} probability ${fixed(explanation.probability)} at ${explanation.asOf}`,
        `(an account whose features all sit at the model's starting point: ${fixed(1 / (1 + Math.exp(-explanation.baseLogOdds)))})`,
        '',
        formatTable(
          ['feature', 'value', 'effect', 'log-odds'],
          explanation.contributions.map((c) => [
            c.feature,
            c.value === null ? 'missing' : Number(c.value.toFixed(3)),
            c.direction,
            (c.contribution > 0 ? '+' : '') + c.contribution.toFixed(3),
          ]),
        ),
      ].join('\n'),
    );
    return explanation;
  });
}
