import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const changesSchema = (k: OptionKit) => ({
  id: k.z.string(),
  since: k.since('--since').optional(),
  limit: k.number('--limit', { whole: true, min: 1 }),
  offset: k.number('--offset', { whole: true, min: 0 }),
});
export type SegmentChangesInput = CommandInput<ReturnType<typeof changesSchema>>;

export const segmentChanges = defineCommand({
  name: 'segments changes',
  description: 'who entered and left a segment, in which run and definition version, and why',
  arguments: [{ name: '<id>', description: 'segment id' }],
  options: [
    {
      flags: '--since <time>',
      description:
        "only runs as of this ISO date or time or later, or a window: the runs of that many days up to the latest run's time (30d)",
    },
    { flags: '--limit <n>', description: 'page size', default: '100' },
    { flags: '--offset <n>', description: 'first row', default: '0' },
  ],
  schema: changesSchema,
  run: async (input, output) => (await import('../actions/timeline.js')).runSegmentChanges(input, output),
});

const historySchema = (k: OptionKit) => ({ account: k.z.string() });
export type HistoryInput = CommandInput<ReturnType<typeof historySchema>>;

export const history = defineCommand({
  name: 'history',
  description:
    "an account's segments run by run, each entry and exit with its run, definition version and why",
  arguments: [{ name: '<account>', description: 'account id' }],
  schema: historySchema,
  run: async (input, output) => (await import('../actions/timeline.js')).runHistory(input, output),
});

const definitionSchema = (k: OptionKit) => ({ run: k.number('--run', { whole: true, min: 1 }).optional() });
export type DefinitionInput = CommandInput<ReturnType<typeof definitionSchema>>;

export const definition = defineCommand({
  name: 'definition',
  description: 'the strata.yaml a run applied (default the latest run), as the audit trail keeps it',
  options: [{ flags: '--run <id>', description: 'this run' }],
  schema: definitionSchema,
  run: async (input, output) => (await import('../actions/timeline.js')).runDefinition(input, output),
});
