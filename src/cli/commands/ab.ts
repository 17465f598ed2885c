import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const experiments = async () => import('../actions/ab.js');

export const ab = { group: 'ab', description: 'A/B tests on segments' } as const;

const createSchema = (k: OptionKit) => ({
  test: k.z.string(),
  segment: k.z.string().optional(),
  ratio: k.number('--ratio'),
  salt: k.z.string().optional(),
  planned: k.number('--planned', { whole: true, min: 1 }).optional(),
  baseline: k.number('--baseline').optional(),
  mde: k.number('--mde').optional(),
});
export type AbCreateInput = CommandInput<ReturnType<typeof createSchema>>;

export const abCreate = defineCommand({
  name: 'ab create',
  description: "split a segment's members into control and treatment by a hash, and store the assignments",
  arguments: [{ name: '<test>' }],
  options: [
    { flags: '--segment <id>', description: 'the segment to test' },
    { flags: '--ratio <share>', description: 'share of the segment in treatment', default: '0.5' },
    { flags: '--salt <text>', description: 'salt of the hash (default: the test name)' },
    { flags: '--planned <n>', description: 'accounts per variant the test is planned for' },
    { flags: '--baseline <rate>', description: 'baseline conversion rate, to plan the size with --mde' },
    { flags: '--mde <change>', description: 'smallest absolute change worth detecting, to plan the size' },
  ],
  schema: createSchema,
  run: async (input, output) => (await experiments()).runAbCreate(input, output),
});

const testSchema = (k: OptionKit) => ({ test: k.z.string() });
export type AbTestInput = CommandInput<ReturnType<typeof testSchema>>;

export const abAssign = defineCommand({
  name: 'ab assign',
  description: 'assign the members the segment gained in the latest run (nobody changes variant)',
  arguments: [{ name: '<test>' }],
  schema: testSchema,
  run: async (input, output) => (await experiments()).runAbAssign(input, output),
});

const reportSchema = (k: OptionKit) => ({
  test: k.z.string(),
  event: k.z.string().optional(),
  within: k.window('--within').optional(),
  metric: k.z.string().optional(),
  asOf: k.time('--as-of').optional(),
});
export type AbReportInput = CommandInput<ReturnType<typeof reportSchema>>;

export const abReport = defineCommand({
  name: 'ab report',
  description: 'compare an outcome between the variants, with a confidence interval and p-value',
  arguments: [{ name: '<test>' }],
  options: [
    {
      flags: '--event <name>',
      description: 'outcome: share of accounts with this event after their assignment',
    },
    {
      flags: '--within <window>',
      description: 'count the event only this long after the assignment (e.g. 30d)',
    },
    { flags: '--metric <name>', description: "outcome: a metric's mean" },
    {
      flags: '--as-of <time>',
      description: 'report as of this ISO time (default: the time of the latest run)',
    },
  ],
  schema: reportSchema,
  run: async (input, output) => (await experiments()).runAbReport(input, output),
});

const exportSchema = (k: OptionKit) => ({ test: k.z.string(), out: k.z.string().optional() });
export type AbExportInput = CommandInput<ReturnType<typeof exportSchema>>;

export const abExport = defineCommand({
  name: 'ab export',
  description: "write a test's assignments to a CSV file (test, account_id, variant, assigned_at, run_id)",
  arguments: [{ name: '<test>' }],
  options: [{ flags: '--out <file>', description: 'the CSV file to write', path: true }],
  schema: exportSchema,
  run: async (input, output) => (await experiments()).runAbExport(input, output),
});

const sizeSchema = (k: OptionKit) => ({
  baseline: k.number('--baseline').optional(),
  mde: k.number('--mde').optional(),
  alpha: k.number('--alpha'),
  power: k.number('--power'),
});
export type AbSizeInput = CommandInput<ReturnType<typeof sizeSchema>>;

export const abSize = defineCommand({
  name: 'ab size',
  description: 'accounts needed per variant to detect a change in a conversion rate',
  options: [
    { flags: '--baseline <rate>', description: 'baseline conversion rate, e.g. 0.1' },
    { flags: '--mde <change>', description: 'smallest absolute change worth detecting, e.g. 0.02' },
    { flags: '--alpha <level>', description: 'significance level (two-sided)', default: '0.05' },
    { flags: '--power <power>', description: 'power', default: '0.8' },
  ],
  schema: sizeSchema,
  run: async (input, output) => (await import('../actions/ab-size.js')).runAbSize(input, output),
});
