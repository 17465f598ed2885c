import { open } from 'node:fs/promises';
import { getHeapStatistics } from 'node:v8';
import type { Touched } from '../../ingest/touched.js';
import { parseInstant } from '../../model/instant.js';
import type { Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import { Turns } from '../turns.js';
import { type AccountState, firstAfter, loadStates, type StreamState } from './account-state.js';
import { type IncrementalNeeds, incrementalNeeds } from './incremental-needs.js';
import { RankTables } from './rank-tables.js';
import { StateEvaluator } from './state-evaluator.js';

const DAY_US = 86_400_000_000;

/**
 * Heap an account takes in a server: its state for a health score and a count held, 1.6-1.7
 * KiB at M and at L (bench/trigger-state.ts), the profile view's copy of its run, 0.73 KiB at L
 * (loaded at the first profile request), and room for the rows in passage while they load.
 */
const BYTES_PER_ACCOUNT = 4 * 1024;

/**
 * Why every account's state would not fit in what is left of the JavaScript heap (with a
 * fifth kept free), or null when it fits: at a million accounts the state and the profile
 * view outgrow Node's default limit (4 GiB on a 24 GiB machine), which ends the process.
 */
export function heapShortfall(
  accounts: number,
  heap: { readonly limit: number; readonly used: number } = {
    limit: getHeapStatistics().heap_size_limit,
    used: getHeapStatistics().used_heap_size,
  },
): string | null {
  const { limit, used } = heap;
  const need = accounts * BYTES_PER_ACCOUNT;
  if (need <= (limit - used) * 0.8) return null;
  const mib = (bytes: number) => Math.ceil(bytes / 2 ** 20);
  // What would leave a fifth free with the state held, in whole GiB.
  const wanted = Math.ceil(mib(used + need / 0.8) / 1024) * 1024;
  return `holding ${accounts} accounts' state in memory needs about ${mib(need)} MiB of JavaScript heap, and ${mib(limit - used)} MiB of the ${mib(limit)} MiB limit is left; start the server with NODE_OPTIONS=--max-old-space-size=${wanted} to evaluate them in memory`;
}

/** How each trigger segment is kept current while `strata serve` runs (for `strata plan` and /health). */
export interface SegmentMode {
  readonly segment: string;
  readonly incremental: boolean;
  /** Why not, when not. */
  readonly reason: string | null;
}

/**
 * The trigger segments that can be evaluated in memory, and every account's state for them:
 * loaded from the store once (`load`), then kept current after each apply (`update`): new
 * events that name their account are added as they are; an account with any other change
 * (traits, a user linked, an event counted through its user, a copy of a stored event) is
 * read again from the store, in one query per table for all such accounts of the apply.
 * Membership of a touched account is then a few microseconds of TypeScript
 * (`members`), with the compiled SQL's meaning (state-evaluator.ts).
 */
export class IncrementalSegments {
  readonly modes: readonly SegmentMode[];
  /** The segments evaluated in memory. */
  readonly segments: readonly string[];
  private readonly needs: IncrementalNeeds | null;
  private readonly evaluator: StateEvaluator;
  /** Percentile ranks among accounts, refreshed by `refreshRanks` (each sweep). */
  readonly ranks: RankTables;
  private states: Map<string, AccountState> | null = null;
  /** Account fields the identity rules read (its domains, its ids elsewhere): a change may move events. */
  private readonly identityTraits: ReadonlySet<string>;
  /** The latest load (µs): evaluations before it would miss rows older than a horizon. */
  private loadedAt = 0;
  /** Why the states are not held though the segments allow it (too little heap), else null. */
  declined: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly workspace: Workspace,
    triggerSegments: readonly string[],
  ) {
    this.modes = triggerSegments.map((segment) => {
      const verdict = incrementalNeeds(workspace, [segment]);
      return {
        segment,
        incremental: verdict.incremental,
        reason: verdict.incremental ? null : verdict.reason,
      };
    });
    this.segments = this.modes.filter((mode) => mode.incremental).map((mode) => mode.segment);
    const all = incrementalNeeds(workspace, this.segments);
    this.needs = this.segments.length > 0 && all.incremental ? all.needs : null;
    this.ranks = new RankTables(this.needs?.ranked ?? new Set());
    this.identityTraits = new Set(['domain', 'domains', ...workspace.config.identity.accountIds]);
    this.evaluator = new StateEvaluator(
      workspace,
      store.dialect.name === 'clickhouse' ? 'clickhouse' : 'duckdb',
      this.ranks,
    );
  }

  get ready(): boolean {
    return this.states !== null;
  }

  /**
   * Every account's state as the store holds it at `now`, unless the JavaScript heap has too
   * little room left for it (then `declined` says why, and the compiled query evaluates).
   */
  async load(now: Date): Promise<void> {
    if (!this.needs) return;
    if (!this.ready) {
      const sql = this.store.dialect.sql;
      const [row] = await this.store.query<{ n: number | bigint }>(sql`SELECT count(*) AS n FROM accounts`);
      this.declined = heapShortfall(Number(row?.n ?? 0));
      if (this.declined) return;
    }
    const at = now.getTime() * 1000;
    this.states = await loadStates(this.store, this.workspace.config.identity, this.needs, at, null);
    this.loadedAt = at;
    await this.refreshRanks(now);
  }

  /**
   * Every held account's values of the ranked metrics at `now`, computed in stretches of a
   * few milliseconds with requests let in between (100,000 accounts take about 0.25 s), then
   * held as the ranks' new basis. Applies may run between stretches: an account
   * they touch is ranked at its own time then, and its value here is the one read when its
   * stretch came.
   */
  async refreshRanks(now: Date): Promise<void> {
    const states = this.states;
    if (!states || this.ranks.empty) return;
    const at = now.getTime() * 1000;
    // Data arriving while this runs makes the ranks stale again (see `update`).
    this.ranks.stale = false;
    const values = new Map<string, ReadonlyMap<string, number | null>>();
    const turns = new Turns();
    for (const [account, state] of states) {
      if (state.createdAt !== null && state.createdAt <= at)
        values.set(account, this.evaluator.values(account, state, at, this.ranks.metrics));
      if (turns.due()) await turns.next();
    }
    this.ranks.replaceAll(values, at);
  }

  /** Whether an evaluation at `now` can be made from the states (the clock never went back past a load). */
  covers(now: Date): boolean {
    return this.states !== null && now.getTime() * 1000 >= this.loadedAt;
  }

  /**
   * Takes an apply's changes: adds the events that arrived for accounts with nothing else
   * changed, and reads the other touched accounts again (merged accounts drop out).
   */
  async update(touched: Touched, now: Date): Promise<void> {
    const states = this.states;
    if (!states || !this.needs) return;
    const reread: string[] = [];
    /** Accounts whose rows but events changed: read again but for their events, which take `arrived`. */
    const rows: string[] = [];
    const at = now.getTime() * 1000;
    for (const [account, change] of touched) {
      const state = states.get(account);
      if (state && change.only && this.add(state, change.arrived, at)) continue;
      const identity = [...change.traits].some((trait) => this.identityTraits.has(trait));
      (state && change.eventsKnown && !identity ? rows : reread).push(account);
    }
    // Times kept one by one are folded into totals as they leave every window: later
    // evaluations are never before `now`.
    this.loadedAt = Math.max(this.loadedAt, at);
    if (rows.length > 0) {
      const fresh = await loadStates(this.store, this.workspace.config.identity, this.needs, at, rows, false);
      for (const account of rows) {
        const [state, old] = [fresh.get(account), states.get(account) as AccountState];
        // The events as held, each stream's horizon where it was.
        const kept = state && { ...state, loadedAt: old.loadedAt, streams: old.streams };
        if (kept && this.add(kept, touched.get(account)?.arrived ?? [], at)) states.set(account, kept);
        else reread.push(account);
      }
    }
    if (reread.length > 0) {
      const fresh = await loadStates(this.store, this.workspace.config.identity, this.needs, at, reread);
      for (const account of reread) {
        const state = fresh.get(account);
        if (state) states.set(account, state);
        else states.delete(account);
      }
    }
    // Marked once every change is in: a refresh of the ranks that ran meanwhile (a sweep's,
    // between turns of the store) may have missed some, and the next sweep takes them.
    if (touched.size > 0 && !this.ranks.empty) this.ranks.stale = true;
  }

  /**
   * Adds arrived events to their streams, and folds the times that no window reaches any
   * more at `now` (µs) into the totals, so an account's kept times stay within its longest
   * window however long the server runs. False when an event's time cannot be read (the
   * account is read again).
   */
  private add(state: AccountState, arrived: TouchedAccountEvents, now: number): boolean {
    const needs = this.needs as IncrementalNeeds;
    const times = arrived.map((event) => parseInstant(event.ts));
    if (times.some((t) => t === null)) return false;
    const touched = new Set<string>();
    arrived.forEach((event, i) => {
      const us = times[i] as number;
      // An event named `any` is in the one stream of every event, once.
      for (const name of new Set([event.event, 'any'])) {
        const days = needs.streams.get(name);
        if (days === undefined) continue;
        let stream = state.streams.get(name);
        if (!stream) {
          stream = { oldCount: 0, oldFirst: null, oldLast: null, recent: [] };
          state.streams.set(name, stream);
        }
        touched.add(name);
        if (us <= state.loadedAt - days * DAY_US) fold(stream, us);
        else stream.recent.splice(firstAfter(stream.recent, us), 0, us);
      }
    });
    for (const name of touched) {
      const stream = state.streams.get(name) as StreamState;
      const gone = firstAfter(stream.recent, now - (needs.streams.get(name) as number) * DAY_US);
      for (const us of stream.recent.splice(0, gone)) fold(stream, us);
    }
    return true;
  }

  /** Of `segments` (all in `this.segments`), those the account is in at `now`; null when its state is not held. */
  members(account: string, now: Date, segments: readonly string[]): Set<string> | null {
    const state = this.states?.get(account);
    if (!state) return null;
    return this.evaluator.members(account, state, now.getTime() * 1000, segments);
  }

  /**
   * A sweep's flags from memory: `file` gets a CSV of `account_id` and a 1/0 flag `s<i>` per
   * segment (all of them in `this.segments`) for every held account existing at `now`, as
   * the compiled query's sweep writes it. Written 5,000 accounts at a time, with requests
   * let in every few milliseconds (a million accounts take seconds). Returns the accounts written.
   */
  async writeFlags(file: string, segments: readonly string[], now: Date): Promise<number> {
    const states = this.states as Map<string, AccountState>;
    const at = now.getTime() * 1000;
    const out = await open(file, 'w');
    try {
      let lines = [`account_id${segments.map((_, i) => `,s${i}`).join('')}`];
      let written = 0;
      const turns = new Turns();
      for (const [account, state] of states) {
        if (turns.due()) await turns.next();
        if (state.createdAt === null || state.createdAt > at) continue;
        const members = this.evaluator.members(account, state, at, segments);
        lines.push(
          `"${account.replaceAll('"', '""')}"${segments.map((s) => (members.has(s) ? ',1' : ',0')).join('')}`,
        );
        written++;
        if (lines.length >= 5_000) {
          await out.write(`${lines.join('\n')}\n`);
          lines = [];
        }
      }
      if (lines.length > 0) await out.write(`${lines.join('\n')}\n`);
      return written;
    } finally {
      await out.close();
    }
  }

  /** The held accounts in slices of `size`, for a sweep in slices. */
  accountSlices(size: number): string[][] {
    const slices: string[][] = [];
    let slice: string[] = [];
    for (const account of this.states?.keys() ?? []) {
      slice.push(account);
      if (slice.length >= size) {
        slices.push(slice);
        slice = [];
      }
    }
    if (slice.length > 0) slices.push(slice);
    return slices;
  }

  /** How many accounts' states are held. */
  get size(): number {
    return this.states?.size ?? 0;
  }
}

type TouchedAccountEvents = readonly { readonly event: string; readonly ts: string }[];

/** A time into a stream's totals. */
function fold(stream: StreamState, us: number): void {
  stream.oldCount++;
  stream.oldFirst = stream.oldFirst === null ? us : Math.min(stream.oldFirst, us);
  stream.oldLast = stream.oldLast === null ? us : Math.max(stream.oldLast, us);
}
