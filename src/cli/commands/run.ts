import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const HORIZON_EXPECTED = 'expected a window such as 90d, 12w, 3m';

const runSchema = (k: OptionKit) => ({
  asOf: k.time('--as-of').optional(),
  dryRun: k.z.boolean().optional(),
  horizon: k.window('--horizon', HORIZON_EXPECTED),
});
export type RunInput = CommandInput<ReturnType<typeof runSchema>>;

export const run = defineCommand({
  name: 'run',
  description:
    'evaluate the workspace and write a membership snapshot with transitions against the previous one',
  options: [
    {
      flags: '--as-of <time>',
      description:
        'evaluate as of this ISO date or time (default: the workspace clock, never before the latest run)',
    },
    {
      flags: '--dry-run',
      description: 'write nothing: show each segment then and how its members went on to behave',
    },
    {
      flags: '--horizon <window>',
      description: 'with --dry-run: how far after --as-of outcomes are read',
      default: '90d',
    },
  ],
  schema: runSchema,
  run: async (input, output) => (await import('../actions/run.js')).runRun(input, output),
});

const planSchema = (k: OptionKit) => ({
  asOf: k.time('--as-of').optional(),
  horizon: k.window('--horizon', HORIZON_EXPECTED),
});
export type PlanInput = CommandInput<ReturnType<typeof planSchema>>;

export const plan = defineCommand({
  name: 'plan',
  description: 'show what the edited workspace would change against the last snapshot, writing nothing',
  options: [
    {
      flags: '--as-of <time>',
      description: 'evaluate as of this time (default: the time strata run would use); adds a backtest',
    },
    {
      flags: '--horizon <window>',
      description: "with --as-of: how far after it the members' churn and expansion are read",
      default: '90d',
    },
  ],
  schema: planSchema,
  run: async (input, output) => (await import('../actions/run.js')).runPlan(input, output),
});
