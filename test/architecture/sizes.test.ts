import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * The house rule of ARCHITECTURE.md: a file holds one job and reads in one sitting. Functions are held
 * to ~120 lines by biome's `noExcessiveLinesPerFunction` (biome.json); this holds files to 400 lines.
 * A file that must grow is split by idea, not by line count.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const MAX_LINES = 400;

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('file sizes', () => {
  it(`keeps every source file of src/ and web/src/ within ${MAX_LINES} lines`, () => {
    const long = [join(ROOT, 'src'), join(ROOT, 'web', 'src')]
      .flatMap(sourceFiles)
      .map((path) => ({ path: relative(ROOT, path), lines: readFileSync(path, 'utf8').split('\n').length }))
      .filter((file) => file.lines > MAX_LINES)
      .map((file) => `${file.path}: ${file.lines} lines`);
    expect(long).toEqual([]);
  });
});
