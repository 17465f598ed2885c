import proxyAddr from '@fastify/proxy-addr';
import { StrataError } from '../../errors.js';
import { startServer } from '../../server/serve.js';
import { openStore } from '../../store/open-store.js';
import { loadWorkspace } from '../../workspace/load-workspace.js';
import type { ServeInput } from '../commands/serve.js';
import { machineRefusal, type Output } from '../output.js';
import { runRelayedCommand } from '../relay-host.js';
import {
  loopbackUrl,
  markerFile,
  newRelayToken,
  removeMarker,
  STRATA_VERSION,
  writeMarker,
} from '../server-marker.js';

/**
 * `--trust-proxy`: `true` (any peer may name the client: only when nothing reaches the server
 * but through the proxy), or the proxies' addresses and CIDR ranges, comma-separated
 * (`127.0.0.1`, `10.0.0.0/8`, `loopback`). A hop count is refused: it cannot tell the proxy
 * from a client that writes X-Forwarded-For itself, so Fastify ignores it.
 */
export function parseTrustProxy(text: string): true | string[] {
  if (text.trim() === 'true') return true;
  const fail = (why: string) =>
    new StrataError(
      'invalid_argument',
      `--trust-proxy ${text}: ${why}; expected true, or the proxies' addresses or CIDR ranges separated by commas (127.0.0.1,10.0.0.0/8 or loopback)`,
    );
  if (/^\s*\d+\s*$/.test(text))
    throw fail('a hop count cannot tell the proxy from a client that sends X-Forwarded-For itself');
  const addresses = text
    .split(',')
    .map((address) => address.trim())
    .filter((address) => address !== '');
  if (addresses.length === 0) throw fail('no address');
  try {
    proxyAddr.compile(addresses);
  } catch (error) {
    throw fail((error as Error).message);
  }
  return addresses;
}

/**
 * `strata serve [--port N] [--host H]`: the HTTP API until SIGINT or SIGTERM, then a clean
 * stop (what is logged is applied to the store first). Binds to loopback unless told.
 */
export async function runServe(options: ServeInput, output: Output) {
  const {
    port,
    applyEvery: applyEveryMs,
    passEvery: passEveryMs,
    rateLimit,
    sweepEvery: sweepEveryMs,
    requestTimeout: requestTimeoutMs,
    maxConnections,
  } = options;
  const trustProxy = options.trustProxy === undefined ? undefined : parseTrustProxy(options.trustProxy);
  const workspace = loadWorkspace(options.workspace);
  const store = await openStore(workspace);
  // DuckDB lets one process write its file, so other strata commands on this workspace are
  // sent here and run on this store (relay-client.ts); ClickHouse takes any number of clients.
  const token = workspace.config.store.engine === 'duckdb' ? newRelayToken() : undefined;
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      ...(token === undefined
        ? {}
        : {
            cliRelay: {
              token,
              run: (command, emit) => runRelayedCommand(command, store, emit),
            },
          }),
      workspace,
      store,
      port,
      host: options.host,
      applyEveryMs,
      passEveryMs,
      rateLimit,
      sweepEveryMs,
      limits: { requestTimeoutMs, maxConnections },
      ...(trustProxy === undefined ? {} : { trustProxy }),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  if (token !== undefined) {
    const marker = { pid: process.pid, url: loopbackUrl(server.url), token, version: STRATA_VERSION };
    try {
      writeMarker(workspace.dir, marker);
    } catch (error) {
      // Without it the CLI could not reach this server: stop rather than serve half.
      await server.stop().catch(() => undefined);
      await store.close().catch(() => undefined);
      throw machineRefusal(error, 'write', markerFile(workspace.dir)) ?? error;
    }
  }
  const forgetMarker = () => {
    if (token !== undefined) removeMarker(workspace.dir, token);
  };
  output.result({ url: server.url, dashboard: server.dashboardUrl, store: store.location }, () =>
    [
      `strata serve: ${server.url} (store ${store.location})`,
      `  dashboard: ${server.dashboardUrl}`,
      `  ingestion: POST ${server.url}/v1/track, /identify, /group, /page, /batch (write key as basic auth)`,
      '  stop with Ctrl-C',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // Stopping applies what is logged first. It cannot be kept from exiting: a second signal,
  // or the deadline, exits at once, which loses nothing (the next start applies the log).
  const now = (why: string) => () => {
    forgetMarker();
    process.stderr.write(
      `strata serve: ${why}; stopped without applying the rest of the log (the next start applies it)\n`,
    );
    process.exit(1);
  };
  process.once('SIGINT', now('a second signal'));
  process.once('SIGTERM', now('a second signal'));
  const deadline = setTimeout(now(`still stopping after ${STOP_DEADLINE_MS / 1000} s`), STOP_DEADLINE_MS);
  let unapplied: Error | null = null;
  try {
    ({ unapplied } = await server.stop());
  } finally {
    // Gone before the store is let go: a command from now on opens the file itself.
    forgetMarker();
    await store.close().catch(() => undefined);
    clearTimeout(deadline);
  }
  // Whatever still holds the event loop (a webhook's connection) must not keep a stopped server alive.
  setTimeout(() => process.exit(), 2000).unref();
  if (unapplied)
    throw new StrataError(
      'apply_failed',
      `strata serve: stopped, but applying the log failed (${(unapplied as Error).message}); what was not applied stays in the log and is applied at the next start`,
    );
  output.say('strata serve: stopped; every logged message is in the store');
}

/** How long a stop may take to apply the log before exiting anyway. */
const STOP_DEADLINE_MS = 30_000;
