import type { Command } from 'commander';
import { isRelayed, setExitCode } from './cli-streams.js';
import { createOutput, reportError } from './output.js';

export interface GlobalOptions {
  workspace: string;
  json?: boolean;
  debug?: boolean;
}

/** The command's words without the program's: `segments list`. */
function commandPath(command: Command): string {
  const words: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}

/**
 * Wraps a command's action: global options in, errors out as messages and exit codes. When
 * `strata serve` holds the workspace's store, the command is sent to it instead (relay-client.ts)
 * and its output and exit code are the server's run of it.
 */
export function action<Args extends unknown[]>(
  run: (options: GlobalOptions & Record<string, unknown>, ...args: Args) => Promise<unknown> | unknown,
) {
  return async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const options = command.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
    const output = createOutput(options);
    try {
      if (!isRelayed()) {
        const { relayToServer } = await import('./relay-client.js');
        const relayed = await relayToServer(commandPath(command), options);
        if (relayed !== undefined) {
          setExitCode(relayed);
          return;
        }
      }
      await run(options, ...(received.slice(0, -2) as Args));
    } catch (error) {
      setExitCode(reportError(error, output));
    }
  };
}
