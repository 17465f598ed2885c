import { Writable } from 'node:stream';
import { CommanderError } from 'commander';
import { withHeldStore } from '../store/held-store.js';
import type { Store } from '../store/store.js';
import { type CliStreams, withCliStreams } from './cli-streams.js';
import { createOutput, reportError } from './output.js';
import { createProgram } from './program.js';

/**
 * `strata serve`'s side of running a CLI's command (relay-client.ts sends it): the same
 * program the terminal runs, built for the CLI's folder, on the store the server holds, its
 * output sent as it is written and its exit code kept apart from the server's.
 */

/** What the CLI sends: its arguments after `strata`, and its working folder. */
export interface RelayedCommand {
  readonly argv: readonly string[];
  readonly cwd: string;
}

/** A piece of the answer: output on either stream. */
export type RelayFrame = { readonly out: string } | { readonly err: string };

/** A stream whose writes become frames. */
function framing(emit: (frame: RelayFrame) => void, key: 'out' | 'err'): NodeJS.WritableStream {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      const text = String(chunk);
      emit(key === 'out' ? { out: text } : { err: text });
      callback();
    },
  });
}

/**
 * Runs a command line as the CLI would, its output and exit code on `streams` (Commander's
 * refusals and the command's errors reported there as the CLI reports them); a
 * `process.exitCode` the command sets is moved to `streams`, not kept for this process.
 * `onAction` is told the name of the command that ran.
 */
export async function runProgram(
  command: RelayedCommand,
  streams: CliStreams,
  onAction: (name: string) => void = () => undefined,
): Promise<void> {
  const before = process.exitCode;
  try {
    await withCliStreams(streams, async () => {
      const program = createProgram({ cwd: command.cwd });
      program.hook('preAction', (_, acting) => onAction(acting.name()));
      try {
        await program.parseAsync([...command.argv], { from: 'user' });
      } catch (error) {
        // Commander's own refusals (an unknown option) are already written; only the code is left.
        streams.exitCode =
          error instanceof CommanderError ? error.exitCode : reportError(error, createOutput({}));
      }
    });
  } finally {
    if (process.exitCode !== before) {
      if (streams.exitCode === 0) streams.exitCode = Number(process.exitCode) || 0;
      process.exitCode = before;
    }
  }
}

/**
 * Runs `command` as the CLI would, with `store` lent to it (it is not closed), writing its
 * output through `emit`; resolves with its exit code and whether it changed the store's data.
 */
export async function runRelayedCommand(
  command: RelayedCommand,
  store: Store,
  emit: (frame: RelayFrame) => void,
): Promise<{ exitCode: number; imported: boolean }> {
  const streams: CliStreams = { stdout: framing(emit, 'out'), stderr: framing(emit, 'err'), exitCode: 0 };
  let path = '';
  await withHeldStore(store, store.location, () =>
    runProgram(command, streams, (name) => {
      path = name;
    }),
  );
  // Commands that change the store's data other than through the log.
  return { exitCode: streams.exitCode, imported: ['import', 'merge', 'unmerge'].includes(path) };
}
