import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { streamFor } from './cli-streams.js';
import { ab, abAssign, abCreate, abExport, abReport, abSize } from './commands/ab.js';
import { accounts, accountsMerge, accountsMerges, accountsUnmerge } from './commands/accounts.js';
import {
  analyze,
  analyzeCohorts,
  analyzeFunnel,
  analyzeIcp,
  analyzePerformance,
  analyzeQuality,
  analyzeRetention,
  analyzeRfm,
} from './commands/analyze.js';
import { cluster } from './commands/cluster.js';
import { demo } from './commands/demo.js';
import { explain } from './commands/explain.js';
import { exportCommand } from './commands/export.js';
import { generate } from './commands/generate.js';
import { identity, identityReportCommand } from './commands/identity.js';
import { importCommand } from './commands/import.js';
import { ingest, ingestQuarantine } from './commands/ingest.js';
import { init } from './commands/init.js';
import { keys, keysCreate, keysList, keysRevoke } from './commands/keys.js';
import { playbook } from './commands/playbook.js';
import { predict, predictExplain, predictReport, predictScore, predictTrain } from './commands/predict.js';
import { plan, run } from './commands/run.js';
import {
  segments,
  segmentsList,
  segmentsMembers,
  segmentsOverlap,
  segmentsShow,
  transitions,
} from './commands/segments.js';
import { serve } from './commands/serve.js';
import { status } from './commands/status.js';
import { sync, syncFailures, syncPlan, syncReplay, syncRun, syncStatus } from './commands/sync.js';
import { definition, history, segmentChanges } from './commands/timeline.js';
import { validate } from './commands/validate.js';
import { webhookDeliveries, webhookReplay, webhooks } from './commands/webhooks.js';
import { addCommand, type CommandDeclaration, type GroupDeclaration } from './registry.js';

/** Every command, in the order of `strata --help` (a group before its commands). */
export const COMMANDS: readonly (CommandDeclaration | GroupDeclaration)[] = [
  init,
  generate,
  importCommand,
  demo,
  status,
  identity,
  identityReportCommand,
  accounts,
  accountsMerge,
  accountsUnmerge,
  accountsMerges,
  run,
  plan,
  segments,
  segmentsList,
  segmentsShow,
  segmentsMembers,
  segmentChanges,
  segmentsOverlap,
  history,
  definition,
  explain,
  transitions,
  analyze,
  analyzeRetention,
  analyzeRfm,
  analyzeCohorts,
  analyzePerformance,
  analyzeQuality,
  analyzeFunnel,
  analyzeIcp,
  validate,
  cluster,
  serve,
  webhooks,
  webhookDeliveries,
  webhookReplay,
  sync,
  syncPlan,
  syncRun,
  syncStatus,
  syncFailures,
  syncReplay,
  ingest,
  ingestQuarantine,
  keys,
  keysCreate,
  keysList,
  keysRevoke,
  exportCommand,
  playbook,
  predict,
  predictTrain,
  predictReport,
  predictScore,
  predictExplain,
  ab,
  abCreate,
  abAssign,
  abReport,
  abExport,
  abSize,
];

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

/** The `strata` command with every subcommand; a new one for each parse. */
export function createProgram(settings: ProgramSettings = {}): Command {
  const path = (value: string) => (settings.cwd === undefined ? value : resolve(settings.cwd, value));
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
  for (const declaration of COMMANDS) addCommand(program, declaration, path);
  return program;
}
