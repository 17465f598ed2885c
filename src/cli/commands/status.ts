import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const statusSchema = (_: OptionKit) => ({});
export type StatusInput = CommandInput<ReturnType<typeof statusSchema>>;

export const status = defineCommand({
  name: 'status',
  description: "show the workspace's store: schema version, rows and date range per table",
  schema: statusSchema,
  run: async (input, output) => (await import('../actions/status.js')).runStatus(input, output),
});
