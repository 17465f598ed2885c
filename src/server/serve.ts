import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActivationDb } from '../activate/activation-db.js';
import { Scheduler } from '../activate/schedules.js';
import { type SweepResult, TriggerEngine, type TriggerResult } from '../activate/triggers.js';
import { WebhookSender } from '../activate/webhooks.js';
import { type ApplyResult, MessageApplier } from '../ingest/apply-messages.js';
import { readCheckpoint, WriteAheadLog, writeCheckpoint } from '../ingest/write-ahead-log.js';
import { redactSecrets } from '../redact.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { KeyRing } from './api-keys.js';
import { buildServer, type ServerOptions } from './app.js';
import type { CliRelay } from './cli-relay.js';
import { ProfileViews } from './profile-view.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/**
 * `strata serve`: the HTTP API on a port, and the loop that applies the write-ahead log to
 * the store every `applyEveryMs`. On start, whatever the log holds beyond the last
 * checkpoint (a crash between acknowledging and applying) is applied first.
 *
 * Triggers' live memberships are kept equal to a full run's: after each apply the touched
 * accounts are evaluated again; every account is (a sweep) on start (data may have been
 * imported, and time has passed, while the server was stopped), every `sweepEveryMs`
 * while a trigger's segment depends on time, and after each apply while one is ranked
 * among accounts.
 */

/** Default `--sweep-every`: windows are whole days, so a minute late is close to exact and cheap. */
export const DEFAULT_SWEEP_EVERY_MS = 60_000;

export interface RunningServer {
  readonly url: string;
  /** The dashboard, with a read key for this server's life in the fragment. */
  readonly dashboardUrl: string;
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

export async function startServer(options: {
  readonly workspace: Workspace;
  readonly store: Store;
  readonly port: number;
  readonly host?: string;
  readonly applyEveryMs?: number;
  readonly bodyLimit?: number;
  readonly rateLimit?: number;
  readonly limits?: ServerOptions['limits'];
  readonly trustProxy?: ServerOptions['trustProxy'];
  /** Told after each apply that changed something. */
  readonly onApplied?: (result: ApplyResult) => void;
  /** Webhook retries: the first delay (default 1 s) and the longest (default 1 h). */
  readonly retryBaseMs?: number;
  readonly retryCapMs?: number;
  /** Where webhook secrets are read (default process.env). */
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
}): Promise<RunningServer> {
  const clock = options.clock ?? (() => new Date());
  const workspaceDir = options.workspace.dir;
  const dir = join(workspaceDir, '.strata', 'ingest');
  const log = await WriteAheadLog.open(dir);
  const applier = new MessageApplier(options.store, dir);
  const activation = await ActivationDb.open(join(workspaceDir, '.strata', 'activation.duckdb'));
  const triggers = new TriggerEngine(options.store, options.workspace, activation);
  let webhooks: WebhookSender;
  try {
    webhooks = new WebhookSender(activation, options.workspace, {
      ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
      ...(options.retryCapMs === undefined ? {} : { retryCapMs: options.retryCapMs }),
      ...(options.env === undefined ? {} : { env: options.env }),
    });
  } catch (error) {
    activation.close();
    await log.close();
    throw error;
  }
  let lastTrigger: TriggerResult | null = null;
  let lastSweep: SweepResult | null = null;
  const keys = new KeyRing(workspaceDir);
  // One store connection: reads and applies take turns.
  let turn: Promise<unknown> = Promise.resolve();
  const withStore = <T>(work: () => Promise<T>): Promise<T> => {
    const result = turn.then(work, work);
    turn = result.catch(() => undefined);
    return result;
  };
  const scheduler = new Scheduler(options.store, options.workspace, activation, withStore);
  const profiles = new ProfileViews(options.store, withStore);
  let applied = readCheckpoint(dir);
  let last: ApplyResult | null = null;
  let failure: string | null = null;

  // The log keeps every message; the next round tries again.
  const applyFailed = (error: Error) => {
    failure = redactSecrets(error.message);
    process.stderr.write(
      `strata serve: applying the log failed (it is kept, retried): ${redactSecrets(error.message)}\n`,
    );
    return null;
  };
  // Ingestion must not wait on a sweep: a failed one is reported and tried again on the timer.
  const sweepFailed = (error: Error) => {
    failure = redactSecrets(error.message);
    process.stderr.write(
      `strata serve: sweeping the triggers' segments failed (retried): ${redactSecrets(error.message)}\n`,
    );
    return null;
  };

  // One apply at a time; a request for another while one runs waits for it, then runs.
  let running: Promise<ApplyResult | null> = Promise.resolve(null);
  const applyOnce = async (): Promise<ApplyResult | null> => {
    let total: ApplyResult | null = null;
    for (;;) {
      const { records, next } = log.read(applied);
      if (records.length === 0) {
        if (next.segment !== applied.segment || next.offset !== applied.offset) {
          applied = next;
          writeCheckpoint(dir, applied);
        }
        return total;
      }
      const { summary: result, touched } = await withStore(async () => {
        const applied = await applier.apply(records);
        // The profile API's copies of account rows this apply changed.
        await profiles.refresh(applied.changedAccounts);
        return applied;
      });
      // Triggers before the checkpoint: after a crash in between, the records are applied
      // again (changing nothing) and their accounts evaluated again (sending what was not).
      if (triggers.active) {
        lastTrigger = await withStore(() => triggers.onApplied(touched, clock()));
        // Other accounts' ranks move with this data too.
        if (touched.size > 0 && triggers.dependence.others) await sweepNow().catch(sweepFailed);
        // Delivered at once, not at the sender's next round.
        if (lastTrigger.events > 0) void webhooks.deliverDue();
      }
      applied = next;
      writeCheckpoint(dir, applied);
      log.dropBefore(applied);
      last = result;
      failure = null;
      options.onApplied?.(result);
      total = total ? sum(total, result) : result;
    }
  };
  // Sweeps take turns with applies and reads on the store; `stop` waits for the last one.
  // As with applies, at most one sweep waits behind the running one, and calls meanwhile
  // share it: it starts after them, so it sees their data and their time.
  let sweeping: Promise<SweepResult | null> = Promise.resolve(null);
  let sweepQueued: Promise<SweepResult | null> | null = null;
  let sweepRunning = false;
  const sweepNow = (options: { silentBaseline?: boolean } = {}): Promise<SweepResult | null> => {
    if (!triggers.active) return Promise.resolve(null);
    sweepQueued ??= sweeping
      .catch(() => null)
      .then(async () => {
        sweepQueued = null;
        sweepRunning = true;
        try {
          const result = await withStore(() => triggers.sweep(clock(), options));
          lastSweep = result;
          if (result.events > 0) void webhooks.deliverDue();
          return result;
        } finally {
          sweepRunning = false;
        }
      });
    sweeping = sweepQueued;
    return sweepQueued;
  };
  // At most one apply waits behind the running one: calls meanwhile share it (a timer tick
  // during a long apply must not line up applies of a few messages each).
  let queued: Promise<ApplyResult | null> | null = null;
  const applyNow = () => {
    queued ??= running
      .catch(() => null)
      .then(() => {
        queued = null;
        return applyOnce();
      });
    running = queued;
    return queued;
  };
  // What the log holds beyond the checkpoint, before listening. A store that fails now is
  // reported and retried by the timer: the server starts, and the log keeps every record.
  await applyNow().catch(applyFailed);
  // The first start of a workspace's triggers records what holds without an event per membership.
  await sweepNow({ silentBaseline: true }).catch(sweepFailed);

  const relayInTurn = (relay: NonNullable<typeof options.cliRelay>): CliRelay => ({
    token: relay.token,
    run: async (command, emit) => {
      const { exitCode, imported } = await withStore(() => relay.run(command, emit));
      if (imported && exitCode === 0) await sweepNow().catch(sweepFailed);
      return exitCode;
    },
  });
  const app = await buildServer({
    keys,
    log,
    workspace: options.workspace,
    store: options.store,
    withStore,
    version,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    ...(options.cliRelay === undefined ? {} : { cliRelay: relayInTurn(options.cliRelay) }),
    activation,
    webhooks,
    scheduler,
    profiles,
    quarantine: applier.quarantine,
    applyNow,
    // Applied as soon as logged (one apply at a time); the timer only retries after failures.
    onLogged: () => {
      applyNow().catch(() => undefined);
    },
    health: () => ({
      applied,
      pending: last?.pending ?? applier.pendingCount(),
      quarantined: applier.quarantine.count,
      lastApply: last,
      lastTrigger,
      lastSweep,
      schedules: Object.keys(options.workspace.config.schedules).map((name) => ({
        name,
        next: scheduler.next(name),
      })),
      lastSchedule: scheduler.last && {
        schedule: scheduler.last.schedule,
        runId: scheduler.last.report.runId,
        events: scheduler.last.events,
      },
      failure,
    }),
  });
  const address = await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  const timer = setInterval(() => {
    applyNow().catch(applyFailed);
  }, options.applyEveryMs ?? 1000);
  const sweeper = setInterval(() => {
    // A tick while a sweep runs waits for the next: ticks must not pile sweeps up.
    if (sweepRunning || sweepQueued) return;
    // A failed sweep (even at start) is due again: the live memberships may be behind.
    if (triggers.sweepDue(clock()) || lastSweep === null) sweepNow().catch(sweepFailed);
  }, options.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS);
  webhooks.start();
  scheduler.start();
  // Keys created or revoked with `strata keys` while serving.
  const reload = setInterval(() => keys.reload(), 5000);

  const dashboardKey = keys.addEphemeral('read', 'dashboard');
  return {
    url: address,
    dashboardUrl: `${address}/#key=${dashboardKey}`,
    applyNow,
    sweepNow,
    async stop() {
      clearInterval(timer);
      clearInterval(sweeper);
      scheduler.stop();
      clearInterval(reload);
      // Every step runs whatever the one before did: a failing store must not keep the
      // process alive (what is not applied stays in the log for the next start).
      let unapplied: Error | null = null;
      try {
        await app.close();
        await applyNow().catch((error: Error) => {
          unapplied = error;
        });
        await sweeping.catch(() => null);
      } finally {
        await webhooks.stop().catch(() => undefined);
        await log.close().catch(() => undefined);
        activation.close();
      }
      return { unapplied };
    },
  };
}

function sum(a: ApplyResult, b: ApplyResult): ApplyResult {
  return {
    events: a.events + b.events,
    accounts: a.accounts + b.accounts,
    users: a.users + b.users,
    traitChanges: a.traitChanges + b.traitChanges,
    pending: b.pending,
    rejected: a.rejected + b.rejected,
    quarantined: a.quarantined + b.quarantined,
    seconds: a.seconds + b.seconds,
  };
}
