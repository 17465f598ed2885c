import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

export const identity = { group: 'identity', description: 'how users are matched to accounts' } as const;

const reportSchema = (_: OptionKit) => ({});
export type IdentityReportInput = CommandInput<ReturnType<typeof reportSchema>>;

export const identityReportCommand = defineCommand({
  name: 'identity report',
  description:
    'users linked by each identity rule, those the domain rule leaves out and why, accounts with several domains, users in several accounts',
  schema: reportSchema,
  run: async (input, output) => (await import('../actions/identity.js')).runIdentityReport(input, output),
});
