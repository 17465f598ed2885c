import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import { csvCaseArb, renderCsv } from './csv-shapes.js';

/*
 * CSV files of hostile shapes imported into a real DuckDB store, in process (issue #18):
 * every outcome is an import, or a StrataError naming the file and a line (of the error, or
 * of each invalid row), and then nothing of the file is stored. A DuckDB or JavaScript
 * exception is what the CLI reports as an internal error with exit code 2.
 * STRATA_FUZZ_RUNS=5000 and STRATA_FUZZ_SEED=random explore further (test/fuzz/README.md).
 */
const RUNS = Number(process.env.STRATA_FUZZ_RUNS ?? 150);
const SEED =
  process.env.STRATA_FUZZ_SEED === 'random' ? Date.now() : Number(process.env.STRATA_FUZZ_SEED ?? 20261206);

const dir = tempDir('strata-fuzz-csv-');
let store: DuckDBStore;
let run = 0;

beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'strata.duckdb'));
});
afterAll(() => store.close());

/** Rows of this run in the store (its ids start with its prefix). */
async function stored(table: string, prefix: string): Promise<number> {
  const [row] = await store.query<{ n: number }>(
    testSql(
      `SELECT count(*) AS n FROM ${table} WHERE starts_with(account_id, ${store.dialect.literal(prefix)})`,
    ),
  );
  return row?.n ?? -1;
}

describe('CSV files of hostile shapes', () => {
  it('import, or fail naming the file and a line with nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(csvCaseArb, async (shape) => {
        const prefix = `r${run++}_`;
        const file = join(dir, `${prefix}${shape.table}.csv`);
        writeFileSync(file, renderCsv(shape, prefix));
        const shown = () => `--- case ${JSON.stringify(shape).slice(0, 2000)}`;
        let error: unknown;
        try {
          await store.importFile({ table: shape.table, file });
          return;
        } catch (thrown) {
          error = thrown;
        }
        if (!(error instanceof StrataError))
          throw new Error(`internal error: ${(error as Error).stack}\n${shown()}`);
        const rows =
          (error.details as { errors?: { file: string; line: number }[] } | undefined)?.errors ?? [];
        const lined =
          (error.location.file === file &&
            Number.isInteger(error.location.line) &&
            (error.location.line ?? 0) >= 1) ||
          (error.location.file === file &&
            rows.length > 0 &&
            rows.every((r) => r.file === file && r.line >= 1));
        if (!lined)
          throw new Error(
            `${error.code}: ${error.message.slice(0, 300)} at ${JSON.stringify(error.location)}\n${shown()}`,
          );
        const left = await stored(shape.table, prefix);
        if (left !== 0) throw new Error(`${left} rows stored by a refused file (${error.code})\n${shown()}`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
