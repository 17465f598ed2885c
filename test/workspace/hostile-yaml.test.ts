import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * strata.yaml written to break the loader (issue #18, items 7 and 8): names every object
 * inherits (toString, constructor, __proto__), an alias bomb, an alias to nothing, absurd
 * nesting and sizes. Each is a StrataError naming strata.yaml and the line, never an
 * internal error (which the CLI reports with exit code 2).
 */

const root = tempDir('strata-hostile-yaml-');
let counter = 0;

function errorOf(yaml: string): StrataError {
  const dir = join(root, `ws${counter++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'strata.yaml'), yaml);
  try {
    loadWorkspace(dir);
  } catch (error) {
    if (error instanceof StrataError) return error;
    throw error;
  }
  throw new Error('expected loadWorkspace to fail');
}

/** [code, line, message] of the error, the file checked to be strata.yaml. */
function where(yaml: string): [string, number | undefined, string] {
  const error = errorOf(yaml);
  expect(error.location.file).toMatch(/strata\.yaml$/);
  return [error.code, error.location.line, error.message];
}

const SEGMENTS = `segments:
  paying: { where: { trait: mrr, gt: 0 } }
`;

describe('names every object inherits', () => {
  it('are unknown segments and metrics, at their line', () => {
    expect(where(`${SEGMENTS}  probe: { where: { segment: toString } }\n`)).toEqual([
      'unknown_segment',
      3,
      "unknown segment 'toString'",
    ]);
    expect(where(`${SEGMENTS}  probe: { parent: __proto__, where: { trait: plan, eq: x } }\n`)).toEqual([
      'unknown_segment',
      3,
      "unknown parent segment '__proto__'",
    ]);
    expect(where(`${SEGMENTS}  probe:\n    where: { metric: constructor, gt: 1 }\n`)).toEqual([
      'unknown_metric',
      4,
      "unknown metric 'constructor'",
    ]);
    expect(where(`metrics:\n  rank: { percentile: valueOf }\n`)).toEqual([
      'unknown_metric',
      2,
      "unknown metric 'valueOf'",
    ]);
    expect(where(`${SEGMENTS}schemes:\n  tiers: { order: [paying, hasOwnProperty] }\n`)).toEqual([
      'unknown_segment',
      4,
      "unknown segment 'hasOwnProperty'",
    ]);
    expect(where(`${SEGMENTS}playbooks:\n  toString: { owner: cs }\n`)).toEqual([
      'unknown_segment',
      4,
      "unknown segment 'toString'",
    ]);
  });

  it('refuses __proto__ as a key, which would set a prototype instead of naming a segment', () => {
    expect(where(`${SEGMENTS}  __proto__: { where: { trait: plan, eq: x } }\n`)).toEqual([
      'invalid_yaml',
      3,
      "'__proto__' cannot be a key in strata.yaml",
    ]);
    expect(where(`sources:\n  accounts:\n    file: a.csv\n    map: { __proto__: id }\n`)[1]).toBe(4);
  });
});

describe('YAML itself', () => {
  it('stops an alias bomb at the alias, before it expands', () => {
    // Nine copies of nine copies...: 9^6 strings, over 500,000, from seven short lines.
    const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const name of 'bcdef') {
      const previous = String.fromCharCode(name.charCodeAt(0) - 1);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    const started = performance.now();
    const [code, line, message] = where(`${levels.join('\n')}\n`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect([code, line]).toEqual(['invalid_yaml', 2]);
    expect(message).toMatch(/aliases expand too much \(more than 100 copies/);
  });

  it('names an alias to no anchor', () => {
    expect(where(`${SEGMENTS}  probe: *nowhere\n`)).toEqual([
      'invalid_yaml',
      3,
      'alias *nowhere refers to no anchor &nowhere above it',
    ]);
  });

  it('refuses nesting deeper than 64 levels, and keys that are lists', () => {
    const deep = `segments:\n  s: { where: ${'{ not: '.repeat(70)}{ trait: plan, eq: x }${' }'.repeat(70)} }\n`;
    expect(where(deep).slice(0, 3)).toEqual(['invalid_yaml', 2, 'nested too deeply (more than 64 levels)']);
    // Deeper than the parser's own stack goes: the same error, not a RangeError.
    const abyss = `x: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    expect(where(abyss)).toEqual(['invalid_yaml', 1, 'nested too deeply (more than 64 levels)']);
    expect(where(`segments:\n  ? [a, b]\n  : { where: { trait: plan, eq: x } }\n`)).toEqual([
      'invalid_yaml',
      2,
      'a key must be a name (text or a number)',
    ]);
  });

  it('refuses text no engine can hold: a NUL or a lone surrogate written as an escape', () => {
    // Found by test/fuzz: a segment named "a\0b" loaded, then failed in the compiler without a line.
    expect(where(`${SEGMENTS}  "a\\0b": { where: { trait: plan, eq: x } }\n`)).toEqual([
      'invalid_yaml',
      3,
      '"a\\u0000b" contains a NUL character (\\u0000), which cannot be stored',
    ]);
    const [code, line, message] = where(`${SEGMENTS}  probe: { where: { trait: plan, eq: "x\\ud800" } }\n`);
    expect([code, line]).toEqual(['invalid_yaml', 3]);
    expect(message).toMatch(/lone UTF-16 surrogate/);
  });

  it('refuses a DuckDB memory limit too small to open the file', () => {
    for (const size of ['0KB', '1MB', '63MB']) {
      const error = errorOf(`store:\n  engine: duckdb\n  memoryLimit: ${size}\n`);
      expect([error.code, error.location.line, error.location.path, error.message]).toEqual([
        'invalid_workspace',
        3,
        'store.memoryLimit',
        'expected at least 64MB',
      ]);
    }
  });
});
