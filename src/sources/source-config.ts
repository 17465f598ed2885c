import { z } from 'zod';
import { TABLE_NAMES } from '../model/tables.js';

/**
 * A source of strata.yaml (`sources.<name>`): where rows come from (a file or a Postgres
 * table), which table they go to, and how their columns become the table's (`preset:`,
 * `map:`, `derive:`). The key is the table's name, or any name with `table:` or `preset:`
 * saying the table, so one table can have several sources (HubSpot companies and Stripe
 * customers both give accounts).
 */

/** A constant or an expression (src/sources/derive): strings are expressions, `{ value }` a text constant. */
const deriveEntrySchema = z.union([
  z.string().min(1),
  z.number().finite(),
  z.boolean(),
  z.object({ value: z.union([z.string(), z.number().finite(), z.boolean(), z.null()]) }).strict(),
]);

export const postgresSourceSchema = z
  .object({
    url: z
      .string()
      .regex(
        /^env:[A-Za-z_][A-Za-z0-9_]*$/,
        'expected env:NAME, the environment variable holding the connection URL',
      )
      .describe(
        'env:NAME: the environment variable holding the postgres:// URL (never the URL itself: it holds a password)',
      ),
    table: z.string().min(1).optional().describe('A table or view, optionally schema.table'),
    query: z.string().min(1).optional().describe('A SELECT, instead of table'),
    cursor: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A column that grows with every change (updated_at): later imports read only rows at or after the last one seen',
      ),
  })
  .strict()
  .refine((pg) => (pg.table === undefined) !== (pg.query === undefined), {
    message: 'give table or query (one of them)',
  });

export const sourceSchema = z
  .object({
    table: z
      .enum(TABLE_NAMES)
      .optional()
      .describe("The table the rows go to (default: the source name, or the preset's)"),
    preset: z
      .string()
      .min(1)
      .optional()
      .describe('A vendor export this source is (stripe/subscriptions, hubspot/companies, ...)'),
    file: z
      .string()
      .min(1)
      .optional()
      .describe('Path to a CSV, Parquet, NDJSON or JSON file (or glob), relative to the workspace'),
    postgres: postgresSourceSchema
      .optional()
      .describe('Read from a live PostgreSQL table or query instead of a file'),
    format: z
      .enum(['csv', 'parquet', 'ndjson', 'json'])
      .optional()
      .describe('Defaults to the file extension'),
    records: z
      .string()
      .regex(
        /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
        'expected a key such as data or results.items',
      )
      .optional()
      .describe(
        'For a JSON document: the key holding its list of records (default: data, or the document if it is a list)',
      ),
    map: z.record(z.string(), z.string()).optional().describe('table column -> file column'),
    derive: z
      .record(z.string(), deriveEntrySchema)
      .optional()
      .describe("column -> expression computed from the file's columns (or a constant)"),
    skipInvalid: z.boolean().optional().describe('Import valid rows and report the rest instead of failing'),
  })
  .strict()
  .refine((source) => (source.file === undefined) !== (source.postgres === undefined), {
    message: 'give file or postgres (one of them)',
  });

export type SourceConfig = z.infer<typeof sourceSchema>;
