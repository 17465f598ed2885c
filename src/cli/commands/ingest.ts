import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

export const ingest = { group: 'ingest', description: 'the ingestion log of strata serve' } as const;

const quarantineSchema = (k: OptionKit) => ({
  replay: k.z.boolean().optional(),
  repair: k.z.boolean().optional(),
  id: k.z.array(k.z.string()).optional(),
});
export type QuarantineInput = CommandInput<ReturnType<typeof quarantineSchema>>;

export const ingestQuarantine = defineCommand({
  name: 'ingest quarantine',
  description: 'logged records that could not be applied; --replay applies them again',
  options: [
    { flags: '--replay', description: 'apply them again (after a fix); those that still fail stay' },
    {
      flags: '--repair',
      description: 'with --replay: remove NULs and replace broken characters (lone surrogates) first',
    },
    { flags: '--id <id...>', description: 'only these records' },
  ],
  schema: quarantineSchema,
  run: async (input, output) => (await import('../actions/ingest.js')).runIngestQuarantine(input, output),
});
