import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const explainSchema = (k: OptionKit) => ({
  account: k.z.string(),
  segment: k.z.string().optional(),
  run: k.number('--run', { whole: true, min: 1 }).optional(),
});
export type ExplainInput = CommandInput<ReturnType<typeof explainSchema>>;

export const explain = defineCommand({
  name: 'explain',
  description: 'why an account is in or out of each segment (or one), and its primary segment per scheme',
  arguments: [
    { name: '<account>', description: 'account id' },
    { name: '[segment]', description: 'only this segment' },
  ],
  options: [
    {
      flags: '--run <id>',
      description:
        "at this run's time, by the definition version it applied (default: the latest run, strata.yaml now)",
    },
  ],
  schema: explainSchema,
  run: async (input, output) => (await import('../actions/explain.js')).runExplain(input, output),
});
