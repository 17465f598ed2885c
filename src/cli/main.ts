import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { createOutput, reportError } from './output.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

interface GlobalOptions {
  workspace: string;
  json?: boolean;
  debug?: boolean;
}

// Commands are loaded when run, so `strata --help` does not load DuckDB.
const program = new Command('strata')
  .description('Customer segmentation for B2B SaaS: segments as code on DuckDB.')
  .version(version)
  .option('-w, --workspace <dir>', 'workspace folder (holds strata.yaml)', '.')
  .option('--json', 'print the result as JSON')
  .option('--debug', 'print stack traces with errors')
  .showHelpAfterError();

/** Wraps a command's action: global options in, errors out as messages and exit codes. */
function action<Args extends unknown[]>(
  run: (options: GlobalOptions & Record<string, unknown>, ...args: Args) => Promise<unknown> | unknown,
) {
  return async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const options = command.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
    const output = createOutput(options);
    try {
      await run(options, ...(received.slice(0, -2) as Args));
    } catch (error) {
      process.exitCode = reportError(error, output);
    }
  };
}

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
  .addOption(new Option('--scale <scale>', 'S = 1k accounts, M = 100k, L = 1M').default('S'))
  .option('--seed <n>', 'random seed; the same seed gives byte-identical files', '42')
  .requiredOption('--out <dir>', 'output folder')
  .action(
    action(async (o) =>
      (await import('./commands/generate.js')).runGenerate(
        { scale: o.scale as string, seed: o.seed as string, out: o.out as string },
        createOutput(o),
      ),
    ),
  );

const collect = (value: string, previous: string[] = []) => [...previous, value];
program
  .command('import')
  .description('import a file into a table, or every source of strata.yaml when no file is given')
  .argument('[table]', 'accounts, users, events, subscriptions, tickets, surveys or trait_history')
  .argument('[file]', 'CSV, Parquet or NDJSON file (or glob)')
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
  .option('--scale <scale>', 'S = 1k accounts, M = 100k, L = 1M', 'S')
  .option('--seed <n>', 'random seed', '42')
  .action(
    action(async (o) => {
      // The demo gets its own folder unless -w names one.
      const workspace = o.workspace === '.' ? 'strata-demo' : o.workspace;
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

await program.parseAsync(process.argv);
