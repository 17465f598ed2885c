import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

/** Repeated `--map target=source` as entries: `map['__proto__'] = x` would set a prototype, not a key. */
const mapSchema = (k: OptionKit) =>
  k.z
    .array(k.z.string())
    .default([])
    .transform((pairs, context) =>
      Object.fromEntries(
        pairs.map((pair) => {
          const [target, ...rest] = pair.split('=');
          const source = rest.join('=');
          if (!target || !source)
            context.addIssue({
              code: 'custom',
              message: `--map ${pair}: expected target=source, e.g. --map employees=employee_count`,
              input: pair,
            });
          return [target ?? '', source];
        }),
      ),
    );

const importSchema = (k: OptionKit) => ({
  table: k.z.string().optional(),
  file: k.z.string().optional(),
  map: mapSchema(k),
  format: k.z.enum(['csv', 'parquet', 'ndjson', 'json']).optional(),
  skipInvalid: k.z.boolean().optional(),
  dryRun: k.z.boolean().optional(),
  source: k.z.array(k.z.string()).default([]),
});
export type ImportInput = CommandInput<ReturnType<typeof importSchema>>;

export const importCommand = defineCommand({
  name: 'import',
  description: 'import a file into a table, or every source of strata.yaml when no file is given',
  arguments: [
    {
      name: '[table]',
      description: 'accounts, users, events, subscriptions, tickets, surveys or trait_history',
    },
    { name: '[file]', description: 'CSV, Parquet, NDJSON or JSON file (or glob)', path: true },
  ],
  options: [
    {
      flags: '--map <target=source>',
      description: 'take a table column from a differently named file column (repeatable)',
      repeatable: true,
    },
    {
      flags: '--format <format>',
      description: 'file format (default: from the extension)',
      choices: ['csv', 'parquet', 'ndjson', 'json'],
    },
    {
      flags: '--skip-invalid',
      description: 'import the valid rows and report the invalid ones instead of failing',
    },
    {
      flags: '--dry-run',
      description: 'show per source the rows an import would insert, update and skip, writing nothing',
    },
    {
      flags: '--source <name>',
      description: 'import only this source of strata.yaml (repeatable)',
      repeatable: true,
    },
  ],
  schema: importSchema,
  run: async (input, output) => (await import('../actions/import.js')).runImport(input, output),
});
