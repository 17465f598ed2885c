import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrataError } from '../../errors.js';
import type { ImportRequest, ImportResult, RowError, Store } from '../../store/store.js';
import type { SourceConfig } from '../source-config.js';
import { readPostgres } from './read-postgres.js';

export interface PostgresImportOptions {
  readonly dryRun?: boolean;
  readonly onProgress?: (fraction: number) => void;
}

/**
 * Imports a Postgres source: its rows are read into a temporary CSV file (src/sources/postgres/
 * read-postgres.ts), which is imported like any file (same checks, derived columns, dry run
 * and report), with the largest cursor value recorded in the import log in the same
 * transaction as the rows. A dry run reads the same rows and records nothing. Results and
 * errors name `postgres:<table>` and the row (1 = the first row read), not the temporary file.
 */
export async function importPostgresSource(
  store: Store,
  name: string,
  source: SourceConfig,
  requestFor: (file: { path: string; format: 'csv' }) => Omit<ImportRequest, 'onProgress'>,
  options: PostgresImportOptions = {},
): Promise<ImportResult> {
  const config = source.postgres;
  if (!config) throw new Error(`source ${name} is not a Postgres source`);
  const dir = await mkdtemp(join(tmpdir(), 'strata-postgres-'));
  const file = join(dir, `${name}.csv`);
  try {
    // Built first: a bad preset or expression is reported before the database is asked.
    const request = requestFor({ path: file, format: 'csv' });
    const after = config.cursor ? await store.lastCursor(name) : null;
    // A map: entry may name a derived column instead of one of the table's.
    const mapped = Object.values(source.map ?? {}).filter(
      (column) => !Object.hasOwn(source.derive ?? {}, column),
    );
    const read = await readPostgres(name, config, file, { after, mapped });
    const result = await store
      .importFile({
        ...request,
        ...(options.dryRun ? { dryRun: true } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        origin: { source: name, label: read.label, cursor: read.cursor },
      })
      .catch(async (error: unknown) => {
        throw error instanceof StrataError ? await relabelError(error, file, read.label) : error;
      });
    return { ...result, file: read.label, errors: await relabelRows(result.errors, file, read.label) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An import's error with the temporary file replaced by the source's label, and lines by rows. */
async function relabelError(error: StrataError, file: string, label: string): Promise<StrataError> {
  const details = (error.details ?? undefined) as { errors?: RowError[] } | undefined;
  const errors = details?.errors ? await relabelRows(details.errors, file, label) : undefined;
  const { file: where, line, ...location } = error.location;
  const row = where === file && line !== undefined ? (await rowsOfLines(file, [line])).get(line) : undefined;
  return new StrataError(
    error.code,
    error.message.replaceAll(file, label),
    {
      ...location,
      ...(where !== undefined ? { file: where === file ? label : where } : {}),
      ...(row !== undefined ? { line: row } : {}),
    },
    details ? { ...details, ...(errors ? { errors } : {}) } : error.details,
  );
}

async function relabelRows(errors: readonly RowError[], file: string, label: string): Promise<RowError[]> {
  if (errors.length === 0) return [];
  const rows = await rowsOfLines(
    file,
    errors.filter((e) => e.file === file).map((e) => e.line),
  );
  return errors.map((e) => (e.file === file ? { ...e, file: label, line: rows.get(e.line) ?? e.line } : e));
}

/**
 * The row (1 = the first after the header) that starts at each of `lines` (1-based lines of
 * the CSV file): they differ once a value holds a line break. A scan that follows CSV quotes,
 * run only when there are invalid rows to name.
 */
async function rowsOfLines(file: string, lines: readonly number[]): Promise<Map<number, number>> {
  const wanted = new Set(lines);
  const rows = new Map<number, number>();
  if (wanted.size === 0) return rows;
  let line = 1;
  let row = 0;
  let quoted = false;
  let rowStart = true;
  for await (const chunk of createReadStream(file)) {
    for (const byte of chunk as Buffer) {
      if (rowStart) {
        if (wanted.has(line)) rows.set(line, row);
        rowStart = false;
      }
      if (byte === 0x22) quoted = !quoted;
      else if (byte === 0x0a) {
        line += 1;
        if (!quoted) {
          row += 1;
          rowStart = true;
        }
      }
    }
    if (rows.size === wanted.size) break;
  }
  return rows;
}
