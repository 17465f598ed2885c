import { readFileSync } from 'node:fs';
import type { SweepResult } from '../activate/triggers.js';
import type { ApplyResult } from '../ingest/apply-messages.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { KeyRing } from './api-keys.js';
import { buildServer, type ServerOptions } from './app.js';
import type { CliRelay } from './cli-relay.js';
import { ServeLoop } from './serve-loop.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/**
 * `strata serve`: the HTTP API on a port, and the loop that applies the write-ahead log to
 * the store every `applyEveryMs` (serve-loop.ts, which also keeps the triggers' live
 * memberships). On start, whatever the log holds beyond the last checkpoint (a crash
 * between acknowledging and applying) is applied first.
 */

/** Default `--sweep-every`: windows are whole days, so a minute late is close to exact and cheap. */
export const DEFAULT_SWEEP_EVERY_MS = 60_000;

export interface RunningServer {
  readonly url: string;
  /** The dashboard, with a read key for this server's life in the fragment. */
  readonly dashboardUrl: string;
  /** The routes Fastify registered (HEAD copies of GETs included). */
  readonly routes: readonly { readonly method: string; readonly path: string }[];
  /** Applies everything logged so far; resolves when it is in the store. */
  applyNow(): Promise<ApplyResult | null>;
  /** Evaluates every account for the triggers' segments now (null without triggers). */
  sweepNow(): Promise<SweepResult | null>;
  /**
   * Stops accepting, applies what is logged, closes the log (the store stays open: the
   * caller's). When the store fails, `unapplied` says why; the log keeps those records.
   */
  stop(): Promise<{ unapplied: Error | null }>;
}

export interface ServeOptions {
  readonly workspace: Workspace;
  readonly store: Store;
  readonly port: number;
  readonly host?: string;
  readonly applyEveryMs?: number;
  /** Under a steady stream, apply passes start at most this often (default PASS_EVERY_MS). */
  readonly passEveryMs?: number;
  readonly bodyLimit?: number;
  readonly rateLimit?: number;
  readonly limits?: ServerOptions['limits'];
  readonly trustProxy?: ServerOptions['trustProxy'];
  /** Told after each apply that changed something. */
  readonly onApplied?: (result: ApplyResult) => void;
  /** Webhook retries: the first delay (default 1 s) and the longest (default 1 h). */
  readonly retryBaseMs?: number;
  readonly retryCapMs?: number;
  /** Where webhook secrets and destinations' credentials are read (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** How often every account is evaluated again for time-dependent triggers (default a minute). */
  readonly sweepEveryMs?: number;
  /** The time triggers evaluate at (default the machine's clock; tests move it). */
  readonly clock?: () => Date;
  /**
   * Runs the CLI's commands on this store (`strata serve` on DuckDB, which lets one process
   * write the file): each in the store's turn, like reads and applies; an import is followed
   * by a sweep, as a start is (the triggers' live memberships follow the new data).
   */
  readonly cliRelay?: {
    readonly token: string;
    run(
      command: Parameters<CliRelay['run']>[0],
      emit: Parameters<CliRelay['run']>[1],
    ): Promise<{ exitCode: number; imported: boolean }>;
  };
}

/** Only the options given (exactOptionalPropertyTypes: an absent option is not `undefined`). */
const given = <K extends keyof ServeOptions>(options: ServeOptions, ...names: K[]) =>
  Object.fromEntries(
    names.filter((name) => options[name] !== undefined).map((name) => [name, options[name]]),
  ) as {
    [N in K]?: Exclude<ServeOptions[N], undefined>;
  };

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const loop = await ServeLoop.open({
    ...given(options, 'onApplied', 'retryBaseMs', 'retryCapMs', 'env', 'passEveryMs'),
    workspace: options.workspace,
    store: options.store,
    clock: options.clock ?? (() => new Date()),
  });
  await loop.catchUp();
  const keys = new KeyRing(options.workspace.dir);
  const relayInTurn = (relay: NonNullable<ServeOptions['cliRelay']>): CliRelay => ({
    token: relay.token,
    run: async (command, emit) => {
      const { exitCode, imported } = await loop.withStore(() => relay.run(command, emit));
      if (imported && exitCode === 0) await loop.dataChanged();
      return exitCode;
    },
  });
  const routes: { method: string; path: string }[] = [];
  const app = await buildServer({
    ...given(options, 'bodyLimit', 'rateLimit', 'limits', 'trustProxy', 'env'),
    ...(options.cliRelay === undefined ? {} : { cliRelay: relayInTurn(options.cliRelay) }),
    keys,
    log: loop.log,
    workspace: options.workspace,
    store: options.store,
    withStore: loop.withStore,
    version,
    activation: loop.activation,
    webhooks: loop.webhooks,
    scheduler: loop.scheduler,
    profiles: loop.profiles,
    quarantine: loop.applier.quarantine,
    applyNow: loop.applyNow,
    // Applied as soon as logged (one apply at a time); the timer only retries after failures.
    onLogged: () => {
      loop.applyNow().catch(() => undefined);
    },
    health: () => loop.health(),
    onRoute: (route) => routes.push(route),
  });
  const address = await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  loop.startTimers(options.applyEveryMs ?? 1000, options.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS);
  // Keys created or revoked with `strata keys` while serving.
  const reload = setInterval(() => keys.reload(), 5000);

  const dashboardKey = keys.addEphemeral('read', 'dashboard');
  return {
    url: address,
    dashboardUrl: `${address}/#key=${dashboardKey}`,
    routes,
    applyNow: loop.applyNow,
    sweepNow: () => loop.sweepNow(),
    async stop() {
      clearInterval(reload);
      // Every step runs whatever the one before did: a failing store must not keep the
      // process alive (what is not applied stays in the log for the next start).
      return loop.stop(() => app.close());
    },
  };
}
