import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';
import { worldSchema } from './generate.js';

/** The folder `strata demo` makes: its own unless -w names one. */
export function demoWorkspace(workspace: string): string {
  return workspace === '.' ? 'strata-demo' : workspace;
}

const demoSchema = (k: OptionKit) => worldSchema(k);
export type DemoInput = CommandInput<ReturnType<typeof demoSchema>>;

export const demo = defineCommand({
  name: 'demo',
  description: 'generate a demo world, create a workspace for it, and import it',
  options: [
    { flags: '--scale <scale>', description: 'S = 2k accounts, M = 100k, L = 1M', default: 'S' },
    { flags: '--seed <n>', description: 'random seed', default: '42' },
  ],
  schema: demoSchema,
  run: async (input, output) =>
    (await import('../actions/demo.js')).runDemo(
      { ...input, workspace: demoWorkspace(input.workspace) },
      output,
    ),
});
