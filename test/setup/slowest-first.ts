import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const root = join(import.meta.dirname, '..', '..');

/** Seconds per test file on a quiet 2-core machine, written by `npm run test:durations`. */
export const DURATIONS_FILE = join(root, 'test', 'durations.json');

function durations(): Map<string, number> {
  if (!existsSync(DURATIONS_FILE)) return new Map();
  const table = JSON.parse(readFileSync(DURATIONS_FILE, 'utf8')) as { files: Record<string, number> };
  return new Map(Object.entries(table.files));
}

/**
 * Starts the longest test files first, across all projects, so that the two workers finish
 * together instead of one of them starting a 70-second file at the end. Durations come from
 * test/durations.json (committed, so a fresh clone has them; Vitest's own cache does not
 * survive a clone); a file not in it yet starts first, as the cautious guess.
 */
export class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const seconds = durations();
    const of = (spec: TestSpecification) =>
      seconds.get(relative(root, spec.moduleId)) ?? Number.POSITIVE_INFINITY;
    return [...files].sort((a, b) => of(b) - of(a));
  }
}
