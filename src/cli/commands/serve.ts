import { StrataError } from '../../errors.js';
import { startServer } from '../../server/serve.js';
import { openStore } from '../../store/open-store.js';
import { loadWorkspace } from '../../workspace/load-workspace.js';
import type { Output } from '../output.js';

/**
 * `strata serve [--port N] [--host H]`: the HTTP API until SIGINT or SIGTERM, then a clean
 * stop (what is logged is applied to the store first). Binds to loopback unless told.
 */
export async function runServe(
  options: { workspace: string; port: string; host: string; applyEvery: string; rateLimit: string },
  output: Output,
) {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new StrataError('invalid_argument', `--port ${options.port}: expected 0 to 65535`);
  const applyEveryMs = Number(options.applyEvery);
  if (!(applyEveryMs >= 10))
    throw new StrataError(
      'invalid_argument',
      `--apply-every ${options.applyEvery}: expected milliseconds >= 10`,
    );
  const rateLimit = Number(options.rateLimit);
  if (!(Number.isInteger(rateLimit) && rateLimit >= 1))
    throw new StrataError(
      'invalid_argument',
      `--rate-limit ${options.rateLimit}: expected a whole number of requests a minute`,
    );
  const workspace = loadWorkspace(options.workspace);
  const store = await openStore(workspace);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      workspace,
      store,
      port,
      host: options.host,
      applyEveryMs,
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  output.result({ url: server.url, dashboard: server.dashboardUrl, store: store.location }, () =>
    [
      `strata serve: ${server.url} (store ${store.location})`,
      `  dashboard: ${server.dashboardUrl}`,
      `  ingestion: POST ${server.url}/v1/track, /identify, /group, /page, /batch (write key as basic auth)`,
      '  stop with Ctrl-C',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.stop();
  await store.close();
  output.say('strata serve: stopped; every logged message is in the store');
}
