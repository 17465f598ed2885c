import { z } from 'zod';
import { metricSchema, segmentSchema } from './language-schema.js';

/**
 * The schema of strata.yaml: the one source of the workspace's types. The keys are a
 * contract (DESIGN section 3); new keys may be added, none renamed. Metrics, segments,
 * schemes and playbooks are validated by the segment engine, which owns their language.
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
  })
  .strict();

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
    schemes: section,
    playbooks: section,
  })
  .strict();

export type WorkspaceFile = z.infer<typeof workspaceSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type StoreConfig = WorkspaceFile['store'];
