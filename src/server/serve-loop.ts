import { join } from 'node:path';
import { ActivationDb } from '../activate/activation-db.js';
import { Scheduler } from '../activate/schedules.js';
import { RealtimeSyncs } from '../activate/sync/realtime-sync.js';
import { type SweepResult, TriggerEngine, type TriggerResult } from '../activate/triggers.js';
import { WebhookSender } from '../activate/webhooks.js';
import { type ApplyResult, MessageApplier } from '../ingest/apply-messages.js';
import { type Position, readCheckpoint, WriteAheadLog, writeCheckpoint } from '../ingest/write-ahead-log.js';
import { redactSecrets } from '../redact.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { EventLoopDelay } from './event-loop-delay.js';
import { ProfileViews } from './profile-view.js';

/**
 * The state of a running `strata serve` beside its HTTP routes, in one object with a
 * lifecycle: `open` (the log, the activation file, the webhook sender), `catchUp` (what the
 * log holds beyond the checkpoint, and the triggers' first sweep), `startTimers`, `stop`.
 * It owns the one store connection's turns (`withStore`): reads, applies and sweeps take
 * turns. Triggers' live memberships are kept equal to a full run's: after each apply the
 * touched accounts are evaluated again; every account is (a sweep) on start, every
 * `sweepEveryMs` while a trigger's segment depends on time or ranks held in memory are behind
 * the data, and after each apply while one is ranked among accounts by the compiled query.
 */

export interface LoopOptions {
  readonly workspace: Workspace;
  readonly store: Store;
  /** Told after each apply that changed something. */
  readonly onApplied?: (result: ApplyResult) => void;
  readonly retryBaseMs?: number;
  readonly retryCapMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock: () => Date;
  /** Under a steady stream, apply passes start at most this often (default PASS_EVERY_MS). */
  readonly passEveryMs?: number;
}

/**
 * Passes start at most this often while messages keep coming. Each pays a fixed cost
 * whatever its size (the store's append with its duplicate check, the triggers' record with
 * its fsync: 20-60 ms of CPU at M), so passes run back to back at 1,000 messages a second
 * took most of a core; gathering 100 ms of messages a pass spreads that cost. A message
 * arriving after a quiet spell starts a pass at once, so it waits for none.
 */
export const PASS_EVERY_MS = 100;

type Settled<T> = Promise<T | null>;

export class ServeLoop {
  applied: Position;
  last: ApplyResult | null = null;
  failure: string | null = null;
  lastTrigger: TriggerResult | null = null;
  lastSweep: SweepResult | null = null;
  readonly scheduler: Scheduler;
  readonly profiles: ProfileViews;
  /** `sync: realtime` destinations, written as the triggers see accounts change. */
  readonly realtimeSyncs: RealtimeSyncs;
  private turn: Promise<unknown> = Promise.resolve();
  // One apply at a time; at most one waits behind the running one, and calls meanwhile share
  // it (a timer tick during a long apply must not line up applies of a few messages each).
  private running: Settled<ApplyResult> = Promise.resolve(null);
  private queued: Settled<ApplyResult> | null = null;
  // Sweeps likewise: the queued one starts after the calls that share it, so it sees their data and time.
  private sweeping: Settled<SweepResult> = Promise.resolve(null);
  private sweepQueued: Settled<SweepResult> | null = null;
  private sweepRunning = false;
  private readonly timers: NodeJS.Timeout[] = [];
  /** When the last apply pass started (performance.now()). */
  private passStartedAt = Number.NEGATIVE_INFINITY;
  /** How late the event loop ran callbacks (requests wait as long), for /health. */
  private readonly loopDelay = new EventLoopDelay();

  private constructor(
    private readonly options: LoopOptions,
    private readonly dir: string,
    readonly log: WriteAheadLog,
    readonly applier: MessageApplier,
    readonly activation: ActivationDb,
    readonly triggers: TriggerEngine,
    readonly webhooks: WebhookSender,
  ) {
    this.applied = readCheckpoint(dir);
    this.scheduler = new Scheduler(
      options.store,
      options.workspace,
      activation,
      this.withStore,
      options.env ?? process.env,
    );
    this.profiles = new ProfileViews(options.store, this.withStore);
    this.realtimeSyncs = new RealtimeSyncs(
      options.store,
      options.workspace,
      this.withStore,
      options.env ?? process.env,
    );
    this.scheduler.onImported = () => this.dataChanged();
    if (this.realtimeSyncs.active)
      triggers.onChanged = (accounts, at) => this.realtimeSyncs.changed(accounts, at);
  }

  /** Opens the log, the activation file and the webhook sender (closing what opened when one fails). */
  static async open(options: LoopOptions): Promise<ServeLoop> {
    const dir = join(options.workspace.dir, '.strata', 'ingest');
    const log = await WriteAheadLog.open(dir);
    const applier = new MessageApplier(options.store, dir, options.workspace.config.identity);
    const activation = await ActivationDb.open(join(options.workspace.dir, '.strata', 'activation.duckdb'));
    const triggers = new TriggerEngine(options.store, options.workspace, activation);
    try {
      const webhooks = new WebhookSender(activation, options.workspace, {
        ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
        ...(options.retryCapMs === undefined ? {} : { retryCapMs: options.retryCapMs }),
        ...(options.env === undefined ? {} : { env: options.env }),
      });
      return new ServeLoop(options, dir, log, applier, activation, triggers, webhooks);
    } catch (error) {
      activation.close();
      await log.close();
      throw error;
    }
  }

  /** One store connection: reads and applies take turns. */
  readonly withStore = <T>(work: () => Promise<T>): Promise<T> => {
    const result = this.turn.then(work, work);
    this.turn = result.catch(() => undefined);
    return result;
  };

  /** The log keeps every message; the next round tries again. */
  readonly applyFailed = (error: Error): null => {
    this.failure = redactSecrets(error.message);
    process.stderr.write(
      `strata serve: applying the log failed (it is kept, retried): ${redactSecrets(error.message)}\n`,
    );
    return null;
  };

  /** Ingestion must not wait on a sweep: a failed one is reported and tried again on the timer. */
  readonly sweepFailed = (error: Error): null => {
    this.failure = redactSecrets(error.message);
    process.stderr.write(
      `strata serve: sweeping the triggers' segments failed (retried): ${redactSecrets(error.message)}\n`,
    );
    return null;
  };

  /** Applies everything logged so far; resolves when it is in the store. */
  readonly applyNow = (): Settled<ApplyResult> => {
    this.queued ??= this.running
      .catch(() => null)
      .then(() => {
        this.queued = null;
        return this.applyOnce();
      });
    this.running = this.queued;
    return this.queued;
  };

  private async applyOnce(): Settled<ApplyResult> {
    let total: ApplyResult | null = null;
    const every = this.options.passEveryMs ?? PASS_EVERY_MS;
    for (;;) {
      let { records, next } = this.log.read(this.applied);
      const wait = this.passStartedAt + every - performance.now();
      if (records.length > 0 && wait > 0) {
        // Too soon after the last pass: what arrives meanwhile joins this one.
        await new Promise((resolve) => setTimeout(resolve, wait));
        ({ records, next } = this.log.read(this.applied));
      }
      if (records.length > 0) this.passStartedAt = performance.now();
      if (records.length === 0) {
        if (next.segment !== this.applied.segment || next.offset !== this.applied.offset) {
          this.applied = next;
          writeCheckpoint(this.dir, this.applied);
        }
        return total;
      }
      const { summary: result, touched } = await this.withStore(async () => {
        const applied = await this.applier.apply(records);
        // The profile API's copies of account rows this apply changed.
        await this.profiles.refresh(applied.changedAccounts);
        return applied;
      });
      // Triggers before the checkpoint: after a crash in between, the records are applied
      // again (changing nothing) and their accounts evaluated again (sending what was not).
      if (this.triggers.active) {
        const evaluated = await this.withStore(() => this.triggers.onApplied(touched, this.options.clock()));
        this.lastTrigger = evaluated;
        // Other accounts' ranks move with this data too (ranks held in memory wait for the timer).
        if (touched.size > 0 && this.triggers.sweepsEachApply) await this.sweepNow().catch(this.sweepFailed);
        // Delivered at once, not at the sender's next round.
        if (evaluated.events > 0) void this.webhooks.deliverDue();
      }
      this.applied = next;
      writeCheckpoint(this.dir, this.applied);
      this.log.dropBefore(this.applied);
      this.last = result;
      this.failure = null;
      this.options.onApplied?.(result);
      total = total ? sum(total, result) : result;
    }
  }

  /** Evaluates every account for the triggers' segments now (null without triggers). */
  readonly sweepNow = (options: { silentBaseline?: boolean } = {}): Settled<SweepResult> => {
    if (!this.triggers.active) return Promise.resolve(null);
    this.sweepQueued ??= this.sweeping
      .catch(() => null)
      .then(async () => {
        this.sweepQueued = null;
        this.sweepRunning = true;
        try {
          const slices = options.silentBaseline
            ? null
            : await this.triggers.sweepSlices(this.options.clock());
          const result = slices
            ? await this.sweepInSlices(slices)
            : await this.withStore(() => this.triggers.sweep(this.options.clock(), options));
          this.lastSweep = result;
          if (result.events > 0) void this.webhooks.deliverDue();
          return result;
        } finally {
          this.sweepRunning = false;
        }
      });
    this.sweeping = this.sweepQueued;
    return this.sweepQueued;
  };

  /**
   * After data arrived other than through the log (an import, a merge): the triggers' state
   * read again, then every account swept.
   */
  readonly dataChanged = async (): Promise<void> => {
    await this.withStore(() => this.triggers.reload(this.options.clock())).catch(this.sweepFailed);
    await this.sweepNow().catch(this.sweepFailed);
  };

  /**
   * A sweep from memory, a slice of accounts per turn of the store: an apply waits for one
   * slice (milliseconds), not for every account.
   */
  private async sweepInSlices(slices: readonly string[][]): Promise<SweepResult> {
    const started = performance.now();
    const total = { accounts: 0, entered: 0, exited: 0, events: 0 };
    let asOf = this.options.clock();
    for (const slice of slices) {
      const result = await this.withStore(() => {
        asOf = this.options.clock();
        return this.triggers.sweepSlice(slice, asOf);
      });
      total.accounts += result.accounts;
      total.entered += result.entered;
      total.exited += result.exited;
      total.events += result.events;
    }
    await this.withStore(() => this.triggers.afterSlices(asOf));
    return { asOf: asOf.toISOString(), ...total, seconds: (performance.now() - started) / 1000 };
  }

  /**
   * What the log holds beyond the checkpoint, before listening (a store that fails now is
   * reported and retried by the timer: the server starts, and the log keeps every record);
   * the first start of a workspace's triggers records what holds without an event per membership.
   */
  async catchUp(): Promise<void> {
    await this.applyNow().catch(this.applyFailed);
    await this.sweepNow({ silentBaseline: true }).catch(this.sweepFailed);
  }

  /**
   * The in-memory state of the segments triggers evaluate incrementally, read in a turn of the
   * store once the server listens (two minutes at a million accounts, while messages are
   * acknowledged into the log); then the apply timer (retries after failures), the sweeper,
   * the webhook sender and the scheduler. If the read fails, the first apply reads it.
   */
  startTimers(applyEveryMs: number, sweepEveryMs: number): void {
    void this.withStore(() => this.triggers.prepare(this.options.clock())).catch(this.sweepFailed);
    this.timers.push(
      setInterval(() => {
        this.applyNow().catch(this.applyFailed);
      }, applyEveryMs),
      setInterval(() => {
        // A tick while a sweep runs waits for the next: ticks must not pile sweeps up.
        if (this.sweepRunning || this.sweepQueued) return;
        // A failed sweep (even at start) is due again: the live memberships may be behind.
        if (this.triggers.sweepDue(this.options.clock()) || this.lastSweep === null)
          this.sweepNow().catch(this.sweepFailed);
      }, sweepEveryMs),
    );
    this.webhooks.start();
    this.scheduler.start();
  }

  /** What /health reports besides the log. */
  health() {
    const { scheduler } = this;
    return {
      applied: this.applied,
      pending: this.last?.pending ?? this.applier.pendingCount(),
      quarantined: this.applier.quarantine.count,
      lastApply: this.last,
      lastTrigger: this.lastTrigger,
      lastSweep: this.lastSweep,
      schedules: Object.keys(this.options.workspace.config.schedules).map((name) => ({
        name,
        next: scheduler.next(name).toISOString(),
      })),
      lastSchedule: scheduler.last && {
        schedule: scheduler.last.schedule,
        runId: scheduler.last.report.runId,
        events: scheduler.last.events,
        syncs: scheduler.last.syncs,
      },
      realtimeSyncs: [...this.realtimeSyncs.last.values()],
      eventLoop: this.loopDelay.last,
      failure: this.failure,
    };
  }

  /**
   * Stops the timers, then (after `closeHttp`) applies what is logged and waits for the last
   * sweep; closes the sender, the log and the activation file whatever failed before. When the
   * store fails, `unapplied` says why; the log keeps those records.
   */
  async stop(closeHttp: () => Promise<unknown>): Promise<{ unapplied: Error | null }> {
    for (const timer of this.timers) clearInterval(timer);
    this.loopDelay.stop();
    this.scheduler.stop();
    let unapplied: Error | null = null;
    try {
      await closeHttp();
      await this.applyNow().catch((error: Error) => {
        unapplied = error;
      });
      await this.sweeping.catch(() => null);
      await this.realtimeSyncs.stop();
    } finally {
      await this.webhooks.stop().catch(() => undefined);
      await this.log.close().catch(() => undefined);
      this.activation.close();
    }
    return { unapplied };
  }
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
