import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Where a command's output goes and where its exit code is kept. A command run by the
 * terminal writes to process.stdout and process.stderr and sets process.exitCode; one that
 * `strata serve` runs for a CLI (relay-host.ts) writes to that request's streams and keeps
 * its code in the request, so nothing leaks into the server's own output or exit code.
 */
export interface CliStreams {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  exitCode: number;
}

const relayed = new AsyncLocalStorage<CliStreams>();

/** Runs `work` with every output of the CLI code it calls written to `streams`. */
export function withCliStreams<T>(streams: CliStreams, work: () => Promise<T>): Promise<T> {
  return relayed.run(streams, work);
}

/** True inside a command that `strata serve` runs for a CLI. */
export function isRelayed(): boolean {
  return relayed.getStore() !== undefined;
}

/** The stream the current command writes to in place of `stream` (process.stdout or process.stderr). */
export function streamFor(stream: NodeJS.WriteStream): NodeJS.WritableStream {
  const streams = relayed.getStore();
  if (!streams) return stream;
  return stream === process.stderr ? streams.stderr : streams.stdout;
}

/** Sets the current command's exit code. */
export function setExitCode(code: number): void {
  const streams = relayed.getStore();
  if (streams) streams.exitCode = code;
  else process.exitCode = code;
}
