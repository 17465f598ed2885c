import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

/** `--as-of`, read in every analysis the same way. */
const asOf = (k: OptionKit) => k.time('--as-of').optional();
const analysis = async () => import('../actions/analyze.js');

export const analyze = { group: 'analyze', description: 'analyses of customers and segments' } as const;

const retentionSchema = (k: OptionKit) => ({
  survival: k.z.string().optional(),
  horizon: k.number('--horizon', { whole: true, min: 0 }).optional(),
  discount: k.number('--discount', { min: 0 }).optional(),
  value: k.number('--value', { min: 0 }).optional(),
});
export type RetentionInput = CommandInput<ReturnType<typeof retentionSchema>>;

export const analyzeRetention = defineCommand({
  name: 'analyze retention',
  description:
    'fit the shifted-beta-geometric model to a survival table and project retention and lifetime value',
  options: [
    {
      flags: '--survival <file>',
      description: "CSV with columns period,alive: a cohort's customers still active after each period",
      path: true,
    },
    { flags: '--horizon <periods>', description: 'project this many periods (default: twice the data)' },
    {
      flags: '--discount <rate>',
      description: 'discount rate per period for the lifetime value',
      default: '0.1',
    },
    {
      flags: '--value <amount>',
      description: 'value of one period of one customer (for the discounted LTV)',
    },
  ],
  schema: retentionSchema,
  run: async (input, output) =>
    (await import('../actions/analyze-retention.js')).runAnalyzeRetention(input, output),
});

const rfmSchema = (k: OptionKit) => ({
  asOf: asOf(k),
  accounts: k.read(
    (text) => (text === 'all' ? ('all' as const) : k.readNumber(text, { whole: true, min: 0 })),
    (text) => `--accounts ${text}: expected a whole number of accounts or 'all'`,
  ),
});
export type RfmInput = CommandInput<ReturnType<typeof rfmSchema>>;

export const analyzeRfm = defineCommand({
  name: 'analyze rfm',
  description: 'score accounts 1-5 on recency, frequency and monetary value and count them per named cell',
  options: [
    {
      flags: '--as-of <time>',
      description: 'score as of this ISO date or time (default: the time of the latest run)',
    },
    {
      flags: '--accounts <n|all>',
      description:
        "each account's scores in --json (account_id, r, f, m, cell, values), highest monetary first: this many, or all",
      default: '1000',
    },
  ],
  schema: rfmSchema,
  run: async (input, output) => (await analysis()).runAnalyzeRfm(input, output),
});

const cohortsSchema = (k: OptionKit) => ({
  by: k.choice('--by', ['month', 'quarter'], 'expected month or quarter'),
  date: k.z.string().optional(),
  asOf: asOf(k),
  comparePeriod: k.number('--compare-period', { whole: true, min: 0 }),
});
export type CohortsInput = CommandInput<ReturnType<typeof cohortsSchema>>;

export const analyzeCohorts = defineCommand({
  name: 'analyze cohorts',
  description: 'retention of signup cohorts (logo, revenue, activity), sBG projections, weak cohorts',
  options: [
    { flags: '--by <period>', description: 'month or quarter', default: 'month' },
    {
      flags: '--date <column>',
      description: 'the account timestamp that starts a cohort (default created_at)',
    },
    {
      flags: '--as-of <time>',
      description: 'only periods complete before this ISO time (default: the time of the latest run)',
    },
    {
      flags: '--compare-period <n>',
      description: 'period at which cohorts are compared for the weak-cohort test',
      default: '3',
    },
  ],
  schema: cohortsSchema,
  run: async (input, output) => (await analysis()).runAnalyzeCohorts(input, output),
});

const performanceSchema = (k: OptionKit) => ({
  segment: k.z.array(k.z.string()).optional(),
  metric: k.z.array(k.z.string()).optional(),
});
export type PerformanceInput = CommandInput<ReturnType<typeof performanceSchema>>;

export const analyzePerformance = defineCommand({
  name: 'analyze performance',
  description: 'members and the mean of each numeric metric of segments, run by run',
  options: [
    { flags: '--segment <id...>', description: 'only these segments' },
    { flags: '--metric <name...>', description: 'only these metrics' },
  ],
  schema: performanceSchema,
  run: async (input, output) => (await analysis()).runAnalyzePerformance(input, output),
});

const qualitySchema = (k: OptionKit) => ({ asOf: asOf(k) });
export type QualityInput = CommandInput<ReturnType<typeof qualitySchema>>;

export const analyzeQuality = defineCommand({
  name: 'analyze quality',
  description: 'coverage of account attributes overall and per segment, and freshness of each table',
  options: [
    { flags: '--as-of <time>', description: 'as of this ISO time (default: the time of the latest run)' },
  ],
  schema: qualitySchema,
  run: async (input, output) => (await analysis()).runAnalyzeQuality(input, output),
});

const funnelSchema = (k: OptionKit) => ({
  name: k.z.string().optional(),
  steps: k.list().optional(),
  within: k.window('--within').optional(),
  by: k.z.string().optional(),
  asOf: asOf(k),
});
export type FunnelInput = CommandInput<ReturnType<typeof funnelSchema>>;

export const analyzeFunnel = defineCommand({
  name: 'analyze funnel',
  description: 'ordered steps with a conversion window: accounts per step per group, and leaks',
  arguments: [{ name: '[name]' }],
  options: [
    {
      flags: '--steps <events>',
      description: 'comma-separated events in order (instead of, or overriding, a funnel of strata.yaml)',
    },
    { flags: '--within <window>', description: 'all steps within this long of the first (default 30d)' },
    {
      flags: '--by <group>',
      description:
        'scheme:<name> (primary segments of the latest run) or an account column (plan, industry, ...)',
    },
    { flags: '--as-of <time>', description: 'as of this ISO time (default: the time of the latest run)' },
  ],
  schema: funnelSchema,
  run: async (input, output) => (await analysis()).runAnalyzeFunnel(input, output),
});

const icpSchema = (k: OptionKit) => ({
  by: k.list(),
  valueEvent: k.z.string(),
  min: k.number('--min', { whole: true, min: 0 }),
  asOf: asOf(k),
});
export type IcpInput = CommandInput<ReturnType<typeof icpSchema>>;

export const analyzeIcp = defineCommand({
  name: 'analyze icp',
  description: 'which segments and trait values retain, expand, reach value and use the product best',
  options: [
    {
      flags: '--by <columns>',
      description: 'account columns to group by, comma-separated (their current values)',
      default: 'industry,region',
    },
    {
      flags: '--value-event <event>',
      description: "the event that marks an account's first value",
      default: 'subscription_paid',
    },
    {
      flags: '--min <n>',
      description: 'leave out groups with fewer accounts paying a year before',
      default: '30',
    },
    { flags: '--as-of <time>', description: 'as of this ISO time (default: the time of the latest run)' },
  ],
  schema: icpSchema,
  run: async (input, output) => (await analysis()).runAnalyzeIcp(input, output),
});
