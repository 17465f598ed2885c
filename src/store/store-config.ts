import { isAbsolute, join } from 'node:path';
import { z } from 'zod';

/**
 * The `store:` section of strata.yaml (part of src/workspace's schema): what a store is opened
 * with, kept beside the code that opens it, so this folder needs nothing from src/workspace.
 */

/** The smallest `memoryLimit` accepted (64MB). */
export const MIN_MEMORY_LIMIT_BYTES = 64_000_000;

/** Bytes in a DuckDB size such as `2GB` (powers of 1000) or `512MiB` (powers of 1024). */
function sizeInBytes(size: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT])(i?)B$/i.exec(size);
  if (!match) return Number.NaN;
  const power = 'KMGT'.indexOf((match[2] ?? 'K').toUpperCase()) + 1;
  return Number(match[1]) * (match[3] ? 1024 : 1000) ** power;
}

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
      // With 1MB DuckDB cannot open the file, with 32MB a run of the 1k-account demo world
      // fails now and then ("failed to pin block"); 64MB runs it.
      .refine((size) => sizeInBytes(size) >= MIN_MEMORY_LIMIT_BYTES, 'expected at least 64MB')
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

export const storeSchema = z
  .discriminatedUnion('engine', [duckdbStoreSchema, clickhouseStoreSchema])
  .default({ engine: 'duckdb', path: '.strata/strata.duckdb' });

export type StoreConfig = z.infer<typeof storeSchema>;

/** A path written in strata.yaml (a store file, a source file or glob) against the workspace folder `dir`. */
export function pathInWorkspace(dir: string, path: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}
