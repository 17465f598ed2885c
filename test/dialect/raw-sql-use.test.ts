import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * Stores take only `Sql` fragments; the way around the tag is `rawSql`, which the compiler
 * and the dialects use for the text they build with `literal` and `quoteIdentifier`. This
 * keeps it there: another folder of src importing it, or casting to Sql, fails here.
 */
const SRC = join(import.meta.dirname, '../../src');
const ALLOWED = ['compile/', 'dialect/'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('raw SQL stays in the compiler and the dialects', () => {
  const files = sources(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('imports rawSql only in src/compile and src/dialect', () => {
    const users = files.filter((f) => /\brawSql\b/.test(f.text)).map((f) => f.path);
    expect(users.filter((path) => !ALLOWED.some((folder) => path.startsWith(folder)))).toEqual([]);
  });

  it('never casts to Sql', () => {
    expect(files.filter((f) => /\bas Sql\b/.test(f.text)).map((f) => f.path)).toEqual([]);
  });
});
