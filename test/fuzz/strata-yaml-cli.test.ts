import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { BASE_YAML, editsArb, mutate } from './yaml-mutations.js';

/*
 * A handful of hostile strata.yaml files through the built CLI (issue #18): the issue's own
 * (an alias bomb, an alias to nothing, memoryLimit: 0KB, names every object inherits) and
 * two drawn by the fuzz generator (a process start costs some 0.5 s: the hundreds of cases
 * run in process, strata-yaml.test.ts). `strata validate` exits 1 naming strata.yaml and the
 * line, never 2 (an internal error); a file that loads also runs on an empty store.
 */
const SEED = Number(process.env.STRATA_FUZZ_SEED ?? 20261206);
const root = tempDir('strata-fuzz-cli-');
let counter = 0;

const named: [string, string][] = [
  [
    'an alias bomb',
    `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n${BASE_YAML}`,
  ],
  ['an alias to no anchor', BASE_YAML.replace('{ segment: healthcare }', '*healthcare')],
  [
    'memoryLimit: 0KB',
    BASE_YAML.replace('path: .strata/strata.duckdb }', 'path: .strata/strata.duckdb, memoryLimit: 0KB }'),
  ],
  ['{ segment: toString }', BASE_YAML.replace('{ segment: healthcare }', '{ segment: toString }')],
  ['parent: __proto__', BASE_YAML.replace('parent: mid_market', 'parent: __proto__')],
  [
    '{ metric: constructor }',
    BASE_YAML.replace('{ metric: sessions_30d, gte: 20 }', '{ metric: constructor, gte: 20 }'),
  ],
];

/** Cases of the fuzz generator: the first that loads and the first that does not. */
function drawn(): [string, string][] {
  const loads: [string, string][] = [];
  const fails: [string, string][] = [];
  for (const edits of fc.sample(editsArb, { numRuns: 200, seed: SEED })) {
    const text = mutate(edits);
    let loaded = true;
    try {
      loadWorkspace(root, { text });
    } catch (error) {
      if (!(error instanceof StrataError)) throw error;
      loaded = false;
    }
    const list = loaded ? loads : fails;
    if (list.length === 0) list.push([JSON.stringify(edits), text]);
    if (loads.length > 0 && fails.length > 0) break;
  }
  return [...loads, ...fails];
}

describe('hostile strata.yaml through the CLI', () => {
  it('exits 1 with file and line, or loads and runs; never 2', () => {
    for (const [label, text] of [...named, ...drawn()]) {
      const dir = join(root, `ws${counter++}`);
      mkdirSync(dir);
      const file = join(dir, 'strata.yaml');
      writeFileSync(file, text);
      const validate = runCli(['validate', '-w', dir, '--json']);
      expect([label, validate.code]).toEqual([label, 1]);
      const { error } = validate.json<{ error: { code: string; location: StrataError['location'] } }>();
      if (error.code === 'no_runs') {
        // It loaded: it also runs, on an empty store.
        const run = runCli(['run', '-w', dir, '--json']);
        expect([label, run.code, run.stderr]).toEqual([label, 0, '']);
        continue;
      }
      expect([label, error.location.file, Number.isInteger(error.location.line)]).toEqual([
        label,
        file,
        true,
      ]);
      expect(validate.stderr).toBe('');
    }
  });
});
