import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const merging = async () => import('../actions/accounts.js');

export const accounts = {
  group: 'accounts',
  description: 'merge accounts found to be one, and undo it',
} as const;

const mergeSchema = (k: OptionKit) => ({
  survivor: k.z.string().optional(),
  merged: k.z.string().optional(),
  reason: k.z.string().optional(),
  by: k.z.string().optional(),
  same: k.z.string().optional(),
  dryRun: k.z.boolean().optional(),
});
export type AccountsMergeInput = CommandInput<ReturnType<typeof mergeSchema>>;

export const accountsMerge = defineCommand({
  name: 'accounts merge',
  description:
    'merge account MERGED into SURVIVOR (its events, users, tickets and history count for SURVIVOR; undo with accounts unmerge), or every group of accounts with the same domain or CRM id',
  arguments: [{ name: '[survivor]' }, { name: '[merged]' }],
  options: [
    { flags: '--reason <text>', description: 'why they are one account (kept with the merge)' },
    { flags: '--by <name>', description: 'who merges (default: the system user name)' },
    {
      flags: '--same <field>',
      description:
        'merge each group of accounts with the same value of a column or trait (domain, hubspot_company_id) into its oldest account',
    },
    { flags: '--dry-run', description: 'with --same: list the merges without making them' },
  ],
  schema: mergeSchema,
  run: async (input, output) => (await merging()).runAccountsMerge(input, output),
});

const unmergeSchema = (k: OptionKit) => ({
  merged: k.z.string(),
  reason: k.z.string().optional(),
  by: k.z.string().optional(),
});
export type AccountsUnmergeInput = CommandInput<ReturnType<typeof unmergeSchema>>;

export const accountsUnmerge = defineCommand({
  name: 'accounts unmerge',
  description: 'undo the merge of an account (or a merge id): both accounts are evaluated as before',
  arguments: [{ name: '<merged>' }],
  options: [
    { flags: '--reason <text>', description: 'why the merge is undone' },
    { flags: '--by <name>', description: 'who undoes it (default: the system user name)' },
  ],
  schema: unmergeSchema,
  run: async (input, output) => (await merging()).runAccountsUnmerge(input, output),
});

const listSchema = (_: OptionKit) => ({});
export type AccountsMergesInput = CommandInput<ReturnType<typeof listSchema>>;

export const accountsMerges = defineCommand({
  name: 'accounts merges',
  description: 'every merge, who made it, when and why, and whether it was undone',
  schema: listSchema,
  run: async (input, output) => (await merging()).runAccountsMerges(input, output),
});
