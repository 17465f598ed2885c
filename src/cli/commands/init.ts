import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const initSchema = (k: OptionKit) => ({
  template: k.read(
    (text) => (text === 'saas' ? text : undefined),
    (text) => `unknown template '${text}' (templates: saas)`,
  ),
  force: k.z.boolean().optional(),
});
export type InitInput = CommandInput<ReturnType<typeof initSchema>>;

export const init = defineCommand({
  name: 'init',
  description: 'create a workspace with a starter strata.yaml',
  options: [
    { flags: '--template <name>', description: 'starter workspace', default: 'saas' },
    { flags: '--force', description: 'overwrite an existing strata.yaml' },
  ],
  schema: initSchema,
  run: async (input, output) => (await import('../actions/init.js')).runInit(input, output),
});
