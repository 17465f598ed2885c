import { redactSecrets } from '../../redact.js';
import type { Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import { runSync } from './sync.js';

/**
 * `sync: realtime` in strata serve: the accounts a trigger sees enter or leave a segment are
 * written to each real-time destination at once, every mapped value evaluated at the
 * trigger's time (live-values.ts); a later scheduled sync never writes older values over them
 * (sync-state.ts keeps each record's values' time). One sync runs at a time, its store reads in
 * the server's turn; changes arriving meanwhile are gathered for the next. A destination whose
 * sync fails (the CRM down past its retries, credentials missing) keeps its accounts and is
 * tried again after 30 s, doubling to 10 minutes, while the others go on. At most LISTED
 * accounts are kept by name per destination; beyond that its next sync takes every account.
 */

export interface RealtimeSyncResult {
  readonly destination: string;
  /** The time the values were evaluated at (ISO). */
  readonly asOf: string;
  /** Accounts asked for; null: every account. */
  readonly accounts: number | null;
  readonly planned: number;
  readonly written: number;
  readonly failed: number;
  /** Why it stopped (its accounts wait for the retry), or null. */
  readonly error: string | null;
  /** When a failed sync is tried again (ISO), or null. */
  readonly retryAt: string | null;
}

const LISTED = 5000;
const RETRY_FIRST_MS = 30_000;
const RETRY_CAP_MS = 600_000;

/** Accounts waiting for a destination; null stands for every account. */
type Waiting = Set<string> | null;

export class RealtimeSyncs {
  /** Each destination's latest real-time sync. */
  readonly last = new Map<string, RealtimeSyncResult>();
  private readonly destinations: readonly string[];
  private readonly waiting = new Map<string, Waiting>();
  /** Destinations waiting out a failure: the accounts gathered meanwhile, and the timer. */
  private readonly backoff = new Map<string, { waiting: Waiting; timer: NodeJS.Timeout }>();
  /** Failures in a row, per destination. */
  private readonly failures = new Map<string, number>();
  private at = new Date(0);
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly workspace: Workspace,
    private readonly withStore: <T>(work: () => Promise<T>) => Promise<T>,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.destinations = Object.entries(workspace.config.destinations)
      .filter(([, destination]) => destination.sync === 'realtime')
      .map(([name]) => name);
  }

  get active(): boolean {
    return this.destinations.length > 0;
  }

  /** Accounts whose memberships changed at `at` (null: too many to name, every account). */
  changed(accounts: readonly string[] | null, at: Date): void {
    if (!this.active || this.stopped) return;
    if (at > this.at) this.at = at;
    for (const name of this.destinations) {
      const held = this.backoff.get(name);
      if (held) held.waiting = merge(held.waiting, accounts);
      else this.waiting.set(name, merge(this.pending(name), accounts));
    }
    this.kick();
  }

  /** Resolves when no sync runs and none waits (failed ones wait for their retry). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.backoff.values()) clearTimeout(timer);
    this.backoff.clear();
    await this.idle();
  }

  private pending(name: string): Waiting {
    return this.waiting.has(name) ? (this.waiting.get(name) ?? null) : new Set();
  }

  private kick(): void {
    if (this.running || this.stopped || this.waiting.size === 0) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    for (const [name, accounts] of this.waiting) {
      if (this.stopped) return;
      this.waiting.delete(name);
      const asOf = this.at;
      try {
        const outcome = await runSync(this.store, this.workspace, name, {
          env: this.env,
          storeTurn: this.withStore,
          live: { at: asOf, accounts: accounts === null ? null : [...accounts] },
        });
        this.last.set(name, {
          destination: name,
          asOf: asOf.toISOString(),
          accounts: accounts?.size ?? null,
          planned: outcome.planned,
          written: outcome.written,
          failed: outcome.failed,
          error: null,
          retryAt: null,
        });
        this.failures.delete(name);
      } catch (error) {
        // Kept in /health and written to stderr: a CRM's error text is bounded here whatever its size.
        const message = redactSecrets((error as Error).message).slice(0, 500);
        const retryAt = this.retryLater(name, accounts);
        this.last.set(name, {
          destination: name,
          asOf: asOf.toISOString(),
          accounts: accounts?.size ?? null,
          planned: 0,
          written: 0,
          failed: 0,
          error: message,
          retryAt: retryAt.toISOString(),
        });
        process.stderr.write(`strata serve: real-time sync ${name}: ${message} (tried again later)\n`);
      }
    }
  }

  /** Holds the accounts until the retry; returns its time. */
  private retryLater(name: string, accounts: Waiting): Date {
    const failures = (this.failures.get(name) ?? 0) + 1;
    this.failures.set(name, failures);
    const wait = Math.min(RETRY_CAP_MS, RETRY_FIRST_MS * 2 ** (failures - 1));
    const timer = setTimeout(() => {
      const held = this.backoff.get(name);
      this.backoff.delete(name);
      if (held) this.waiting.set(name, merge(this.pending(name), held.waiting));
      this.kick();
    }, wait);
    timer.unref();
    this.backoff.set(name, { waiting: accounts, timer });
    return new Date(Date.now() + wait);
  }
}

/** `into` with `more` added, null (every account) past LISTED or when either is null. */
function merge(into: Waiting, more: Iterable<string> | null): Waiting {
  if (into === null || more === null) return null;
  for (const account of more) into.add(account);
  return into.size > LISTED ? null : into;
}
