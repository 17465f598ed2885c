import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileLayers } from '../../src/compile/compile-workspace.js';
import { clickhouseDialect } from '../../src/dialect/clickhouse/clickhouse-dialect.js';
import { duckdbDialect } from '../../src/dialect/duckdb/duckdb-dialect.js';
import { StrataError } from '../../src/errors.js';
import { storedRows } from '../../src/identity/account-rows.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import { BASE_YAML, editsArb, mutate } from './yaml-mutations.js';

/*
 * Mutated strata.yaml files through the loader and the compiler, in process (issue #18):
 * every outcome is a workspace that compiles to SQL on both engines, or a StrataError that
 * names strata.yaml and a line. Anything else (a TypeError, a RangeError, a zod or yaml
 * exception) is what the CLI reports as an internal error with exit code 2.
 * STRATA_FUZZ_RUNS=5000 and STRATA_FUZZ_SEED=random explore further (test/fuzz/README.md).
 */
const RUNS = Number(process.env.STRATA_FUZZ_RUNS ?? 300);
const SEED =
  process.env.STRATA_FUZZ_SEED === 'random' ? Date.now() : Number(process.env.STRATA_FUZZ_SEED ?? 20261206);

const dir = tempDir('strata-fuzz-yaml-');
const file = `${dir}/strata.yaml`;

/** 'loaded', or the StrataError; any other exception is thrown. */
function outcome(text: string): 'loaded' | StrataError {
  try {
    const workspace = loadWorkspace(dir, { text });
    for (const dialect of [duckdbDialect, clickhouseDialect]) {
      const layers = compileLayers(dialect, {
        metrics: workspace.metrics,
        segments: workspace.segments,
        asOf: new Date('2026-01-01T00:00:00Z'),
        explain: 'leaves',
        rows: storedRows(dialect),
      });
      layers.finish(sql`base`);
    }
    return 'loaded';
  } catch (error) {
    if (error instanceof StrataError) return error;
    throw error;
  }
}

describe('strata.yaml mutations', () => {
  it('the template itself loads and compiles', () => {
    expect(outcome(BASE_YAML)).toBe('loaded');
  });

  it('load and compile, or fail with a StrataError naming strata.yaml and a line', () => {
    fc.assert(
      fc.property(editsArb, (edits) => {
        const text = mutate(edits);
        let result: 'loaded' | StrataError;
        try {
          result = outcome(text);
        } catch (error) {
          throw new Error(
            `internal error: ${(error as Error).stack}\n--- edits ${JSON.stringify(edits)}\n--- strata.yaml\n${text.slice(0, 3000)}`,
          );
        }
        if (result === 'loaded') return;
        const { file: named, line } = result.location;
        if (named !== file || !Number.isInteger(line) || (line ?? 0) < 1)
          throw new Error(
            `${result.code}: ${result.message} at ${named}:${line}\n--- edits ${JSON.stringify(edits)}\n--- strata.yaml\n${text.slice(0, 3000)}`,
          );
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
