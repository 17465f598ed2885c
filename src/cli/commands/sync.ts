import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const syncing = async () => import('../actions/sync.js');

export const sync = {
  group: 'sync',
  description:
    "keep a CRM's companies, accounts or contacts current with the segments (strata.yaml destinations:)",
} as const;

const planSchema = (k: OptionKit) => ({
  destination: k.z.string(),
  limit: k.number('--limit', { whole: true, min: 0 }),
});
export type SyncPlanInput = CommandInput<ReturnType<typeof planSchema>>;

export const syncPlan = defineCommand({
  name: 'sync plan',
  description:
    'the writes the next sync would make (record, property, old value, new value) and their counts; writes nothing and calls no CRM',
  arguments: [{ name: '<destination>' }],
  options: [{ flags: '--limit <n>', description: 'records whose writes are listed', default: '20' }],
  schema: planSchema,
  run: async (input, output) => (await syncing()).runSyncPlan(input, output),
});

const runSchema = (k: OptionKit) => ({ destination: k.z.string() });
export type SyncRunInput = CommandInput<ReturnType<typeof runSchema>>;

export const syncRun = defineCommand({
  name: 'sync run',
  description:
    'write the records whose values changed since the last sync (the latest run against what was last written), creating missing HubSpot properties',
  arguments: [{ name: '<destination>' }],
  schema: runSchema,
  run: async (input, output) => (await syncing()).runSyncRun(input, output),
});

const failuresSchema = (k: OptionKit) => ({
  destination: k.z.string(),
  dead: k.z.boolean().optional(),
  limit: k.number('--limit', { whole: true, min: 0 }),
});
export type SyncFailuresInput = CommandInput<ReturnType<typeof failuresSchema>>;

export const syncFailures = defineCommand({
  name: 'sync failures',
  description:
    'records the CRM refused, with its reason: retried by each sync, dead-lettered after maxAttempts',
  arguments: [{ name: '<destination>' }],
  options: [
    { flags: '--dead', description: 'only dead-lettered records' },
    { flags: '--limit <n>', description: 'at most this many', default: '100' },
  ],
  schema: failuresSchema,
  run: async (input, output) => (await syncing()).runSyncFailures(input, output),
});

const replaySchema = (k: OptionKit) => ({
  destination: k.z.string(),
  record: k.z.array(k.z.string()).optional(),
});
export type SyncReplayInput = CommandInput<ReturnType<typeof replaySchema>>;

export const syncReplay = defineCommand({
  name: 'sync replay',
  description: 'make dead-lettered records due again: the next sync writes them',
  arguments: [{ name: '<destination>' }],
  options: [{ flags: '--record <id...>', description: 'only these records (account or user ids)' }],
  schema: replaySchema,
  run: async (input, output) => (await syncing()).runSyncReplay(input, output),
});

const statusSchema = (k: OptionKit) => ({
  destination: k.z.string().optional(),
  limit: k.number('--limit', { whole: true, min: 0 }),
});
export type SyncStatusInput = CommandInput<ReturnType<typeof statusSchema>>;

export const syncStatus = defineCommand({
  name: 'sync status',
  description: 'the latest syncs, newest first: when, which run, records written and failed',
  arguments: [{ name: '[destination]' }],
  options: [{ flags: '--limit <n>', description: 'at most this many', default: '20' }],
  schema: statusSchema,
  run: async (input, output) => (await syncing()).runSyncStatus(input, output),
});
