import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

export const keys = { group: 'keys', description: 'API keys for `strata serve` (stored hashed)' } as const;

const createSchema = (k: OptionKit) => ({ scope: k.z.string(), name: k.z.string() });
export type KeysCreateInput = CommandInput<ReturnType<typeof createSchema>>;

export const keysCreate = defineCommand({
  name: 'keys create',
  description: 'create a key and print it, once',
  options: [
    {
      flags: '--scope <scope>',
      description: 'write (send events), read (read segments and profiles) or admin',
      required: true,
    },
    { flags: '--name <name>', description: 'what the key is for', default: '' },
  ],
  schema: createSchema,
  run: async (input, output) => (await import('../actions/keys.js')).runKeysCreate(input, output),
});

const listSchema = (_: OptionKit) => ({});
export type KeysListInput = CommandInput<ReturnType<typeof listSchema>>;

export const keysList = defineCommand({
  name: 'keys list',
  description: 'every key: id, scope, name, dates (never the key itself)',
  schema: listSchema,
  run: async (input, output) => (await import('../actions/keys.js')).runKeysList(input, output),
});

const revokeSchema = (k: OptionKit) => ({ id: k.z.string() });
export type KeysRevokeInput = CommandInput<ReturnType<typeof revokeSchema>>;

export const keysRevoke = defineCommand({
  name: 'keys revoke',
  description: 'stop a key from working',
  arguments: [{ name: '<id>' }],
  schema: revokeSchema,
  run: async (input, output) => (await import('../actions/keys.js')).runKeysRevoke(input, output),
});
