import { type ChildProcess, spawn } from 'node:child_process';
import { strataBin } from './run-cli.js';
import { waitFor } from './wait-for.js';

/**
 * Starts the built `strata serve` for workspace `dir` in a child process on a free port,
 * applying the log every 50 ms, with `args` added (`--max-connections 4`); resolves once
 * it listens, with the process and its URL.
 * Its output is read to the end (a closed pipe would fail its later writes with EPIPE).
 * `env` is added to this process's environment; `onStderr`, when given, gets what the
 * server writes to stderr (else it goes to this process's stderr).
 */
export function serveProcess(
  dir: string,
  options: {
    args?: readonly string[];
    env?: NodeJS.ProcessEnv;
    onStderr?: (text: string) => void;
  } = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      strataBin(),
      'serve',
      '-w',
      dir,
      '--port',
      '0',
      '--apply-every',
      '50',
      '--json',
      ...(options.args ?? []),
    ],
    {
      stdio: ['ignore', 'pipe', options.onStderr ? 'pipe' : 'inherit'],
      env: { ...process.env, ...options.env },
    },
  );
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => options.onStderr?.(chunk));
  return new Promise((resolve, reject) => {
    let output = '';
    let listening = false;
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (listening) return;
      output += chunk;
      // The --json result is one object, printed once listening.
      if (!output.trim().endsWith('}')) return;
      listening = true;
      const { url } = JSON.parse(output) as { url?: string };
      // An error is printed as one object too ({"error": ...}), and the server exits.
      if (url === undefined) reject(new Error(`strata serve failed: ${output}`));
      else resolve({ child, url });
    });
    child.once('exit', (code, signal) => {
      if (!listening)
        reject(new Error(`strata serve exited (${signal ?? code}) before listening: ${output}`));
    });
  });
}

/** What the tests read of `GET /health`. */
export interface ServerHealth {
  readonly log: { readonly segment: number; readonly offset: number };
  readonly applied: { readonly segment: number; readonly offset: number };
  readonly failure: string | null;
  readonly quarantined: number;
}

/** Waits until the server at `url` has applied its log to the end; resolves with that /health. */
export async function waitForApplied(url: string): Promise<ServerHealth> {
  let health: ServerHealth | undefined;
  await waitFor(async () => {
    health = (await (await fetch(`${url}/health`)).json()) as ServerHealth;
    return health.applied.segment === health.log.segment && health.applied.offset === health.log.offset;
  }, 'the log applied up to its end');
  return health as ServerHealth;
}
