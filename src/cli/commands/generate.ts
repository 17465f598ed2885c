import type { Scale } from '../../demo/generate-world.js';
import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const SCALES = ['S', 'M', 'L'] as const satisfies readonly Scale[];

/** `--scale` (any case) and `--seed`, shared by `generate` and `demo`. */
export const worldSchema = (k: OptionKit) => ({
  scale: k.read(
    (text) => SCALES.find((scale) => scale === text.toUpperCase()),
    (text) => `--scale ${text}: expected one of ${SCALES.join(', ')}`,
  ),
  seed: k.number('--seed', { whole: true, min: 0 }),
});

const generateSchema = (k: OptionKit) => ({
  ...worldSchema(k),
  accounts: k.number('--accounts', { whole: true, min: 1 }).optional(),
  out: k.z.string(),
});
export type GenerateInput = CommandInput<ReturnType<typeof generateSchema>>;

export const generate = defineCommand({
  name: 'generate',
  description: 'write a seeded synthetic B2B SaaS world (Parquet files and ground truth)',
  options: [
    { flags: '--scale <scale>', description: 'S = 2k accounts, M = 100k, L = 1M', default: 'S' },
    {
      flags: '--accounts <n>',
      description: "number of accounts instead of the scale's (other sizes follow per account)",
    },
    {
      flags: '--seed <n>',
      description: 'random seed; the same seed gives byte-identical files',
      default: '42',
    },
    { flags: '--out <dir>', description: 'output folder', path: true, required: true },
  ],
  schema: generateSchema,
  run: async (input, output) => (await import('../actions/generate.js')).runGenerate(input, output),
});
