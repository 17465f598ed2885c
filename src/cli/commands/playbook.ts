import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const playbookSchema = (k: OptionKit) => ({
  segment: k.z.string().optional(),
  account: k.z.string().min(1).optional(),
  matrix: k.z.boolean().optional(),
  format: k.choice('--format', ['table', 'md', 'csv'], 'expected md, csv or table'),
  out: k.z.string().optional(),
  limit: k.number('--limit', { whole: true, min: 1 }),
  offset: k.number('--offset', { whole: true, min: 0 }),
  run: k.number('--run', { whole: true, min: 1 }).optional(),
});
export type PlaybookInput = CommandInput<ReturnType<typeof playbookSchema>>;

export const playbook = defineCommand({
  name: 'playbook',
  description:
    "a segment's worklist (members with their next action, primary or secondary), an account's next actions with --account, or with --matrix every playbook side by side",
  arguments: [{ name: '[segment]' }],
  options: [
    { flags: '--matrix', description: 'the strategy matrix of every playbook' },
    {
      flags: '--account <id>',
      description: "an account's next actions: the primary one, then the secondary ones",
    },
    { flags: '--format <format>', description: 'matrix: table, md or csv', default: 'table' },
    { flags: '--out <file>', description: 'matrix: write it to a file', path: true },
    { flags: '--limit <n>', description: 'accounts per page', default: '50' },
    { flags: '--offset <n>', description: 'accounts to skip', default: '0' },
    { flags: '--run <n>', description: 'run (default: the latest)' },
  ],
  schema: playbookSchema,
  run: async (input, output) => (await import('../actions/playbook.js')).runPlaybook(input, output),
});
