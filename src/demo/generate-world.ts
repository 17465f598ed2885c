/**
 * Entry point of the demo-world generator: simulates accounts in chunks, streams
 * their rows into one Parquet writer per table, and writes ground_truth.csv and
 * manifest.json beside them. Memory stays bounded by the chunk and part sizes.
 */
import { type FileHandle, mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { TABLE_NAMES, TABLES, type TableName } from '../model/tables.js';
import { ParquetWriterSession, type TableFileWriter } from '../store/duckdb/table-file-writer.js';
import { GROUND_TRUTH_HEADER } from './account-rows.js';
import { WORLD_END_MS, WORLD_START_MS } from './calendar.js';
import { simulateAccount } from './simulate-account.js';

export type Scale = 'S' | 'M' | 'L';

export interface GenerateOptions {
  scale: Scale;
  seed: number;
  outDir: string;
  /** Overrides the scale's account count (tests use a few hundred). */
  accounts?: number;
  onProgress?: (done: number, total: number, phase: string) => void;
}

export interface WorldSummary {
  scale: Scale;
  seed: number;
  outDir: string;
  /** Path of each table's file relative to outDir; events is a glob over its part files. */
  files: Record<TableName, string>;
  rows: Record<TableName, number>;
  groundTruthFile: string;
  startDate: string;
  endDate: string;
}

/** Accounts per scale; each lands near 100 events per account (S ~200k, M ~10M, L ~100M events). S is large enough for the demo to learn churn from (about 1,000 paying accounts per snapshot). */
export const SCALE_ACCOUNTS: Readonly<Record<Scale, number>> = { S: 2_000, M: 100_000, L: 1_000_000 };
/** Accounts simulated between two checkpoints of the writers. */
const CHUNK_ACCOUNTS = 10_000;
/** Rows per events part file, and per staged part of the other tables. */
const EVENT_PART_ROWS = 2_000_000;
const TABLE_PART_ROWS = 1_000_000;
const GROUND_TRUTH_FILE = 'ground_truth.csv';
const MANIFEST_FILE = 'manifest.json';

/** Generates a seeded demo world into `outDir` (Parquet per table, ground truth, manifest); the same options give byte-identical files. */
export async function generateWorld(o: GenerateOptions): Promise<WorldSummary> {
  const total = o.accounts ?? SCALE_ACCOUNTS[o.scale];
  if (!Number.isInteger(total) || total < 1)
    throw new Error(`accounts must be a positive integer, got ${total}`);
  if (!Number.isInteger(o.seed)) throw new Error(`seed must be an integer, got ${o.seed}`);
  const outDir = resolve(o.outDir);
  await mkdir(outDir, { recursive: true });
  // Parts of an earlier, bigger world would otherwise match the events glob.
  await rm(join(outDir, 'events'), { recursive: true, force: true });

  const session = await ParquetWriterSession.open({ stagingDir: join(outDir, '.staging') });
  let truth: FileHandle | null = null;
  try {
    const writers = await openWriters(session, outDir);
    truth = await open(join(outDir, GROUND_TRUTH_FILE), 'w');
    await truth.write(GROUND_TRUTH_HEADER);
    for (let start = 0; start < total; start += CHUNK_ACCOUNTS) {
      const stop = Math.min(total, start + CHUNK_ACCOUNTS);
      const lines: string[] = [];
      for (let i = start; i < stop; i++) lines.push(simulateAccount(o.seed, i, total, writers));
      await truth.write(lines.join(''));
      for (const name of TABLE_NAMES) await writers[name].checkpoint();
      o.onProgress?.(stop, total, 'accounts');
    }
    const files = {} as Record<TableName, string>;
    const rows = {} as Record<TableName, number>;
    for (const name of TABLE_NAMES) {
      o.onProgress?.(total, total, `writing ${name}`);
      const written = await writers[name].close();
      rows[name] = written.rows;
      files[name] = name === 'events' ? 'events/*.parquet' : relative(outDir, written.files[0] ?? '');
    }
    const summary: WorldSummary = {
      scale: o.scale,
      seed: o.seed,
      outDir,
      files,
      rows,
      groundTruthFile: GROUND_TRUTH_FILE,
      startDate: new Date(WORLD_START_MS).toISOString(),
      endDate: new Date(WORLD_END_MS).toISOString(),
    };
    await writeFile(join(outDir, MANIFEST_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    await truth?.close();
    await session.close();
  }
}

async function openWriters(
  session: ParquetWriterSession,
  outDir: string,
): Promise<Record<TableName, TableFileWriter>> {
  const writers = {} as Record<TableName, TableFileWriter>;
  for (const name of TABLE_NAMES) {
    const partitioned = name === 'events';
    const target = partitioned ? join(outDir, 'events') : join(outDir, `${name}.parquet`);
    const partRows = partitioned ? EVENT_PART_ROWS : TABLE_PART_ROWS;
    writers[name] = await session.writer(TABLES[name], target, { partitioned, partRows });
  }
  return writers;
}
