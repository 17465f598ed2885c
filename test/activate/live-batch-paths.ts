import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ActivationDb } from '../../src/activate/activation-db.js';
import { TriggerEngine } from '../../src/activate/triggers.js';
import { segmentColumn } from '../../src/compile/compile-workspace.js';
import { runTableName } from '../../src/engine/run-snapshot.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { MessageApplier } from '../../src/ingest/apply-messages.js';
import { toLogged } from '../../src/ingest/segment-messages.js';
import { parseInstant } from '../../src/model/instant.js';
import { TABLE_NAMES } from '../../src/model/tables.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace, type Workspace } from '../../src/workspace/load-workspace.js';
import { clickhouse } from '../helpers/clickhouse.js';
import { testSql } from '../helpers/sql.js';

/*
 * The two paths of test/activate/realtime-batch.test.ts, which must give the same
 * memberships for the same data at the same instant. Path A takes Segment messages through
 * the ingestion code (`toLogged`, the applier) and the trigger engine (`onApplied` for the
 * accounts whose data arrives, `sweep` for every account), as `strata serve` does; path B
 * imports the same rows as NDJSON files with the importer into a second workspace and
 * runs it (`runWorkspace`), as `strata import` and `strata run` do.
 */

export const DUCKDB = '{ engine: duckdb, path: .strata/strata.duckdb }';
export const WORKSPACE = `metrics:
  logins_30d: { count: { event: login }, within: 30d }
segments:
  active: { where: { performed: login, within: 30d, atLeast: 2 } }
  dormant: { where: { notPerformed: login, within: 30d } }
  new_signup: { where: { signedUpWithin: 14d } }
  march_cohort: { where: { metric: signup_month, eq: "2024-03" } }
  q2_cohort: { where: { metric: signup_quarter, eq: "2024-Q2" } }
  top_users: { where: { top: 20%, by: logins_30d } }
  seen_recently: { where: { lastSeen: any, after: 30d } }
  active_new: { where: { all: [ { segment: active }, { segment: new_signup } ] } }
  top_active: { parent: active, where: { top: 20%, by: logins_30d } }
triggers:
  watch: { segments: [active, dormant, new_signup, march_cohort, q2_cohort, top_users, seen_recently, active_new, top_active] }
webhooks:
  sink: { url: "http://127.0.0.1:9/never-called", secretEnv: SINK_SECRET, triggers: [watch], allowPrivate: true }
`;
/**
 * The generated worlds' workspace: the same, with a health score, changes over a window,
 * a trait read as of the time, a parent, and ranks of the score (a bottom 30%, a percentile
 * metric compared), which the trigger engine evaluates in memory.
 */
export const EXTENDED = WORKSPACE.replace(
  'metrics:\n',
  `metrics:
  logins_trend: { change: logins_30d, within: 14d }
  health: { score: [ { metric: logins_30d, weight: 0.7, bad: 0, good: 3 }, { metric: tenure_days, weight: 0.3, bad: 0, good: 20 } ] }
  health_rank: { percentile: health }
`,
)
  .replace(
    'segments:\n',
    `segments:
  healthy: { where: { metric: health, gte: 50 } }
  cooling: { where: { metric: logins_30d, dropBy: 1, within: 14d } }
  rising: { where: { metric: logins_trend, gt: 0 } }
  enterprise_active: { parent: active, where: { trait: plan, eq: enterprise } }
  growing_late: { where: { any: [ { metric: tenure_days, between: [3, 16] }, { lastSeen: login, before: 2024-03-20 } ] } }
  low_health: { where: { bottom: 30%, by: health } }
  upper_half: { parent: healthy, where: { metric: health_rank, gte: 50 } }
`,
  )
  .replace(
    'segments: [active,',
    'segments: [healthy, cooling, rising, enterprise_active, growing_late, low_health, upper_half, active,',
  );
export const EXTENDED_SEGMENTS = [
  'healthy',
  'cooling',
  'rising',
  'enterprise_active',
  'growing_late',
  'low_health',
  'upper_half',
] as const;

export const SEGMENTS = [
  'active',
  'dormant',
  'new_signup',
  'march_cohort',
  'q2_cohort',
  'top_users',
  'seen_recently',
  'active_new',
  'top_active',
] as const;

/** An account's signup (group call) or a login / other event (track call), as sent. */
export type Message =
  | { kind: 'group'; account: string; createdAt: string; plan: string; id: string }
  | { kind: 'plan'; account: string; plan: string; at: string; id: string }
  /**
   * `linked`: the call names its account (context.groupId); else only its user, whom a group call
   * links. `byDomain`: sent by the account's domain user instead, whom nothing but the email's
   * domain links (identify without a group), never with a context.groupId.
   */
  | {
      kind: 'track';
      account: string;
      event: string;
      ts: string;
      id: string;
      linked: boolean;
      byDomain?: boolean;
    }
  /** The domain user (d-<account>, d@<account>.example) identifies itself, without a group. */
  | { kind: 'identify'; account: string; at: string; id: string };

/** The user a domain links to `account`, and its email. */
export const domainUser = (account: string) => ({ userId: `d-${account}`, email: `d@${account}.example` });

/** The Segment message a client would send for it. */
export function segmentMessage(message: Message): Record<string, unknown> {
  const userId = `u-${message.account}`;
  if (message.kind === 'group')
    return {
      type: 'group',
      messageId: message.id,
      userId,
      groupId: message.account,
      traits: {
        name: message.account,
        createdAt: message.createdAt,
        plan: message.plan,
        domain: `${message.account}.example`,
      },
      timestamp: message.createdAt,
    };
  if (message.kind === 'identify') {
    const { userId, email } = domainUser(message.account);
    return { type: 'identify', messageId: message.id, userId, traits: { email }, timestamp: message.at };
  }
  if (message.kind === 'plan')
    return {
      type: 'group',
      messageId: message.id,
      userId,
      groupId: message.account,
      traits: { plan: message.plan },
      timestamp: message.at,
    };
  return {
    type: 'track',
    messageId: message.id,
    userId: message.byDomain ? domainUser(message.account).userId : userId,
    event: message.event,
    ...(message.linked && !message.byDomain ? { context: { groupId: message.account } } : {}),
    timestamp: message.ts,
  };
}

export type Memberships = Map<string, Set<string>>;

/** A workspace folder (strata.yaml written) with its store open. */
export interface Opened {
  readonly dir: string;
  readonly workspace: Workspace;
  readonly store: Store;
}

export async function openWorkspace(dir: string, store = DUCKDB, text = WORKSPACE): Promise<Opened> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'strata.yaml'), `store: ${store}\n${text}`);
  const workspace = loadWorkspace(dir);
  return { dir, workspace, store: await openStore(workspace) };
}

/** Empties a store for the next generated world: opening a DuckDB file costs more than a run. */
export async function wipe(store: Store): Promise<void> {
  for (const table of [...TABLE_NAMES, 'strata_runs', 'strata_changes'])
    await store.execute(testSql(`DELETE FROM ${store.dialect.quoteIdentifier(table)}`));
}

/** Path A: messages through the ingestion code and the trigger engine, as `strata serve` applies them. */
export class LivePath {
  /** Accounts the trigger engine evaluated, and how many of them in memory, over every feed. */
  readonly evaluated = { accounts: 0, inMemory: 0 };
  private constructor(
    readonly db: ActivationDb,
    readonly applier: MessageApplier,
    readonly engine: TriggerEngine,
  ) {}

  /** The server's state (log folder, activation database) in `state`, a fresh folder. */
  static async start({ workspace, store }: Opened, state: string): Promise<LivePath> {
    const ingest = join(state, 'ingest');
    mkdirSync(ingest, { recursive: true });
    const db = await ActivationDb.open(join(state, 'activation.duckdb'));
    return new LivePath(db, new MessageApplier(store, ingest), new TriggerEngine(store, workspace, db));
  }

  /** Applies the messages (validated as the API does) and evaluates the touched accounts at `now`. */
  async feed(messages: readonly Message[], now: Date): Promise<string[]> {
    const received = new Date('2026-01-01T00:00:00Z');
    const logged = messages.map((m, i) => toLogged(segmentMessage(m), null, received, `batch[${i}]`));
    const { touched } = await this.applier.apply(logged);
    const result = await this.engine.onApplied(touched, now);
    this.evaluated.accounts += result.accounts;
    this.evaluated.inMemory += result.inMemory;
    return [...touched.keys()];
  }

  live(accounts: readonly string[]): Promise<Memberships> {
    return this.db.memberships(accounts);
  }

  /** Per account and segment: segment.entered events minus segment.exited events in the outbox. */
  async eventBalance(): Promise<Map<string, number>> {
    const balance = new Map<string, number>();
    for (const row of await this.db.list({ limit: 100_000 })) {
      const body = JSON.parse(row.body) as { type: string; segment: string; accountId: string; id: string };
      expect(body.id).toBe(row.id);
      const key = `${body.accountId}/${body.segment}`;
      balance.set(key, (balance.get(key) ?? 0) + (body.type === 'segment.entered' ? 1 : -1));
    }
    return balance;
  }

  close() {
    this.db.close();
  }
}

/** Path B: the same rows imported from NDJSON files by the importer (into `files`), then full runs. */
export class BatchPath {
  private written = 0;
  private readonly accounts = new Map<string, Record<string, unknown>>();
  /** Accounts a group call has named (so their users' calls find them), events stored, events waiting for that. */
  private readonly linked = new Set<string>();
  private readonly stored = new Set<string>();
  private readonly identified = new Set<string>();
  private waiting: Message[] = [];
  constructor(
    readonly opened: Opened,
    readonly files: string,
  ) {
    mkdirSync(files, { recursive: true });
  }

  /**
   * Imports what the messages say, as the API would have stored them: accounts as their
   * latest state; events as sent, once per id, and a user's events only once a group call
   * has linked the user to the account (until then the API keeps them waiting).
   */
  async importRows(messages: readonly Message[]) {
    const { accounts } = this;
    const changed = new Set<string>();
    const events: Record<string, unknown>[] = [];
    const users: Record<string, unknown>[] = [];
    // As the API records a group call's traits: a history row for each value that changed.
    const history: Record<string, unknown>[] = [];
    const store = (m: Extract<Message, { kind: 'track' }>) => {
      if (this.stored.has(m.id)) return;
      this.stored.add(m.id);
      events.push({
        event_id: m.id,
        // The domain user's calls name no account: its links say where they count.
        account_id: m.byDomain ? '' : m.account,
        user_id: m.byDomain ? domainUser(m.account).userId : `u-${m.account}`,
        event: m.event,
        ts: m.ts,
      });
    };
    for (const m of messages) {
      if (m.kind === 'track') {
        if (m.linked || m.byDomain || this.linked.has(m.account)) store(m);
        else this.waiting.push(m);
        continue;
      }
      if (m.kind === 'identify') {
        // As the API stores it: created at its first call (a retry changes nothing), no account.
        const { userId, email } = domainUser(m.account);
        if (!this.identified.has(userId))
          users.push({ user_id: userId, account_id: '', email, created_at: m.at });
        this.identified.add(userId);
        continue;
      }
      this.linked.add(m.account);
      const before = accounts.get(m.account);
      const at = parseInstant(m.kind === 'group' ? m.createdAt : m.at);
      // Two changes at one instant in one file: the importer keeps the first (the key is the time).
      const sameInstant = history.some((row) => row.account_id === m.account && row.us === at);
      if ((!before || before.plan !== m.plan) && !sameInstant)
        history.push({
          us: at,
          account_id: m.account,
          trait: 'plan',
          value: m.plan,
          ts: m.kind === 'group' ? m.createdAt : m.at,
          source: 'api',
        });
      const row =
        m.kind === 'group'
          ? {
              ...before,
              account_id: m.account,
              name: m.account,
              created_at: m.createdAt,
              plan: m.plan,
              domain: `${m.account}.example`,
            }
          : // A plan call before any signup call: the API takes the call's time as the signup.
            { ...before, account_id: m.account, plan: m.plan, created_at: before?.created_at ?? m.at };
      accounts.set(m.account, row);
      changed.add(m.account);
    }
    // A waiting call whose user a later call of the batch linked is stored with the batch.
    const waited = this.waiting;
    this.waiting = [];
    for (const m of waited)
      if (m.kind === 'track' && this.linked.has(m.account)) store(m);
      else this.waiting.push(m);
    const write = async (
      table: 'accounts' | 'events' | 'users' | 'trait_history',
      rows: readonly Record<string, unknown>[],
    ) => {
      if (rows.length === 0) return;
      const file = join(this.files, `${table}-${this.written++}.ndjson`);
      writeFileSync(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
      const result = await this.opened.store.importFile({ table, file, format: 'ndjson' });
      expect(result.skipped).toBe(0);
    };
    await write(
      'accounts',
      [...changed].map((id) => accounts.get(id) as Record<string, unknown>),
    );
    await write('users', users);
    await write('events', events);
    await write(
      'trait_history',
      history.map(({ us: _, ...row }) => row),
    );
  }

  /** Each account's segments (of `segments`) in a full run at `asOf`. */
  async run(asOf: Date, segments: readonly string[] = SEGMENTS): Promise<Memberships> {
    const { store, workspace } = this.opened;
    const { runId } = await runWorkspace(store, workspace, asOf);
    const q = store.dialect.quoteIdentifier;
    const rows = await store.query<Record<string, unknown>>(
      testSql(
        `SELECT account_id, ${segments.map((s, i) => `${q(segmentColumn(s))} AS s${i}`).join(', ')} FROM ${q(runTableName(runId))}`,
      ),
    );
    return new Map(
      rows.map((row) => [
        String(row.account_id),
        new Set(segments.filter((_, i) => Number(row[`s${i}`]) === 1)),
      ]),
    );
  }
}

/** Where live and batch memberships differ, one line each ("acme: active live=true run=false"). */
export function differences(
  accounts: Iterable<string>,
  live: Memberships,
  run: Memberships,
  segments: readonly string[] = SEGMENTS,
): string[] {
  const found: string[] = [];
  for (const account of accounts)
    for (const segment of segments) {
      const [a, b] = [live.get(account)?.has(segment) ?? false, run.get(account)?.has(segment) ?? false];
      if (a !== b) found.push(`${account}: ${segment} live=${a} run=${b}`);
    }
  return found;
}

/** The store line of a workspace on an engine; ClickHouse is the test run's single server, a database per path. */
export function storeOn(engine: 'duckdb' | 'clickhouse', path: string): string {
  if (engine === 'duckdb') return DUCKDB;
  const database = `live_batch_${path}_${process.pid}`;
  return `{ engine: clickhouse, url: "${clickhouse().single}", database: ${database} }`;
}
