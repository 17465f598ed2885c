import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** The shipped command: bin/strata.js over dist/, which test/setup/built-cli.ts brings up to date. */
const STRATA_BIN = join(root, 'bin', 'strata.js');

/** bin/strata.js, once it is known that this test run built dist/ (else dist/ may be stale or absent). */
export function strataBin(): string {
  if (!inject('strataBuilt')) {
    throw new Error(
      'this test runs the built CLI: list its file in the integration or browser project (vitest.config.ts), whose setup builds dist/',
    );
  }
  return STRATA_BIN;
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for runs with --json). */
  json<T = Record<string, unknown>>(): T;
}

/** Runs the real, built `strata` command in a child process. */
export function runCli(args: readonly string[], cwd = root): CliRun {
  const started = Date.now();
  const result = spawnSync(process.execPath, [strataBin(), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 300_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (process.env.STRATA_TEST_CLI_TIMES)
    appendFileSync(process.env.STRATA_TEST_CLI_TIMES, `${Date.now() - started}\t${args.join(' ')}\n`);
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    json: <T>() => JSON.parse(result.stdout) as T,
  };
}
