import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CliStreams } from '../../src/cli/cli-streams.js';
import { runProgram, runRelayedCommand } from '../../src/cli/relay-host.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import type { CliRun } from './run-cli.js';

/*
 * The `strata` command run in the test's own process, for tests whose point is what commands
 * answer or print rather than the process around them: a process start costs about half a
 * second on the CI machine (test/README.md). Both run the program `strata serve` runs for a CLI
 * (src/cli/relay-host.ts): the same commands, options, actions, output and exit codes as the
 * built CLI, written to the command's own streams. Exit codes, signals, start-up and the bundle
 * stay with the tests that run `runCli`.
 */

const root = join(import.meta.dirname, '..', '..');

/** Sets `env` in process.env around `work` (as a child's environment would be), then restores it. */
async function withEnv<T>(env: NodeJS.ProcessEnv, work: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    return await work();
  } finally {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** A stream that appends what is written to it to `append`. */
const collecting = (append: (text: string) => void): NodeJS.WritableStream =>
  new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      append(String(chunk));
      callback();
    },
  });

/**
 * `strata ARGS` in this process, as `runCli` answers it (`cwd` resolves relative paths); each
 * command opens and closes its store itself, as the built CLI does.
 */
export async function cliInProcess(
  args: readonly string[],
  cwd = root,
  env: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const streams: CliStreams = {
    stdout: collecting((text) => {
      stdout += text;
    }),
    stderr: collecting((text) => {
      stderr += text;
    }),
    exitCode: 0,
  };
  await withEnv(env, () => runProgram({ argv: args, cwd }, streams));
  return { code: streams.exitCode, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/**
 * The command run in this process on a DuckDB workspace whose store the test holds open, as
 * `strata serve` holds it: no store opened per command either. While it is open no other
 * process can open the store, so `close` it before running the built CLI again.
 */
export async function heldStoreCli(ws: string): Promise<{
  /**
   * `strata ARGS -w ws` (with `--json` when ARGS has it), as `runCli` answers; `env` is set in
   * process.env for the command and restored after it.
   */
  run(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
  close(): Promise<void>;
}> {
  const store = await openStore(loadWorkspace(ws));
  return {
    async run(args, env = {}) {
      let stdout = '';
      let stderr = '';
      const { exitCode } = await withEnv(env, () =>
        runRelayedCommand({ argv: [...args, '-w', ws], cwd: ws }, store, (frame) => {
          if ('out' in frame) stdout += frame.out;
          else stderr += frame.err;
        }),
      );
      return { code: exitCode, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
    },
    close: () => store.close(),
  };
}
