import { runRelayedCommand } from '../../src/cli/relay-host.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import type { CliRun } from './run-cli.js';

/**
 * The `strata` command run in this process on a DuckDB workspace whose store the test holds
 * open, as `strata serve` runs a CLI's command on the store it holds (src/cli/relay-host.ts):
 * the same program, options, actions and printed output as the built CLI, without a process
 * start and a store opened per command (about a second together on the CI machine). For tests
 * whose point is what commands answer or print, not the process around them; while it is open
 * no other process can open the store, so `close` it before running the built CLI again.
 */
export async function heldStoreCli(ws: string): Promise<{
  /**
   * `strata ARGS -w ws` (with `--json` when ARGS has it), as `runCli` answers; `env` is set in
   * process.env for the command (as a child's environment would be) and restored after it.
   */
  run(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
  close(): Promise<void>;
}> {
  const store = await openStore(loadWorkspace(ws));
  return {
    async run(args, env = {}) {
      let stdout = '';
      let stderr = '';
      const before = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
      Object.assign(process.env, env);
      try {
        const { exitCode } = await runRelayedCommand(
          { argv: [...args, '-w', ws], cwd: ws },
          store,
          (frame) => {
            if ('out' in frame) stdout += frame.out;
            else stderr += frame.err;
          },
        );
        return { code: exitCode, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
      } finally {
        for (const [name, value] of Object.entries(before)) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      }
    },
    close: () => store.close(),
  };
}
