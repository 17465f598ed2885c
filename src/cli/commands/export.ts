import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

// What, --format and --layout are checked by the action against the exporter's own lists.
const exportSchema = (k: OptionKit) => ({
  what: k.z.string(),
  out: k.z.string().optional(),
  format: k.z.string(),
  segment: k.z.string().optional(),
  layout: k.z.string(),
  run: k.number('--run', { whole: true, min: 1 }).optional(),
  test: k.z.string().optional(),
});
export type ExportInput = CommandInput<ReturnType<typeof exportSchema>>;

export const exportCommand = defineCommand({
  name: 'export',
  description:
    'write memberships, metrics, CRM tag files or A/B assignments of a run: memberships|metrics|crm|ab',
  arguments: [{ name: '<what>' }],
  options: [
    { flags: '--out <file>', description: 'file to write', path: true },
    {
      flags: '--format <format>',
      description: 'csv, json (one array of objects), ndjson (one object a line) or parquet',
      default: 'csv',
    },
    { flags: '--segment <id>', description: 'only the members of this segment' },
    { flags: '--layout <crm>', description: 'crm files: hubspot or salesforce', default: 'hubspot' },
    { flags: '--run <n>', description: 'run to export (default: the latest)' },
    { flags: '--test <name>', description: 'ab: the A/B test' },
  ],
  schema: exportSchema,
  run: async (input, output) => (await import('../actions/export.js')).runExport(input, output),
});
