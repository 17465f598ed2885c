import { request } from 'node:http';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { StrataError } from '../errors.js';
import { demoWorkspace } from './commands/demo.js';
import { markerFile, readLiveMarker, type ServerMarker, STRATA_VERSION } from './server-marker.js';

/**
 * The CLI's side of sharing a workspace with `strata serve`: a command that would open the
 * DuckDB store the server holds is sent to the server (argv and folder), which runs it on its
 * store and streams back its output and exit code (src/server/cli-relay.ts, relay-host.ts).
 */

/** Commands that never open the store: they run here, server or not. */
const LOCAL = new Set([
  'init',
  'generate',
  'analyze retention',
  'ab size',
  'keys create',
  'keys list',
  'keys revoke',
  // These two name the server's admin API when it holds what they need.
  'webhooks deliveries',
  'webhooks replay',
  'ingest quarantine',
]);

/** How long the server may take to accept a command (the run itself is not bounded). */
function acceptWithinMs(): number {
  const given = Number(process.env.STRATA_SERVER_TIMEOUT_MS);
  return Number.isFinite(given) && given > 0 ? given : 10_000;
}

/**
 * Sends the command to the server holding its workspace, printing what the server's run of it
 * prints; resolves with its exit code, or undefined when no server holds the workspace (the
 * command runs here). `serve` and `demo` are refused while one does: they would open the store.
 */
export async function relayToServer(
  command: string,
  options: { workspace: string },
): Promise<number | undefined> {
  if (LOCAL.has(command)) return undefined;
  const dir = resolve(command === 'demo' ? demoWorkspace(options.workspace) : options.workspace);
  const marker = readLiveMarker(dir);
  if (!marker) return undefined;
  const file = markerFile(dir);
  if (command === 'serve' || command === 'demo')
    throw new StrataError(
      'server_running',
      `strata serve already runs for ${dir} at ${marker.url} (pid ${marker.pid}, ${file}); ${command === 'serve' ? 'other strata commands on this workspace go through it' : 'stop it first: strata demo rewrites the store it holds'}`,
    );
  if (marker.version !== STRATA_VERSION)
    throw new StrataError(
      'server_version',
      `strata serve (pid ${marker.pid}, ${file}) runs Strata ${marker.version} and this is ${STRATA_VERSION}: run the command with the server's strata, or restart the server`,
    );
  // Loaded only now: the route's module brings the server's dependencies with it.
  const route = await import('../server/cli-relay.js');
  return send(route, marker, file, { argv: process.argv.slice(2), cwd: process.cwd() });
}

/** One line of the server's answer. */
interface Frame {
  readonly out?: string;
  readonly err?: string;
  readonly exit?: number;
}

function send(
  { CLI_RELAY_PATH, CLI_TOKEN_HEADER }: { CLI_RELAY_PATH: string; CLI_TOKEN_HEADER: string },
  marker: ServerMarker,
  file: string,
  body: { argv: string[]; cwd: string },
): Promise<number | undefined> {
  const limit = acceptWithinMs();
  const silent = () =>
    new StrataError(
      'server_unreachable',
      `strata serve (pid ${marker.pid}, ${marker.url}) holds this workspace's store, per ${file}, but did not answer within ${limit / 1000} s: it is busy or hung (STRATA_SERVER_TIMEOUT_MS sets the wait, in ms); if it hangs, stop it (kill ${marker.pid})`,
    );
  return new Promise((done, fail) => {
    const payload = JSON.stringify(body);
    const call = request(`${marker.url}${CLI_RELAY_PATH}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        [CLI_TOKEN_HEADER]: marker.token,
      },
    });
    // Bounds the connection and the server's acceptance, not the command: a run may be long.
    const timer = setTimeout(() => {
      call.destroy();
      fail(silent());
    }, limit);
    call.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // Nothing listens there: the marker outlived its server and its id went to another
      // process. The command runs here; if the store is held after all, opening it says so.
      if (error.code === 'ECONNREFUSED') done(undefined);
      else
        fail(
          new StrataError(
            'server_unreachable',
            `strata serve (pid ${marker.pid}, ${marker.url}, per ${file}): ${error.message}`,
          ),
        );
    });
    call.on('response', (response) => {
      clearTimeout(timer);
      response.setEncoding('utf8');
      if (response.statusCode !== 200) {
        let text = '';
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          let message = text;
          try {
            message = (JSON.parse(text) as { message?: string }).message ?? text;
          } catch {}
          fail(
            new StrataError(
              'server_refused',
              `strata serve (pid ${marker.pid}, per ${file}) refused the command (HTTP ${response.statusCode}): ${message}`,
            ),
          );
        });
        return;
      }
      let exit: number | undefined;
      const lines = createInterface({ input: response, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on('line', (line) => {
        let frame: Frame;
        try {
          frame = JSON.parse(line) as Frame;
        } catch {
          return;
        }
        if (frame.out !== undefined) process.stdout.write(frame.out);
        if (frame.err !== undefined) process.stderr.write(frame.err);
        if (frame.exit !== undefined) exit = frame.exit;
      });
      let finished = false;
      const ended = () => {
        if (finished) return;
        finished = true;
        if (exit !== undefined) done(exit);
        else
          fail(
            new StrataError(
              'server_stopped',
              `strata serve (pid ${marker.pid}) stopped before the command finished; part of it may have run (see strata status)`,
              { file },
            ),
          );
      };
      lines.on('close', ended);
      // A server killed mid-command cuts the answer off: no end, just a close.
      response.on('close', ended);
      response.on('error', () => undefined);
    });
    call.end(payload);
  });
}
