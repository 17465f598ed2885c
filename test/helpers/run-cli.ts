import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** The shipped command: bin/strata.js over dist/bundle/, which test/setup/built-cli.ts brings up to date. */
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

/** Runs the real, built `strata` command in a child process (`env` added to the test's environment). */
export function runCli(args: readonly string[], cwd = root, env: NodeJS.ProcessEnv = {}): CliRun {
  const started = Date.now();
  const result = spawnSync(process.execPath, [strataBin(), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 300_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return finished(args, started, result.status, result.stdout, result.stderr);
}

/**
 * `runCli` without blocking the test's thread, so two commands can run at once: for commands
 * on different stores (a ClickHouse server and a DuckDB file), one runs while the other
 * waits on its server; and for a command calling a server the test itself runs (a fake CRM).
 */
export function runCliAsync(
  args: readonly string[],
  cwd = root,
  env: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [strataBin(), ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...env },
      timeout: 300_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve(finished(args, started, code, stdout, stderr)));
  });
}

function finished(
  args: readonly string[],
  started: number,
  code: number | null,
  stdout: string,
  stderr: string,
): CliRun {
  if (process.env.STRATA_TEST_CLI_TIMES)
    appendFileSync(process.env.STRATA_TEST_CLI_TIMES, `${Date.now() - started}\t${args.join(' ')}\n`);
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/**
 * Runs the built CLI as `runCli` does, and lists the CommonJS modules (their files) it loaded
 * to run `args`, taken at its exit: what start-up paid for, for the tests that keep unneeded
 * packages out of a command. The list goes to a file, so the run's output is the command's own
 * and a test can read its answer too instead of asking again. Throws unless it exits 0.
 */
export function modulesLoaded(args: readonly string[]): { modules: string[]; run: CliRun } {
  const dir = mkdtempSync(join(tmpdir(), 'strata-modules-'));
  const list = join(dir, 'modules.json');
  const probe = `import M from 'node:module';import {writeFileSync} from 'node:fs';process.on('exit',()=>writeFileSync(${JSON.stringify(list)},JSON.stringify(Object.keys(M._cache))))`;
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    [`--import=data:text/javascript,${encodeURIComponent(probe)}`, strataBin(), ...args],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 256 * 1024 * 1024 },
  );
  const run = finished(args, started, result.status, result.stdout, result.stderr);
  try {
    if (run.code !== 0) throw new Error(`strata ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return { modules: JSON.parse(readFileSync(list, 'utf8')) as string[], run };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
