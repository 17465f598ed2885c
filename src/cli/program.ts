import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { action } from './action.js';
import { streamFor } from './cli-streams.js';
import { createOutput } from './output.js';
import { registerServeCommands } from './serve-commands.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** How the program is built: as the terminal runs it, or for `strata serve` running a CLI's command. */
export interface ProgramSettings {
  /**
   * The CLI's folder when `strata serve` runs its command (relay-host.ts): relative paths in
   * arguments (files, -w) are resolved against it, not the server's; commander's errors are
   * thrown instead of exiting the server, and its help and errors go to the request's streams.
   */
  readonly cwd?: string;
}

/** The folder `strata demo` makes: its own unless -w names one. */
export function demoWorkspace(workspace: string): string {
  return workspace === '.' ? 'strata-demo' : workspace;
}

/** The `strata` command with every subcommand; a new one for each parse. */
export function createProgram(settings: ProgramSettings = {}): Command {
  const path = (value: string) => (settings.cwd === undefined ? value : resolve(settings.cwd, value));

  // Commands are loaded when run, so `strata --help` does not load DuckDB.
  const program = new Command('strata');
  // Before the commands are added: they inherit both settings.
  if (settings.cwd !== undefined)
    program.exitOverride().configureOutput({
      writeOut: (text) => streamFor(process.stdout).write(text),
      writeErr: (text) => streamFor(process.stderr).write(text),
    });
  program
    .description('Customer segmentation for B2B SaaS: segments as code on DuckDB.')
    .version(version)
    .option('-w, --workspace <dir>', 'workspace folder (holds strata.yaml)', path, settings.cwd ?? '.')
    .option('--json', 'print the result as JSON')
    .option('--debug', 'print stack traces with errors')
    .showHelpAfterError();

  program
    .command('init')
    .description('create a workspace with a starter strata.yaml')
    .option('--template <name>', 'starter workspace', 'saas')
    .option('--force', 'overwrite an existing strata.yaml')
    .action(
      action(async (o) =>
        (await import('./commands/init.js')).runInit(
          { workspace: o.workspace, template: o.template as string, force: Boolean(o.force) },
          createOutput(o),
        ),
      ),
    );

  program
    .command('generate')
    .description('write a seeded synthetic B2B SaaS world (Parquet files and ground truth)')
    .addOption(new Option('--scale <scale>', 'S = 2k accounts, M = 100k, L = 1M').default('S'))
    .option('--accounts <n>', "number of accounts instead of the scale's (other sizes follow per account)")
    .option('--seed <n>', 'random seed; the same seed gives byte-identical files', '42')
    .requiredOption('--out <dir>', 'output folder', path)
    .action(
      action(async (o) =>
        (await import('./commands/generate.js')).runGenerate(
          {
            scale: o.scale as string,
            seed: o.seed as string,
            out: o.out as string,
            ...(o.accounts ? { accounts: o.accounts as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  program
    .command('import')
    .description('import a file into a table, or every source of strata.yaml when no file is given')
    .argument('[table]', 'accounts, users, events, subscriptions, tickets, surveys or trait_history')
    .argument('[file]', 'CSV, Parquet or NDJSON file (or glob)', path)
    .option(
      '--map <target=source>',
      'take a table column from a differently named file column (repeatable)',
      collect,
    )
    .addOption(
      new Option('--format <format>', 'file format (default: from the extension)').choices([
        'csv',
        'parquet',
        'ndjson',
      ]),
    )
    .option('--skip-invalid', 'import the valid rows and report the invalid ones instead of failing')
    .action(
      action<[string | undefined, string | undefined]>(async (o, table, file) =>
        (await import('./commands/import.js')).runImport(
          table,
          file,
          {
            workspace: o.workspace,
            map: (o.map as string[]) ?? [],
            ...(o.format ? { format: o.format as 'csv' } : {}),
            skipInvalid: Boolean(o.skipInvalid),
          },
          createOutput(o),
        ),
      ),
    );

  program
    .command('demo')
    .description('generate a demo world, create a workspace for it, and import it')
    .option('--scale <scale>', 'S = 2k accounts, M = 100k, L = 1M', 'S')
    .option('--seed <n>', 'random seed', '42')
    .action(
      action(async (o) => {
        const workspace = demoWorkspace(o.workspace);
        return (await import('./commands/demo.js')).runDemo(
          { workspace, scale: o.scale as string, seed: o.seed as string },
          createOutput(o),
        );
      }),
    );

  program
    .command('status')
    .description("show the workspace's store: schema version, rows and date range per table")
    .action(
      action(async (o) =>
        (await import('./commands/status.js')).runStatus({ workspace: o.workspace }, createOutput(o)),
      ),
    );

  program
    .command('run')
    .description(
      'evaluate the workspace and write a membership snapshot with transitions against the previous one',
    )
    .option(
      '--as-of <time>',
      'evaluate as of this ISO date or time (default: the workspace clock, never before the latest run)',
    )
    .option('--dry-run', 'write nothing: show each segment then and how its members went on to behave')
    .option('--horizon <window>', 'with --dry-run: how far after --as-of outcomes are read', '90d')
    .action(
      action(async (o) =>
        (await import('./commands/run.js')).runRun(
          {
            workspace: o.workspace,
            ...(o.asOf ? { asOf: o.asOf as string } : {}),
            dryRun: Boolean(o.dryRun),
            horizon: o.horizon as string,
          },
          createOutput(o),
        ),
      ),
    );

  program
    .command('plan')
    .description('show what the edited workspace would change against the last snapshot, writing nothing')
    .option(
      '--as-of <time>',
      'evaluate as of this time (default: the time strata run would use); adds a backtest',
    )
    .option(
      '--horizon <window>',
      "with --as-of: how far after it the members' churn and expansion are read",
      '90d',
    )
    .action(
      action(async (o) =>
        (await import('./commands/run.js')).runPlan(
          {
            workspace: o.workspace,
            ...(o.asOf ? { asOf: o.asOf as string } : {}),
            horizon: o.horizon as string,
          },
          createOutput(o),
        ),
      ),
    );

  const segments = program.command('segments').description('segments and their members');
  segments
    .command('list')
    .description('every segment with its size in the latest run')
    .option('--run <id>', 'sizes from this run')
    .action(
      action(async (o) =>
        (await import('./commands/segments.js')).runSegmentsList(
          { workspace: o.workspace, ...(o.run ? { run: o.run as string } : {}) },
          createOutput(o),
        ),
      ),
    );
  segments
    .command('show')
    .description('a segment: definition as written, size history, overlaps, playbook')
    .argument('<id>', 'segment id')
    .action(
      action<[string]>(async (o, id) =>
        (await import('./commands/segments.js')).runSegmentsShow(
          id,
          { workspace: o.workspace },
          createOutput(o),
        ),
      ),
    );
  segments
    .command('members')
    .description("a page of a segment's members with their metric values")
    .argument('<id>', 'segment id')
    .option('--limit <n>', 'page size', '50')
    .option('--offset <n>', 'first row', '0')
    .option('--sort <metric>', 'order by this metric, highest first')
    .option('--search <text>', 'only accounts whose id or name contains this')
    .option('--run <id>', 'members in this run (default: the latest)')
    .action(
      action<[string]>(async (o, id) =>
        (await import('./commands/segments.js')).runSegmentsMembers(
          id,
          {
            workspace: o.workspace,
            limit: o.limit as string,
            offset: o.offset as string,
            ...(o.sort ? { sort: o.sort as string } : {}),
            ...(o.search ? { search: o.search as string } : {}),
            ...(o.run ? { run: o.run as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  segments
    .command('changes')
    .description('who entered and left a segment, in which run and definition version, and why')
    .argument('<id>', 'segment id')
    .option(
      '--since <time>',
      "only runs as of this ISO date or time or later, or a window: the runs of that many days up to the latest run's time (30d)",
    )
    .option('--limit <n>', 'page size', '100')
    .option('--offset <n>', 'first row', '0')
    .action(
      action<[string]>(async (o, id) =>
        (await import('./commands/timeline.js')).runSegmentChanges(
          id,
          {
            workspace: o.workspace,
            limit: o.limit as string,
            offset: o.offset as string,
            ...(o.since ? { since: o.since as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  segments
    .command('overlap')
    .description('pairs of segments sharing accounts: counts and Jaccard similarity')
    .option('--run <id>', 'in this run (default: the latest)')
    .action(
      action(async (o) =>
        (await import('./commands/segments.js')).runSegmentsOverlap(
          { workspace: o.workspace, ...(o.run ? { run: o.run as string } : {}) },
          createOutput(o),
        ),
      ),
    );

  program
    .command('history')
    .description(
      "an account's segments run by run, each entry and exit with its run, definition version and why",
    )
    .argument('<account>', 'account id')
    .action(
      action<[string]>(async (o, account) =>
        (await import('./commands/timeline.js')).runHistory(
          account,
          { workspace: o.workspace },
          createOutput(o),
        ),
      ),
    );

  program
    .command('definition')
    .description('the strata.yaml a run applied (default the latest run), as the audit trail keeps it')
    .option('--run <id>', 'this run')
    .action(
      action(async (o) =>
        (await import('./commands/timeline.js')).runDefinition(
          { workspace: o.workspace, ...(o.run ? { run: o.run as string } : {}) },
          createOutput(o),
        ),
      ),
    );

  program
    .command('explain')
    .description('why an account is in or out of each segment (or one), and its primary segment per scheme')
    .argument('<account>', 'account id')
    .argument('[segment]', 'only this segment')
    .option(
      '--run <id>',
      "at this run's time, by the definition version it applied (default: the latest run, strata.yaml now)",
    )
    .action(
      action<[string, string | undefined]>(async (o, account, segment) =>
        (await import('./commands/explain.js')).runExplain(
          account,
          segment,
          { workspace: o.workspace, ...(o.run ? { run: o.run as string } : {}) },
          createOutput(o),
        ),
      ),
    );

  program
    .command('transitions')
    .description('entered / exited per segment and flows between primary segments of two runs')
    .option('--from <run>', 'earlier run (default: the one before --to)')
    .option('--to <run>', 'later run (default: the latest)')
    .action(
      action(async (o) =>
        (await import('./commands/segments.js')).runTransitions(
          {
            workspace: o.workspace,
            ...(o.from ? { from: o.from as string } : {}),
            ...(o.to ? { to: o.to as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  const analyze = program.command('analyze').description('analyses of customers and segments');
  analyze
    .command('retention')
    .description(
      'fit the shifted-beta-geometric model to a survival table and project retention and lifetime value',
    )
    .option(
      '--survival <file>',
      "CSV with columns period,alive: a cohort's customers still active after each period",
      path,
    )
    .option('--horizon <periods>', 'project this many periods (default: twice the data)')
    .option('--discount <rate>', 'discount rate per period for the lifetime value', '0.1')
    .option('--value <amount>', 'value of one period of one customer (for the discounted LTV)')
    .action(
      action(async (o) =>
        (await import('./commands/analyze.js')).runAnalyzeRetention(
          {
            ...(o.survival ? { survival: o.survival as string } : {}),
            ...(o.horizon ? { horizon: o.horizon as string } : {}),
            ...(o.discount ? { discount: o.discount as string } : {}),
            ...(o.value ? { value: o.value as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  analyze
    .command('rfm')
    .description('score accounts 1-5 on recency, frequency and monetary value and count them per named cell')
    .option('--as-of <time>', 'score as of this ISO date or time (default: the time of the latest run)')
    .action(
      action(async (o) =>
        (await import('./commands/analyze.js')).runAnalyzeRfm(
          { workspace: o.workspace, ...(o.asOf ? { asOf: o.asOf as string } : {}) },
          createOutput(o),
        ),
      ),
    );

  analyze
    .command('cohorts')
    .description('retention of signup cohorts (logo, revenue, activity), sBG projections, weak cohorts')
    .option('--by <period>', 'month or quarter', 'month')
    .option('--date <column>', 'the account timestamp that starts a cohort (default created_at)')
    .option(
      '--as-of <time>',
      'only periods complete before this ISO time (default: the time of the latest run)',
    )
    .option('--compare-period <n>', 'period at which cohorts are compared for the weak-cohort test', '3')
    .action(
      action(async (o) =>
        (await import('./commands/analyze.js')).runAnalyzeCohorts(
          {
            workspace: o.workspace,
            ...(o.asOf ? { asOf: o.asOf as string } : {}),
            ...(o.by ? { by: o.by as string } : {}),
            ...(o.date ? { date: o.date as string } : {}),
            ...(o.comparePeriod ? { comparePeriod: o.comparePeriod as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  analyze
    .command('performance')
    .description('members and the mean of each numeric metric of segments, run by run')
    .option('--segment <id...>', 'only these segments')
    .option('--metric <name...>', 'only these metrics')
    .action(
      action(async (o) =>
        (await import('./commands/analyze.js')).runAnalyzePerformance(
          {
            workspace: o.workspace,
            ...(o.segment ? { segment: o.segment as string[] } : {}),
            ...(o.metric ? { metric: o.metric as string[] } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  analyze
    .command('quality')
    .description('coverage of account attributes overall and per segment, and freshness of each table')
    .option('--as-of <time>', 'as of this ISO time (default: the time of the latest run)')
    .action(
      action(async (o) =>
        (await import('./commands/analyze.js')).runAnalyzeQuality(
          { workspace: o.workspace, ...(o.asOf ? { asOf: o.asOf as string } : {}) },
          createOutput(o),
        ),
      ),
    );

  analyze
    .command('funnel [name]')
    .description('ordered steps with a conversion window: accounts per step per group, and leaks')
    .option(
      '--steps <events>',
      'comma-separated events in order (instead of, or overriding, a funnel of strata.yaml)',
    )
    .option('--within <window>', 'all steps within this long of the first (default 30d)')
    .option(
      '--by <group>',
      'scheme:<name> (primary segments of the latest run) or an account column (plan, industry, ...)',
    )
    .option('--as-of <time>', 'as of this ISO time (default: the time of the latest run)')
    .action(
      action(async (o, name: string | undefined) =>
        (await import('./commands/analyze.js')).runAnalyzeFunnel(
          name,
          {
            workspace: o.workspace,
            ...(o.steps ? { steps: o.steps as string } : {}),
            ...(o.within ? { within: o.within as string } : {}),
            ...(o.by ? { by: o.by as string } : {}),
            ...(o.asOf ? { asOf: o.asOf as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  analyze
    .command('icp')
    .description('which segments and trait values retain, expand, reach value and use the product best')
    .option(
      '--by <columns>',
      'account columns to group by, comma-separated (their current values)',
      'industry,region',
    )
    .option('--value-event <event>', "the event that marks an account's first value", 'subscription_paid')
    .option('--min <n>', 'leave out groups with fewer accounts paying a year before', '30')
    .option('--as-of <time>', 'as of this ISO time (default: the time of the latest run)')
    .action(
      action(async (o) =>
        (await import('./commands/analyze.js')).runAnalyzeIcp(
          {
            workspace: o.workspace,
            ...(o.by ? { by: o.by as string } : {}),
            ...(o.valueEvent ? { valueEvent: o.valueEvent as string } : {}),
            ...(o.min ? { min: o.min as string } : {}),
            ...(o.asOf ? { asOf: o.asOf as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  program
    .command('validate [segment]')
    .description(
      "a segment's validation card (distinct, measurable, accessible, substantial, actionable, stable), or every segment's verdicts",
    )
    .action(
      action(async (o, segment: string | undefined) =>
        (await import('./commands/validate.js')).runValidate(
          segment,
          { workspace: o.workspace },
          createOutput(o),
        ),
      ),
    );

  program
    .command('cluster')
    .description('k-means on standardised metrics, k chosen by silhouette, each cluster profiled in words')
    .option('--metrics <names>', 'comma-separated metrics to cluster on')
    .option('--k <n>', 'number of clusters (default: chosen by silhouette)')
    .option('--k-max <n>', 'largest k tried when choosing', '8')
    .option('--seed <n>', 'random seed (same seed, same clusters)', '42')
    .option(
      '--transform <how>',
      'each metric before standardising: auto (cap at P1/P99, log when skewed), none, log, cap',
      'auto',
    )
    .option('--as-of <time>', 'metrics as of this ISO time (default: the time of the latest run)')
    .option('--save <name>', 'save the clusters as models/<name>/ so segments can use <name>_cluster')
    .action(
      action(async (o) =>
        (await import('./commands/cluster.js')).runCluster(
          {
            workspace: o.workspace,
            ...(o.metrics ? { metrics: o.metrics as string } : {}),
            ...(o.k ? { k: o.k as string } : {}),
            ...(o.kMax ? { kMax: o.kMax as string } : {}),
            ...(o.seed ? { seed: o.seed as string } : {}),
            ...(o.transform ? { transform: o.transform as string } : {}),
            ...(o.asOf ? { asOf: o.asOf as string } : {}),
            ...(o.save ? { save: o.save as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  registerServeCommands(program);

  program
    .command('export <what>')
    .description(
      'write memberships, metrics, CRM tag files or A/B assignments of a run: memberships|metrics|crm|ab',
    )
    .option('--out <file>', 'file to write', path)
    .option('--format <format>', 'csv, json (one object a line) or parquet', 'csv')
    .option('--segment <id>', 'only the members of this segment')
    .option('--layout <crm>', 'crm files: hubspot or salesforce', 'hubspot')
    .option('--run <n>', 'run to export (default: the latest)')
    .option('--test <name>', 'ab: the A/B test')
    .action(
      action(async (o, what: string) =>
        (await import('./commands/export.js')).runExport(
          what,
          {
            workspace: o.workspace,
            format: o.format as string,
            layout: o.layout as string,
            ...(o.out ? { out: o.out as string } : {}),
            ...(o.segment ? { segment: o.segment as string } : {}),
            ...(o.run ? { run: o.run as string } : {}),
            ...(o.test ? { test: o.test as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );

  program
    .command('playbook [segment]')
    .description(
      "a segment's worklist (members with their next action), or with --matrix every playbook side by side",
    )
    .option('--matrix', 'the strategy matrix of every playbook')
    .option('--format <format>', 'matrix: table, md or csv', 'table')
    .option('--out <file>', 'matrix: write it to a file', path)
    .option('--limit <n>', 'accounts per page', '50')
    .option('--offset <n>', 'accounts to skip', '0')
    .option('--run <n>', 'run (default: the latest)')
    .action(
      action(async (o, segment: string | undefined) =>
        (await import('./commands/playbook.js')).runPlaybook(
          segment,
          {
            workspace: o.workspace,
            limit: o.limit as string,
            offset: o.offset as string,
            format: o.format as string,
            ...(o.matrix ? { matrix: true } : {}),
            ...(o.out ? { out: o.out as string } : {}),
            ...(o.run ? { run: o.run as string } : {}),
          },
          createOutput(o),
        ),
      ),
    );

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

  return program;
}
