import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listMerges, survivorsOf } from '../identity/account-merges.js';
import { accountRows } from '../identity/account-rows.js';
import { type Touched, underSurvivors } from '../ingest/touched.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import type { ActivationDb } from './activation-db.js';
import { type Dependence, segmentDependence } from './dependence.js';
import { IncrementalSegments } from './incremental/incremental-segments.js';
import { LiveMemberships } from './live-memberships.js';
import { earliestAfter, exportRunFlags, runMemberships, segmentsOf, withFlags } from './trigger-query.js';
import type { MembershipEvent, SweepResult, TriggerResult } from './trigger-results.js';
import { Turns } from './turns.js';

/**
 * Real-time triggers: after each apply of the log, the accounts whose data changed are
 * evaluated again, for the segments of the triggers their changes match (an event or
 * trait the trigger names, or any change when it names none): in memory where the segment
 * allows it (incremental/), else by the same compiled query as a full run, filtered to those
 * accounts (DuckDB pushes the filter into each table's scan; percentile ranks still see
 * every account). Memberships that differ from the account's last known ones become
 * `segment.entered` / `segment.exited` events, queued for the webhooks subscribed to the
 * trigger. An account not seen before starts from its memberships in the latest run (none
 * when no run holds it).
 *
 * Memberships also change without an account's own data arriving: with time (a 30-day
 * window sliding past an event, `signedUpWithin`, days since the last event) and with
 * other accounts' data (percentile ranks). `sweep` evaluates every account for every
 * trigger's segments, the ranks held in memory computed again first, and records what
 * differs, so that the live memberships equal a full run's at the same data and time.
 */

export type { MembershipEvent, SweepResult, TriggerResult } from './trigger-results.js';

/**
 * Accounts a slice of a sweep in memory: an apply waits for the slice in progress (its
 * evaluation and its record, 10-20 ms at 1,000 accounts), and each slice pays one record.
 */
const SWEEP_SLICE = 1_000;

const NOTHING = { accounts: 0, entered: 0, exited: 0, events: 0, inMemory: 0 };

export class TriggerEngine {
  /** Every trigger's segments, and the triggers naming each. */
  private readonly bySegment = new Map<string, string[]>();
  /** Whether the triggers' segments change with time or other accounts' data. */
  readonly dependence: Dependence;
  /**
   * When the triggers' segments depend on neither: the time (epoch ms) a stored row dated
   * in the future becomes visible, after which a sweep is due; null when none is known.
   */
  private dueAt: number | null = null;
  /**
   * Told the accounts whose memberships an apply or a sweep changed (null: too many to list,
   * take every account), after they are recorded: real-time CRM syncs follow them.
   */
  onChanged: ((accounts: readonly string[] | null, at: Date) => void) | null = null;
  /** The trigger segments evaluated in memory, and the accounts' state for them. */
  readonly incremental: IncrementalSegments;
  /** The compiled query ranks accounts for segments not evaluated in memory. */
  private readonly sqlRanks: boolean;
  private readonly live: LiveMemberships;
  private liveRead = false;
  /** Merged-away accounts and their survivors (read with the live memberships, again after a merge). */
  private survivors: ReadonlyMap<string, string> = new Map();

  constructor(
    private readonly store: Store,
    private readonly workspace: Workspace,
    private readonly db: ActivationDb,
  ) {
    for (const [name, trigger] of Object.entries(workspace.config.triggers))
      for (const segment of trigger.segments)
        this.bySegment.set(segment, [...(this.bySegment.get(segment) ?? []), name]);
    this.dependence = segmentDependence(workspace, [...this.bySegment.keys()]);
    this.incremental = new IncrementalSegments(store, workspace, [...this.bySegment.keys()]);
    this.sqlRanks = segmentDependence(
      workspace,
      [...this.bySegment.keys()].filter((segment) => !this.incremental.segments.includes(segment)),
    ).others;
    this.live = new LiveMemberships(db);
  }

  /**
   * Reads every account's state for the segments evaluated in memory (two minutes at a
   * million accounts), unless read already; true when it read them now.
   */
  async prepare(now: Date): Promise<boolean> {
    // The live memberships too, once: an apply then compares with them without a query.
    if (this.active && !this.liveRead) {
      await this.live.load();
      this.survivors = survivorsOf(await listMerges(this.store));
      this.liveRead = true;
    }
    if (this.incremental.segments.length === 0 || this.incremental.ready || this.incremental.declined)
      return false;
    await this.incremental.load(now);
    if (this.incremental.declined)
      process.stderr.write(
        `strata serve: trigger segments are evaluated by SQL: ${this.incremental.declined}\n`,
      );
    return this.incremental.ready;
  }

  /**
   * Every account swept after each apply: the compiled query ranks accounts (ranks in memory
   * wait for the timer), or every segment is left to it (the state not held: too little heap).
   */
  get sweepsEachApply(): boolean {
    return this.incremental.declined ? this.dependence.others : this.sqlRanks;
  }

  get active(): boolean {
    return this.bySegment.size > 0;
  }

  /**
   * Whether a sweep at `now` can change a membership that `onApplied` left as it was: always
   * when a trigger's segment depends on time; when ranks held in memory are behind the data;
   * else only once a row dated in the future has become visible. (After data arrives for
   * segments ranked among accounts by the compiled query, the caller sweeps at once: see
   * `sweepsEachApply`.)
   */
  sweepDue(now: Date): boolean {
    if (!this.active) return false;
    if (this.dependence.time || this.incremental.ranks.stale) return true;
    return this.dueAt !== null && this.dueAt <= now.getTime();
  }

  /** Evaluates the touched accounts for the matching triggers and queues the changes. */
  async onApplied(applied: Touched, now: Date): Promise<TriggerResult> {
    const { triggers } = this.workspace.config;
    const started = performance.now();
    const read = await this.prepare(now);
    // Rows that name a merged-away account count for its survivor.
    const touched = underSurvivors(applied, this.survivors);
    // The in-memory state takes every change, whether or not a trigger asks about it now (a
    // state read now has this apply's rows already).
    if (!read) await this.incremental.update(touched, now);
    // Per account, the segments to look at and the triggers asking for each.
    const wanted = new Map<string, Map<string, Set<string>>>();
    for (const [name, trigger] of Object.entries(triggers))
      for (const [account, change] of touched) {
        const fires =
          (!trigger.events && !trigger.traits) ||
          (trigger.events?.some((event) => change.events.has(event)) ?? false) ||
          (trigger.traits?.some((trait) => change.traits.has(trait)) ?? false);
        if (!fires) continue;
        const segments = wanted.get(account) ?? new Map<string, Set<string>>();
        wanted.set(account, segments);
        for (const segment of trigger.segments) {
          const by = segments.get(segment) ?? new Set<string>();
          segments.set(segment, by.add(name));
        }
      }
    return this.settle(wanted, now, started);
  }

  /** Reads every account's state again, after data arrived other than through the log (an import, a merge). */
  async reload(now: Date): Promise<void> {
    if (this.liveRead) this.survivors = survivorsOf(await listMerges(this.store));
    if (this.incremental.ready) await this.incremental.load(now);
  }

  /**
   * The next sweep in slices of held accounts, each evaluated in memory and recorded in its
   * own turn of the store (applies go on between slices, and a slice is evaluated at its own
   * time), after the ranks held in memory are computed again at `now`; null when a sweep must
   * read the store: a segment not in memory, the state not held, or memberships that move only
   * when rows come due (found by the compiled query).
   */
  async sweepSlices(now: Date, size = SWEEP_SLICE): Promise<string[][] | null> {
    const all = [...this.bySegment.keys()];
    if (!this.dependence.time && this.incremental.ranks.empty) return null;
    if (!this.incremental.covers(now)) return null;
    if (!all.every((segment) => this.incremental.segments.includes(segment))) return null;
    await this.incremental.refreshRanks(now);
    return this.incremental.accountSlices(size);
  }

  /** After a sweep in slices: when a row dated later comes due, found once for every account. */
  async afterSlices(now: Date): Promise<void> {
    if (this.dependence.time) return;
    const rows = await accountRows(this.store, this.workspace.config.identity);
    this.dueAt = await earliestAfter(this.store, rows, null, now);
  }

  /** One slice of a sweep in memory: every trigger segment of these accounts, evaluated and recorded at `now`. */
  sweepSlice(accounts: readonly string[], now: Date): Promise<TriggerResult> {
    const wanted = new Map<string, Map<string, Set<string>>>();
    for (const account of accounts)
      wanted.set(account, new Map([...this.bySegment].map(([segment, names]) => [segment, new Set(names)])));
    return this.settle(wanted, now, performance.now(), false);
  }

  /** Evaluates accounts for the segments wanted of each, and records and queues what changed. */
  private async settle(
    /** Per account, the segments to look at and the triggers asking for each. */
    wanted: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>,
    now: Date,
    started: number,
    /** Find when their rows dated later come due (a sweep in slices does it once, after). */
    findDue = true,
  ): Promise<TriggerResult> {
    const { webhooks } = this.workspace.config;
    if (wanted.size === 0) return { ...NOTHING, evaluateSeconds: 0, recordSeconds: 0 };
    const accounts = [...wanted.keys()];
    const segments = [...new Set([...wanted.values()].flatMap((m) => [...m.keys()]))];
    const { current, rows, inMemory } = await this.current(accounts, segments, now);
    const previous = await this.live.of(accounts);
    const fromRun = await runMemberships(
      this.store,
      accounts.filter((a) => !previous.has(a)),
      segments,
    );
    const changes: { account: string; entered: string[]; exited: string[] }[] = [];
    const initial: { account: string; segments: string[] }[] = [];
    const events: { id: string; webhook: string; type: string; body: string }[] = [];
    let [entered, exited] = [0, 0];
    const turns = new Turns();
    for (const [account, bySegment] of wanted) {
      if (turns.due()) await turns.next();
      const now_ = current.get(account) ?? new Set<string>();
      let before = previous.get(account);
      if (!before) {
        before = fromRun.get(account) ?? new Set<string>();
        initial.push({ account, segments: [...before] });
      }
      const change = { account, entered: [] as string[], exited: [] as string[] };
      for (const [segment, triggerNames] of bySegment) {
        const was = before.has(segment);
        const is = now_.has(segment);
        if (was === is) continue;
        (is ? change.entered : change.exited).push(segment);
        const type = is ? 'segment.entered' : 'segment.exited';
        for (const triggerName of triggerNames)
          for (const [webhook, config] of Object.entries(webhooks)) {
            if (!config.triggers.includes(triggerName)) continue;
            const event: MembershipEvent = {
              id: randomUUID(),
              type,
              segment,
              accountId: account,
              source: `trigger:${triggerName}`,
              asOf: now.toISOString(),
            };
            events.push({ id: event.id, webhook, type, body: JSON.stringify(event) });
          }
      }
      entered += change.entered.length;
      exited += change.exited.length;
      if (change.entered.length + change.exited.length > 0) changes.push(change);
    }
    const evaluated = performance.now();
    await this.db.record(changes, initial, events, now.getTime());
    this.live.recorded(changes, initial);
    if (changes.length > 0)
      this.onChanged?.(
        changes.map((change) => change.account),
        now,
      );
    // Rows of these accounts dated after now are seen by no evaluation yet.
    if (!this.dependence.time && findDue) {
      const due = await earliestAfter(
        this.store,
        rows ?? (await accountRows(this.store, this.workspace.config.identity, { accounts })),
        accounts,
        now,
      );
      if (due !== null) this.dueAt = this.dueAt === null ? due : Math.min(this.dueAt, due);
    }
    return {
      accounts: accounts.length,
      inMemory,
      entered,
      exited,
      events: events.length,
      evaluateSeconds: (evaluated - started) / 1000,
      recordSeconds: (performance.now() - evaluated) / 1000,
    };
  }

  /**
   * Every account evaluated at `now` for every trigger's segments, and the difference from
   * the live memberships recorded, with an event for each trigger naming a changed segment.
   * The flags travel from the store to the activation database as a CSV written by the
   * store's engine (one row of 1s and 0s per account), and are compared there in SQL: no
   * row passes through JavaScript.
   */
  async sweep(now: Date, options: { readonly silentBaseline?: boolean } = {}): Promise<SweepResult> {
    const started = performance.now();
    const segments = [...this.bySegment.keys()];
    if (segments.length === 0)
      return { asOf: now.toISOString(), accounts: 0, entered: 0, exited: 0, events: 0, seconds: 0 };
    const routes = segments.flatMap((segment) =>
      (this.bySegment.get(segment) ?? []).flatMap((trigger) =>
        Object.entries(this.workspace.config.webhooks)
          .filter(([, config]) => config.triggers.includes(trigger))
          .map(([webhook]) => ({ segment, source: `trigger:${trigger}`, webhook })),
      ),
    );
    const dir = mkdtempSync(join(tmpdir(), 'strata-sweep-'));
    try {
      const current = join(dir, 'current.csv');
      // From memory when every segment is evaluated there; else by the compiled query.
      const inMemory =
        this.incremental.covers(now) && segments.every((s) => this.incremental.segments.includes(s));
      // The ranks held in memory computed again at the sweep's time, so that touched accounts
      // are ranked against current values until the next sweep.
      if (this.incremental.covers(now)) await this.incremental.refreshRanks(now);
      const rows = inMemory ? null : await accountRows(this.store, this.workspace.config.identity);
      if (rows)
        await withFlags(this.store, this.workspace, segments, now, rows, (relation) =>
          this.store.exportFile(this.store.dialect.sql`SELECT * FROM ${relation} flags`, current, 'csv'),
        );
      else await this.incremental.writeFlags(current, segments, now);
      this.live.forget();
      const { changed, ...counts } = await this.db.sweep({
        file: current,
        segments,
        routes,
        now,
        ...(options.silentBaseline ? { silentBaseline: true } : {}),
        // Accounts the triggers have not seen start from the latest run, as in onApplied.
        baseline: async () => {
          const file = join(dir, 'run.csv');
          return (await exportRunFlags(this.store, segments, file)) ? file : null;
        },
      });
      this.dueAt = this.dependence.time
        ? null
        : await earliestAfter(
            this.store,
            rows ?? (await accountRows(this.store, this.workspace.config.identity)),
            null,
            now,
          );
      // Read again unless sweeps follow every apply (ranks by SQL): then each apply asks the file.
      if (this.liveRead && !this.sweepsEachApply) await this.live.load();
      if (counts.entered + counts.exited > 0) this.onChanged?.(changed, now);
      return { asOf: now.toISOString(), ...counts, seconds: (performance.now() - started) / 1000 };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * The segments (of `segments`) each account is in at `now`: in memory where the segment and
   * the account's state allow, else by the compiled query (with the rows it read).
   */
  private async current(accounts: readonly string[], segments: readonly string[], now: Date) {
    const held = this.incremental.covers(now);
    const inMemory = held ? segments.filter((s) => this.incremental.segments.includes(s)) : [];
    const bySql = segments.filter((s) => !inMemory.includes(s));
    const current = new Map<string, Set<string>>();
    const missing: string[] = [];
    // A sweep's slice is thousands of accounts: requests get in every few milliseconds.
    const turns = new Turns();
    for (const account of accounts) {
      if (turns.due()) await turns.next();
      const members = inMemory.length > 0 ? this.incremental.members(account, now, inMemory) : null;
      if (members) current.set(account, members);
      else missing.push(account);
    }
    if (bySql.length === 0 && missing.length === 0) return { current, rows: null, inMemory: accounts.length };
    // The accounts' rows, read once for their evaluation and their next due time; scoped to
    // them unless a segment compares accounts (ranks, roll-ups need every value).
    const rows = await accountRows(
      this.store,
      this.workspace.config.identity,
      this.dependence.others ? {} : { accounts },
    );
    // Accounts whose state is not held need every segment; the others only those not in memory.
    const found = await segmentsOf(
      this.store,
      this.workspace,
      accounts,
      missing.length > 0 ? segments : bySql,
      now,
      rows,
    );
    for (const account of accounts) {
      const bySqlHere = found.get(account) ?? new Set<string>();
      const mine = current.get(account);
      if (!mine) current.set(account, bySqlHere);
      else for (const segment of bySql) if (bySqlHere.has(segment)) mine.add(segment);
    }
    return { current, rows, inMemory: accounts.length - missing.length };
  }
}
