import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** True in projects whose setup built dist/: only they may run the CLI (helpers/run-cli.ts). */
    strataBuilt: boolean;
  }
}

const root = join(import.meta.dirname, '..', '..');

/**
 * Global setup of the projects that run the shipped command: `npm run build`, which is
 * incremental (tsc's build info in dist/), so an up-to-date dist/ costs a few seconds and
 * an edited src/ is never tested through a stale build.
 */
export default function setup(project: TestProject): void {
  // Both projects that run the CLI name this setup, each loading it afresh in the one main
  // process: one build per test run (6 s each), marked in that process's environment.
  if (process.env.STRATA_TEST_BUILT !== String(process.pid)) {
    const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8' });
    if (built.status !== 0) {
      throw new Error(`npm run build failed (exit ${built.status}):\n${built.stdout}${built.stderr}`);
    }
    process.env.STRATA_TEST_BUILT = String(process.pid);
  }
  project.provide('strataBuilt', true);
}
