import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

/** `--run N` (and --from, --to): a run's number. */
const runNumber = (k: OptionKit, name = '--run') => k.number(name, { whole: true, min: 1 }).optional();

export const segments = { group: 'segments', description: 'segments and their members' } as const;

const listSchema = (k: OptionKit) => ({ run: runNumber(k) });
export type SegmentsListInput = CommandInput<ReturnType<typeof listSchema>>;

export const segmentsList = defineCommand({
  name: 'segments list',
  description: 'every segment with its size in the latest run',
  options: [{ flags: '--run <id>', description: 'sizes from this run' }],
  schema: listSchema,
  run: async (input, output) => (await import('../actions/segments.js')).runSegmentsList(input, output),
});

const showSchema = (k: OptionKit) => ({ id: k.z.string() });
export type SegmentsShowInput = CommandInput<ReturnType<typeof showSchema>>;

export const segmentsShow = defineCommand({
  name: 'segments show',
  description: 'a segment: definition as written, size history, overlaps, playbook',
  arguments: [{ name: '<id>', description: 'segment id' }],
  schema: showSchema,
  run: async (input, output) => (await import('../actions/segments.js')).runSegmentsShow(input, output),
});

const membersSchema = (k: OptionKit) => ({
  id: k.z.string(),
  limit: k.number('--limit', { whole: true, min: 0 }),
  offset: k.number('--offset', { whole: true, min: 0 }),
  sort: k.z.string().optional(),
  search: k.z.string().optional(),
  run: runNumber(k),
});
export type SegmentsMembersInput = CommandInput<ReturnType<typeof membersSchema>>;

export const segmentsMembers = defineCommand({
  name: 'segments members',
  description: "a page of a segment's members with their metric values",
  arguments: [{ name: '<id>', description: 'segment id' }],
  options: [
    { flags: '--limit <n>', description: 'page size', default: '50' },
    { flags: '--offset <n>', description: 'first row', default: '0' },
    { flags: '--sort <metric>', description: 'order by this metric, highest first' },
    { flags: '--search <text>', description: 'only accounts whose id or name contains this' },
    { flags: '--run <id>', description: 'members in this run (default: the latest)' },
  ],
  schema: membersSchema,
  run: async (input, output) => (await import('../actions/segments.js')).runSegmentsMembers(input, output),
});

const overlapSchema = (k: OptionKit) => ({ run: runNumber(k) });
export type SegmentsOverlapInput = CommandInput<ReturnType<typeof overlapSchema>>;

export const segmentsOverlap = defineCommand({
  name: 'segments overlap',
  description: 'pairs of segments sharing accounts: counts and Jaccard similarity',
  options: [{ flags: '--run <id>', description: 'in this run (default: the latest)' }],
  schema: overlapSchema,
  run: async (input, output) => (await import('../actions/segments.js')).runSegmentsOverlap(input, output),
});

const transitionsSchema = (k: OptionKit) => ({ from: runNumber(k, '--from'), to: runNumber(k, '--to') });
export type TransitionsInput = CommandInput<ReturnType<typeof transitionsSchema>>;

export const transitions = defineCommand({
  name: 'transitions',
  description: 'entered / exited per segment and flows between primary segments of two runs',
  options: [
    { flags: '--from <run>', description: 'earlier run (default: the one before --to)' },
    { flags: '--to <run>', description: 'later run (default: the latest)' },
  ],
  schema: transitionsSchema,
  run: async (input, output) => (await import('../actions/segments.js')).runTransitions(input, output),
});
