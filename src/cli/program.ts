import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { action } from './action.js';
import { registerAnalysisCommands } from './analysis-commands.js';
import { streamFor } from './cli-streams.js';
import { registerModelCommands } from './model-commands.js';
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

  registerAnalysisCommands(program, path);

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

  registerModelCommands(program, path);

  return program;
}
