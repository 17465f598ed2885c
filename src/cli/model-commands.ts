import type { Command } from 'commander';
import { action } from './action.js';
import { createOutput } from './output.js';

/**
 * The commands of models and experiments: `predict train|report|score|explain` and
 * `ab create|assign|report|size|export` (registered apart from program.ts). Each command
 * module is loaded only when run.
 */
export function registerModelCommands(
  program: Command,
  /** A file path as given, resolved against the CLI's folder when the server runs it (program.ts). */
  path: (value: string) => string,
): void {
  const predict = program
    .command('predict')
    .description('churn, expansion, adoption and support-need models');
  predict
    .command('train [name]')
    .description(
      'train a model on history snapshots (or on a table with a label column) and save its next version',
    )
    .option(
      '--label <label>',
      'churned, expanded, adopted:<event>, tickets:<N>; with --table, a yes/no column',
    )
    .option('--table <table>', 'train on this table (accounts) and its label column instead of history')
    .option('--horizon <window>', 'how far after each snapshot the label looks', '90d')
    .option('--snapshots <n>', 'training snapshots taken from history', '6')
    .option('--every <window>', 'time between training snapshots', '30d')
    .option('--as-of <time>', 'the holdout snapshot (default: the last one whose horizon is observed)')
    .option('--algorithm <name>', 'boosted_trees or logistic', 'boosted_trees')
    .option(
      '--features <names>',
      'comma-separated features (default: the standard set and every workspace metric)',
    )
    .option('--holdout <share>', 'share of labelled accounts held out with --table', '0.2')
    .option('--seed <n>', 'random seed (same seed, same model)', '42')
    .option('--export-training <file>', 'also write the training set (features, label, split) as CSV', path)
    .option('--sample <share>', 'train and test on this share of accounts (the same ones at every snapshot)')
    .action(
      action(async (o, name?: string) =>
        (await import('./commands/predict.js')).runPredictTrain(name, o as never, createOutput(o)),
      ),
    );
  predict
    .command('report [name]')
    .description("a saved model's holdout report (without a name: the saved models)")
    .action(
      action(async (o, name?: string) =>
        (await import('./commands/predict.js')).runPredictReport(name, o, createOutput(o)),
      ),
    );
  predict
    .command('score <name>')
    .description("every account's probability, computed in the database: distribution and highest")
    .option('--as-of <time>', 'score as of this ISO time (default: the time of the latest run)')
    .option('--top <n>', 'accounts listed', '20')
    .option('--out <file>', "write every account's probability to a CSV file", path)
    .action(
      action(async (o, name: string) =>
        (await import('./commands/predict.js')).runPredictScore(name, o as never, createOutput(o)),
      ),
    );
  predict
    .command('explain <account>')
    .description('why a model scores an account as it does: the features that raise or lower its probability')
    .option('--model <name>', 'the model (default: churn, or the only one)')
    .option('--as-of <time>', 'as of this ISO time (default: the time of the latest run)')
    .option('--top <n>', 'features listed', '8')
    .action(
      action(async (o, account: string) =>
        (await import('./commands/predict.js')).runPredictExplain(account, o as never, createOutput(o)),
      ),
    );

  const ab = program.command('ab').description('A/B tests on segments');
  ab.command('create <test>')
    .description("split a segment's members into control and treatment by a hash, and store the assignments")
    .option('--segment <id>', 'the segment to test')
    .option('--ratio <share>', 'share of the segment in treatment', '0.5')
    .option('--salt <text>', 'salt of the hash (default: the test name)')
    .option('--planned <n>', 'accounts per variant the test is planned for')
    .option('--baseline <rate>', 'baseline conversion rate, to plan the size with --mde')
    .option('--mde <change>', 'smallest absolute change worth detecting, to plan the size')
    .action(
      action(async (o, test: string) =>
        (await import('./commands/ab.js')).runAbCreate(
          test,
          {
            workspace: o.workspace,
            ...(o.segment ? { segment: o.segment as string } : {}),
            ...(o.ratio ? { ratio: o.ratio as string } : {}),
            ...(o.salt ? { salt: o.salt as string } : {}),
            ...(o.planned ? { planned: o.planned as string } : {}),
            ...(o.baseline ? { baseline: o.baseline as string } : {}),
            ...(o.mde ? { mde: o.mde as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );
  ab.command('assign <test>')
    .description('assign the members the segment gained in the latest run (nobody changes variant)')
    .action(
      action(async (o, test: string) =>
        (await import('./commands/ab.js')).runAbAssign(test, { workspace: o.workspace }, createOutput(o)),
      ),
    );
  ab.command('report <test>')
    .description('compare an outcome between the variants, with a confidence interval and p-value')
    .option('--event <name>', 'outcome: share of accounts with this event after their assignment')
    .option('--within <window>', 'count the event only this long after the assignment (e.g. 30d)')
    .option('--metric <name>', "outcome: a metric's mean")
    .option('--as-of <time>', 'report as of this ISO time (default: the time of the latest run)')
    .action(
      action(async (o, test: string) =>
        (await import('./commands/ab.js')).runAbReport(
          test,
          {
            workspace: o.workspace,
            ...(o.event ? { event: o.event as string } : {}),
            ...(o.within ? { within: o.within as string } : {}),
            ...(o.metric ? { metric: o.metric as string } : {}),
            ...(o.asOf ? { asOf: o.asOf as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );
  ab.command('export <test>')
    .description("write a test's assignments to a CSV file (test, account_id, variant, assigned_at, run_id)")
    .option('--out <file>', 'the CSV file to write', path)
    .action(
      action(async (o, test: string) =>
        (await import('./commands/ab.js')).runAbExport(
          test,
          { workspace: o.workspace, ...(o.out ? { out: o.out as string } : {}) },
          createOutput(o),
        ),
      ),
    );
  ab.command('size')
    .description('accounts needed per variant to detect a change in a conversion rate')
    .option('--baseline <rate>', 'baseline conversion rate, e.g. 0.1')
    .option('--mde <change>', 'smallest absolute change worth detecting, e.g. 0.02')
    .option('--alpha <level>', 'significance level (two-sided)', '0.05')
    .option('--power <power>', 'power', '0.8')
    .action(
      action(async (o) =>
        (await import('./commands/ab.js')).runAbSize(
          {
            ...(o.baseline ? { baseline: o.baseline as string } : {}),
            ...(o.mde ? { mde: o.mde as string } : {}),
            ...(o.alpha ? { alpha: o.alpha as string } : {}),
            ...(o.power ? { power: o.power as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );
}
