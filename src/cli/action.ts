import type { Command } from 'commander';
import { createOutput, reportError } from './output.js';

export interface GlobalOptions {
  workspace: string;
  json?: boolean;
  debug?: boolean;
}

/** Wraps a command's action: global options in, errors out as messages and exit codes. */
export function action<Args extends unknown[]>(
  run: (options: GlobalOptions & Record<string, unknown>, ...args: Args) => Promise<unknown> | unknown,
) {
  return async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const options = command.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
    const output = createOutput(options);
    try {
      await run(options, ...(received.slice(0, -2) as Args));
    } catch (error) {
      process.exitCode = reportError(error, output);
    }
  };
}
