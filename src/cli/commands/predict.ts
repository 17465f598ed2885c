import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const models = async () => import('../actions/predict.js');
const WINDOW_EXPECTED = 'expected a window such as 90d, 12w, 3m';

export const predict = {
  group: 'predict',
  description: 'churn, expansion, adoption and support-need models',
} as const;

/** `--sample`: a share of accounts above 0 and up to 1. */
const sampleShare = (k: OptionKit) =>
  k.read(
    (text) => {
      const share = k.readNumber(text, { min: 0 });
      return share !== undefined && share > 0 && share <= 1 ? share : undefined;
    },
    (text) =>
      k.readNumber(text, { min: 0 }) === undefined
        ? `--sample ${text}: expected a number >= 0`
        : `--sample ${text}: expected a share above 0, up to 1`,
  );

const trainSchema = (k: OptionKit) => ({
  name: k.z.string().optional(),
  label: k.z.string().optional(),
  table: k
    .read(
      (text) => (text === 'accounts' ? text : undefined),
      (text) => `--table ${text}: models are trained on the accounts table`,
    )
    .optional(),
  horizon: k.window('--horizon', WINDOW_EXPECTED),
  snapshots: k.number('--snapshots', { whole: true, min: 1 }),
  every: k.window('--every', WINDOW_EXPECTED),
  asOf: k.time('--as-of').optional(),
  // Checked by the action against the trainer's own list.
  algorithm: k.z.string(),
  features: k.list().optional(),
  holdout: k.number('--holdout', { min: 0.01 }),
  seed: k.number('--seed', { whole: true, min: 0 }),
  exportTraining: k.z.string().optional(),
  sample: sampleShare(k).optional(),
});
export type PredictTrainInput = CommandInput<ReturnType<typeof trainSchema>>;

export const predictTrain = defineCommand({
  name: 'predict train',
  description:
    'train a model on history snapshots (or on a table with a label column) and save its next version',
  arguments: [{ name: '[name]' }],
  options: [
    {
      flags: '--label <label>',
      description: 'churned, expanded, adopted:<event>, tickets:<N>; with --table, a yes/no column',
    },
    {
      flags: '--table <table>',
      description: 'train on this table (accounts) and its label column instead of history',
    },
    {
      flags: '--horizon <window>',
      description: 'how far after each snapshot the label looks',
      default: '90d',
    },
    { flags: '--snapshots <n>', description: 'training snapshots taken from history', default: '6' },
    { flags: '--every <window>', description: 'time between training snapshots', default: '30d' },
    {
      flags: '--as-of <time>',
      description: 'the holdout snapshot (default: the last one whose horizon is observed)',
    },
    { flags: '--algorithm <name>', description: 'boosted_trees or logistic', default: 'boosted_trees' },
    {
      flags: '--features <names>',
      description: 'comma-separated features (default: the standard set and every workspace metric)',
    },
    {
      flags: '--holdout <share>',
      description: 'share of labelled accounts held out with --table',
      default: '0.2',
    },
    { flags: '--seed <n>', description: 'random seed (same seed, same model)', default: '42' },
    {
      flags: '--export-training <file>',
      description:
        'also write the training set as CSV: as_of (the snapshot; not with --table), account_id, features, label, split; sorted by as_of then account_id',
      path: true,
    },
    {
      flags: '--sample <share>',
      description: 'train and test on this share of accounts (the same ones at every snapshot)',
    },
  ],
  schema: trainSchema,
  run: async (input, output) => (await models()).runPredictTrain(input, output),
});

const reportSchema = (k: OptionKit) => ({ name: k.z.string().optional() });
export type PredictReportInput = CommandInput<ReturnType<typeof reportSchema>>;

export const predictReport = defineCommand({
  name: 'predict report',
  description: "a saved model's holdout report (without a name: the saved models)",
  arguments: [{ name: '[name]' }],
  schema: reportSchema,
  run: async (input, output) => (await models()).runPredictReport(input, output),
});

const scoreSchema = (k: OptionKit) => ({
  name: k.z.string(),
  asOf: k.time('--as-of').optional(),
  top: k.number('--top', { whole: true, min: 0 }),
  out: k.z.string().optional(),
});
export type PredictScoreInput = CommandInput<ReturnType<typeof scoreSchema>>;

export const predictScore = defineCommand({
  name: 'predict score',
  description: "every account's probability, computed in the database: distribution and highest",
  arguments: [{ name: '<name>' }],
  options: [
    {
      flags: '--as-of <time>',
      description: 'score as of this ISO time (default: the time of the latest run)',
    },
    { flags: '--top <n>', description: 'accounts listed', default: '20' },
    { flags: '--out <file>', description: "write every account's probability to a CSV file", path: true },
  ],
  schema: scoreSchema,
  run: async (input, output) => (await models()).runPredictScore(input, output),
});

const explainSchema = (k: OptionKit) => ({
  account: k.z.string(),
  model: k.z.string().optional(),
  asOf: k.time('--as-of').optional(),
  top: k.number('--top', { whole: true, min: 1 }),
});
export type PredictExplainInput = CommandInput<ReturnType<typeof explainSchema>>;

export const predictExplain = defineCommand({
  name: 'predict explain',
  description: 'why a model scores an account as it does: the features that raise or lower its probability',
  arguments: [{ name: '<account>' }],
  options: [
    { flags: '--model <name>', description: 'the model (default: churn, or the only one)' },
    { flags: '--as-of <time>', description: 'as of this ISO time (default: the time of the latest run)' },
    { flags: '--top <n>', description: 'features listed', default: '8' },
  ],
  schema: explainSchema,
  run: async (input, output) => (await models()).runPredictExplain(input, output),
});
