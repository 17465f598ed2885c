import { z } from 'zod';
import { metricSchema, segmentSchema } from './language-schema.js';

/**
 * The schema of strata.yaml: the one source of the workspace's types. The keys are a
 * contract (DESIGN section 3); new keys may be added, none renamed. The metric and
 * condition forms live in language-schema.ts; playbooks are checked here only for the
 * segment they name (their fields belong to the activation stage).
 */
export const sourceSchema = z
  .object({
    file: z
      .string()
      .min(1)
      .describe('Path to a CSV, Parquet or NDJSON file (or glob), relative to the workspace'),
    format: z.enum(['csv', 'parquet', 'ndjson']).optional().describe('Defaults to the file extension'),
    map: z.record(z.string(), z.string()).optional().describe('table column -> file column'),
    skipInvalid: z.boolean().optional().describe('Import valid rows and report the rest instead of failing'),
  })
  .strict();

export const duckdbStoreSchema = z
  .object({
    engine: z.literal('duckdb'),
    path: z
      .string()
      .min(1)
      .default('.strata/strata.duckdb')
      .describe('Database file, relative to the workspace'),
    memoryLimit: z
      .string()
      .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'expected a size such as 2GB or 512MiB')
      .optional()
      .describe('Memory DuckDB may use before spilling to disk (default 2GB)'),
  })
  .strict();

export const clickhouseStoreSchema = z
  .object({
    engine: z.literal('clickhouse'),
    url: z.string().url(),
    database: z.string().min(1),
    cluster: z.string().min(1).optional(),
    /** One HTTP URL per shard, in shard order: Strata creates each shard's local tables there. */
    shards: z.array(z.string().url()).min(1).optional(),
  })
  .strict()
  .refine((store) => !store.cluster || store.shards, {
    message: 'a cluster needs shards: one HTTP URL per shard, in shard order',
    path: ['shards'],
  });

// A key left with only comments under it (`sources:`) is null in YAML: read it as empty.
const section = z.record(z.string(), z.unknown()).nullish();

export const workspaceSchema = z
  .object({
    store: z
      .discriminatedUnion('engine', [duckdbStoreSchema, clickhouseStoreSchema])
      .default({ engine: 'duckdb', path: '.strata/strata.duckdb' }),
    sources: z
      .record(z.string(), sourceSchema)
      .nullish()
      .transform((sources) => sources ?? {}),
    metrics: z
      .record(z.string(), metricSchema)
      .nullish()
      .transform((metrics) => metrics ?? {}),
    segments: z
      .record(z.string(), segmentSchema)
      .nullish()
      .transform((segments) => segments ?? {}),
    schemes: z
      .record(
        z.string(),
        z
          .object({
            order: z
              .array(z.string().min(1))
              .min(1)
              .describe('Primary assignment: the first matching segment wins'),
            fallback: z.string().min(1).default('unassigned').describe('Label of accounts matching none'),
            description: z.string().optional(),
          })
          .strict(),
      )
      .nullish()
      .transform((schemes) => schemes ?? {}),
    playbooks: section,
    settings: z
      .object({
        minSegmentSize: z.number().int().min(0).default(10).describe('Warn about segments smaller than this'),
        staleRuns: z
          .number()
          .int()
          .min(2)
          .default(5)
          .describe('Warn about segments unchanged over this many runs'),
      })
      .strict()
      .default({ minSegmentSize: 10, staleRuns: 5 }),
  })
  .strict();

export type WorkspaceFile = z.infer<typeof workspaceSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type StoreConfig = WorkspaceFile['store'];
