import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

/**
 * HTTP by hand, for what fetch cannot do: send headers and no body, trickle a body, hold a
 * connection open. `rawRequest` connects to `url`, lets `send` write (now or over time), and
 * resolves when the connection closes (the server's doing, or the client's with `endOnAnswer`:
 * once a whole answer has come): what the server answered, and when it closed.
 */
export interface RawOutcome {
  /** Everything the server sent ('' when it closed without a word). */
  readonly response: string;
  /** The status of the first answer, or null. */
  readonly status: number | null;
  /** Milliseconds from connecting to the server closing the connection. */
  readonly closedAfterMs: number;
}

export function rawRequest(
  url: string,
  send: (socket: Socket) => void,
  options: { endOnAnswer?: boolean } = {},
): { socket: Socket; outcome: Promise<RawOutcome> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const started = performance.now();
  let response = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    response += chunk;
    if (options.endOnAnswer && answered(response)) socket.end();
  });
  // A server closing on a client still writing makes the client's writes fail: expected here.
  socket.on('error', () => undefined);
  socket.once('connect', () => send(socket));
  const outcome = new Promise<RawOutcome>((resolve) =>
    socket.once('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(response)?.[1];
      resolve({
        response,
        status: status === undefined ? null : Number(status),
        closedAfterMs: performance.now() - started,
      });
    }),
  );
  return { socket, outcome };
}

/** Whether `response` holds a whole answer (headers, and as many bytes as Content-Length says). */
function answered(response: string): boolean {
  const end = response.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /^content-length: (\d+)/im.exec(response.slice(0, end))?.[1];
  return response.length - end - 4 >= Number(length ?? 0);
}

/** Writes `text` to `socket` `bytes` at a time every `everyMs` until the socket closes. */
export function trickle(socket: Socket, text: string, everyMs: number, bytes = 1): void {
  let at = 0;
  const timer = setInterval(() => {
    if (at >= text.length || socket.destroyed) return clearInterval(timer);
    socket.write(text.slice(at, at + bytes));
    at += bytes;
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

/** A Linux process's resident memory now and at its peak, in KiB (/proc/PID/status). */
export function residentKiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}
