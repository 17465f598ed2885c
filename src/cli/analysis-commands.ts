import type { Command } from 'commander';
import { action } from './action.js';
import { createOutput } from './output.js';

/**
 * The analysis commands: `analyze rfm|cohorts|funnel|icp|quality|performance|retention`,
 * `validate` and `cluster` (registered apart from program.ts, which keeps the workspace,
 * run and segment commands). Each command module is loaded only when run.
 */
export function registerAnalysisCommands(
  program: Command,
  /** A file path as given, resolved against the CLI's folder when the server runs it (program.ts). */
  path: (value: string) => string,
): void {
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
}
