import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ActivationDb } from '../../src/activate/activation-db.js';
import { IncrementalSegments } from '../../src/activate/incremental/incremental-segments.js';
import { TriggerEngine } from '../../src/activate/triggers.js';
import { mergeAccounts } from '../../src/identity/account-merges.js';
import { toLogged } from '../../src/ingest/segment-messages.js';
import { type Touched, untouched } from '../../src/ingest/touched.js';
import { tempDir } from '../helpers/temp-dir.js';
import { BatchPath, DUCKDB, LivePath, type Opened, openWorkspace, storeOn } from './live-batch-paths.js';

/*
 * The kinds the generated differential test (realtime-batch.test.ts) does not reach, which
 * `strata serve` evaluates in memory too: tickets open at a time and in a window, the latest
 * NPS answer, seats, renewals, an account column's change over 90 days read from its
 * history, a health score of sessions and NPS, text traits compared every way, ranks of an
 * account column and of the score. The in-memory memberships (state read at T, ranks
 * computed again at each time as a sweep does) must equal a full run's at T, a day later and
 * 20 days later; a few are also worked out by hand below.
 */

const T = Date.parse('2024-06-01T00:00:00Z');
const at = (days: number, extraMicros = 0) =>
  `${new Date(T + days * 86_400_000).toISOString().slice(0, -1)}${String(extraMicros).padStart(3, '0')}Z`;

const WORKSPACE = `metrics:
  mrr_change_90d: { change: mrr, within: 90d }
  health: { score: [ { metric: sessions_30d, weight: 0.5, bad: 0, good: 4 }, { metric: nps_latest, weight: 0.5, bad: 4, good: 9 } ] }
  open_t: { tickets: { open: true } }
  mrr_rank: { percentile: mrr }
segments:
  many_open: { where: { metric: open_t, gte: 2 } }
  busy_support: { where: { metric: tickets_30d, gte: 2 } }
  detractor: { where: { metric: nps_category, eq: detractor } }
  two_seats: { where: { metric: seats, gte: 2 } }
  renewing: { where: { renewalWithin: 30d } }
  renewal_close: { where: { metric: days_to_renewal, lt: 20 } }
  mrr_up: { where: { metric: mrr_change_90d, gt: 0 } }
  healthy: { where: { metric: health, gte: 40 } }
  silverish: { where: { trait: tier, contains: SILVER } }
  not_gold: { where: { trait: tier, ne: gold } }
  score_7: { where: { trait: score, gte: 7 } }
  tiered: { where: { trait: tier, exists: true } }
  small_plans: { where: { trait: plan, in: [starter, enterprise] } }
  long_known: { where: { firstSeen: session_start, before: 30d } }
  lapsed: { where: { notPerformed: session_start, within: 30d } }
  settled: { where: { metric: tenure_days, between: [10, 400] } }
  paying_healthy: { parent: healthy, where: { metric: mrr, gt: 0 } }
  top_mrr: { where: { top: 40%, by: mrr } }
  low_health: { where: { bottom: 50%, by: health } }
  mrr_half: { where: { metric: mrr_rank, gte: 50 } }
triggers:
  watch: { segments: [many_open, busy_support, detractor, two_seats, renewing, renewal_close, mrr_up, healthy, silverish, not_gold, score_7, tiered, small_plans, long_known, lapsed, settled, paying_healthy, top_mrr, low_health, mrr_half] }
`;
const SEGMENTS = WORKSPACE.split('segments: [')[1]?.split(']')[0]?.split(', ') ?? [];

const TABLES: Record<string, Record<string, unknown>[]> = {
  accounts: [
    {
      account_id: 'a1',
      name: 'A1',
      created_at: '2024-01-01T00:00:00Z',
      renewal_at: at(19),
      mrr: 1000,
      plan: 'growth',
      traits: { tier: 'gold', score: '7' },
    },
    {
      account_id: 'a2',
      name: 'A2',
      created_at: '2024-05-20T00:00:00Z',
      renewal_at: '2024-09-01T00:00:00Z',
      mrr: 0,
      plan: 'starter',
      traits: { tier: 'Silver Plus', score: 'high' },
    },
    {
      account_id: 'a3',
      name: 'A3',
      created_at: '2023-06-01T00:00:00Z',
      mrr: 5000,
      plan: 'enterprise',
      traits: {},
    },
  ],
  users: [
    { user_id: 'u1', account_id: 'a1', created_at: '2024-01-02T00:00:00Z' },
    { user_id: 'u2', account_id: 'a1', created_at: at(0, 1) },
    { user_id: 'u3', account_id: 'a2' },
    { user_id: 'u4', account_id: 'a2', created_at: '2024-05-21T00:00:00Z' },
  ],
  tickets: [
    { ticket_id: 't1', account_id: 'a1', created_at: '2024-05-01T00:00:00Z' },
    { ticket_id: 't2', account_id: 'a1', created_at: '2024-05-25T00:00:00Z', resolved_at: at(1) },
    {
      ticket_id: 't3',
      account_id: 'a1',
      created_at: '2024-05-30T00:00:00Z',
      resolved_at: '2024-05-31T00:00:00Z',
    },
    { ticket_id: 't4', account_id: 'a3', created_at: at(0) },
    { ticket_id: 't5', account_id: 'a3', created_at: at(0, 1) },
  ],
  surveys: [
    { account_id: 'a1', user_id: 'u1', ts: '2024-03-01T00:00:00Z', nps: 9 },
    { account_id: 'a1', user_id: 'u1', ts: '2024-05-15T00:00:00Z', nps: 6 },
    { account_id: 'a2', user_id: 'u3', ts: at(1), nps: 10 },
    { account_id: 'a3', user_id: 'u4', ts: '2024-04-01T00:00:00Z', nps: 8 },
  ],
  trait_history: [
    { account_id: 'a1', trait: 'mrr', value: '500', ts: '2024-02-01T00:00:00Z', source: 'billing' },
    { account_id: 'a1', trait: 'mrr', value: '1000', ts: '2024-05-10T00:00:00Z', source: 'billing' },
    { account_id: 'a3', trait: 'mrr', value: '5000', ts: '2024-05-15T00:00:00Z', source: 'billing' },
  ],
  events: [
    ...[-1, -10, -29, -31, -45].map((days, i) => ({
      event_id: `e1-${i}`,
      account_id: 'a1',
      event: 'session_start',
      ts: at(days),
    })),
    ...[-2, -2, -2].map((days, i) => ({
      event_id: `e2-${i}`,
      account_id: 'a2',
      event: 'session_start',
      ts: at(days),
    })),
    ...[-40, -59].map((days, i) => ({
      event_id: `e3-${i}`,
      account_id: 'a3',
      event: 'session_start',
      ts: at(days),
    })),
  ],
};

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function open(engine: 'duckdb' | 'clickhouse'): Promise<Opened> {
  const dir = tempDir('strata-incremental-kinds-');
  const opened = await openWorkspace(dir, engine === 'duckdb' ? DUCKDB : storeOn(engine, 'kinds'), WORKSPACE);
  closers.push(() => opened.store.close());
  for (const [table, rows] of Object.entries(TABLES)) {
    const file = join(dir, `${table}.ndjson`);
    writeFileSync(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
    const result = await opened.store.importFile({ table: table as 'events', file, format: 'ndjson' });
    expect(result.skipped, table).toBe(0);
  }
  return opened;
}

describe.each(['duckdb', 'clickhouse'] as const)('segments evaluated in memory (%s)', (engine) => {
  it('hold what a full run holds for tickets, NPS, seats, renewals, history, scores and text traits', async () => {
    const opened = await open(engine);
    const incremental = new IncrementalSegments(opened.store, opened.workspace, SEGMENTS);
    expect(incremental.segments).toEqual(SEGMENTS);
    await incremental.load(new Date(T));
    for (const days of [0, 1, 20]) {
      const asOf = new Date(T + days * 86_400_000);
      const ran = await new BatchPath(opened, join(opened.dir, 'files')).run(asOf, SEGMENTS);
      await incremental.refreshRanks(asOf);
      for (const account of ['a1', 'a2', 'a3'])
        expect(
          [...(incremental.members(account, asOf, SEGMENTS) ?? [])].sort(),
          `${account} at +${days}d`,
        ).toEqual([...(ran.get(account) ?? [])].sort());
    }
    // By hand, at T: a1 has two tickets open (t1; t2 resolved a day later), three in 30 days,
    // its latest NPS 6 (a detractor), one seat (u2 arrives a microsecond after T), renewal in
    // 19 days, MRR 1000 against 500 on March 3 (from its history), sessions_30d 3 (the one
    // 31 days back is out): health 50 * 3/4 + 50 * 2/5 = 57.5. a3's second ticket is a
    // microsecond after T; its MRR has no history before May 15, so the current 5000 then too.
    // Ranks at T: MRR a2 0, a1 1000, a3 5000 gives 0, 50, 100 (a1 in the upper half, a3
    // alone in the top 40%); health a2 37.5, a3 40 (no sessions, NPS 8: 50 * 4/5), a1 57.5
    // gives 0, 50, 100 (a2 and a3 in the bottom 50%).
    await incremental.refreshRanks(new Date(T));
    expect([...(incremental.members('a3', new Date(T), SEGMENTS) ?? [])]).toEqual(
      expect.arrayContaining(['top_mrr', 'low_health', 'mrr_half']),
    );
    expect([...(incremental.members('a1', new Date(T), SEGMENTS) ?? [])].sort()).toEqual(
      [
        'many_open',
        'busy_support',
        'detractor',
        'renewing',
        'renewal_close',
        'mrr_up',
        'healthy',
        'score_7',
        'tiered',
        'long_known',
        'settled',
        'paying_healthy',
        'mrr_half',
      ].sort(),
    );
    // a2: two seats (u3 has no time, u4 joined May 21), tier 'Silver Plus' (contains SILVER,
    // not gold), score 'high' is no number, NPS 10 only tomorrow: health 50 * 3/4 = 37.5;
    // signed up 12 days before T.
    expect([...(incremental.members('a2', new Date(T), SEGMENTS) ?? [])].sort()).toEqual(
      ['two_seats', 'silverish', 'not_gold', 'tiered', 'small_plans', 'settled', 'low_health'].sort(),
    );
  }, 60_000);
});

describe('a server whose heap cannot hold the state', () => {
  it('leaves every trigger segment to the compiled query, with the memberships of a full run', async () => {
    const opened = await open('duckdb');
    const db = await ActivationDb.open(join(opened.dir, 'activation.duckdb'));
    closers.push(async () => db.close());
    const engine = new TriggerEngine(opened.store, opened.workspace, db);
    // As heapShortfall says at a million accounts under Node's default limit.
    engine.incremental.declined = 'too little heap';
    const accounts = ['a1', 'a2', 'a3'];
    const touched: Touched = new Map(
      accounts.map((a) => [a, { ...untouched(), only: false, eventsKnown: false }]),
    );
    const result = await engine.onApplied(touched, new Date(T));
    expect({ inMemory: result.inMemory, held: engine.incremental.ready }).toEqual({
      inMemory: 0,
      held: false,
    });
    // Ranks (top_mrr, low_health) move with other accounts' data: swept after each apply again.
    expect(engine.sweepsEachApply).toBe(true);
    const ran = await new BatchPath(opened, join(opened.dir, 'files')).run(new Date(T), SEGMENTS);
    const live = await db.memberships(accounts);
    for (const account of accounts)
      expect([...(live.get(account) ?? [])].sort(), account).toEqual([...(ran.get(account) ?? [])].sort());
  }, 60_000);
});

describe('in-memory state after data arrives other than through the log', () => {
  /** A live path (applier and trigger engine) over a new DuckDB workspace whose one trigger watches `segment`. */
  async function livePath(segment: string) {
    const dir = tempDir('strata-incremental-live-');
    const opened = await openWorkspace(
      dir,
      DUCKDB,
      `segments:\n  ${segment}\ntriggers:\n  watch: { segments: [${segment.split(':')[0]}] }\n`,
    );
    closers.push(() => opened.store.close());
    const live = await LivePath.start(opened, join(dir, '.strata'));
    closers.push(async () => live.close());
    return { dir, opened, live };
  }
  const login = (account: string, id: string, days: number) =>
    ({ kind: 'track', account, event: 'login', ts: at(days), id, linked: true }) as const;
  const group = (account: string) =>
    ({ kind: 'group', account, createdAt: at(-10), plan: 'growth', id: `g-${account}` }) as const;
  const THRICE = 'thrice: { where: { performed: login, atLeast: 3 } }';

  it('is read again, so a live event counts with the imported ones (as strata serve does after an import or a merge)', async () => {
    const { dir, opened, live } = await livePath(THRICE);
    const now = new Date(T);
    await live.feed([group('acme'), login('acme', 'l1', -3)], now);
    expect((await live.live(['acme'])).get('acme')?.has('thrice') ?? false).toBe(false);
    // A second login imported from a file, as `strata import` relayed to the server writes it.
    const file = join(dir, 'events.ndjson');
    writeFileSync(
      file,
      `${JSON.stringify({ event_id: 'l2', account_id: 'acme', user_id: 'u-acme', event: 'login', ts: at(-2) })}\n`,
    );
    await opened.store.importFile({ table: 'events', file, format: 'ndjson' });
    await live.engine.reload(now);
    // The third, live: three logins, in memory (not the two it would count without the reload).
    await live.feed([login('acme', 'l3', -1)], now);
    expect(live.evaluated.inMemory).toBe(live.evaluated.accounts);
    expect((await live.live(['acme'])).get('acme')?.has('thrice')).toBe(true);
  });

  it('reads an account whose traits changed again but for its events, which take the ones that came with them', async () => {
    const { live } = await livePath(
      'big_busy: { where: { all: [ { trait: plan, eq: enterprise }, { performed: login, atLeast: 2 } ] } }',
    );
    const now = new Date(T);
    await live.feed([group('acme'), login('acme', 'l1', -3)], now);
    expect((await live.live(['acme'])).get('acme')?.has('big_busy') ?? false).toBe(false);
    // The plan changes and a second login arrives in one apply: enterprise with two logins.
    await live.feed(
      [{ kind: 'plan', account: 'acme', plan: 'enterprise', at: at(-1), id: 'p1' }, login('acme', 'l2', -1)],
      now,
    );
    expect(live.evaluated.inMemory).toBe(live.evaluated.accounts);
    expect((await live.live(['acme'])).get('acme')?.has('big_busy')).toBe(true);
  });

  it('moves the events a user sent without an account when it joins another account, not for a new member', async () => {
    const { live } = await livePath(THRICE);
    const now = new Date(T);
    const unlinked = (id: string, days: number) =>
      ({ kind: 'track', account: 'acme', event: 'login', ts: at(days), id, linked: false }) as const;
    /** A group call naming `user`, applied and evaluated as strata serve does. */
    const join = async (user: string, account: string, id: string) => {
      const message = { type: 'group', messageId: id, userId: user, groupId: account, timestamp: at(0) };
      const { touched } = await live.applier.apply([toLogged(message, null, now, 'batch[0]')]);
      await live.engine.onApplied(touched, now);
    };
    const thrice = async () => {
      const memberships = await live.live(['acme', 'beta']);
      return ['acme', 'beta'].map((a) => memberships.get(a)?.has('thrice') ?? false);
    };
    // u-acme's three logins name no account: they count for acme, where its group call put it.
    await live.feed(
      [group('acme'), group('beta'), unlinked('l1', -3), unlinked('l2', -2), unlinked('l3', -1)],
      now,
    );
    expect(await thrice()).toEqual([true, false]);
    // u-acme joins beta: its logins now count for beta, and no longer for acme (both read again).
    await join('u-acme', 'beta', 'j1');
    expect(await thrice()).toEqual([false, true]);
    // A new member without events joins beta: beta's events stay as they were.
    await join('u-new', 'beta', 'j2');
    expect(await thrice()).toEqual([false, true]);
    expect(live.evaluated.inMemory).toBe(live.evaluated.accounts);
  });

  it('counts an event naming a merged-away account for its survivor at once', async () => {
    const { opened, live } = await livePath(THRICE);
    const now = new Date(T);
    await live.feed([group('acme'), group('acme-dup'), login('acme', 'l1', -3)], now);
    await mergeAccounts(opened.store, {
      survivor: 'acme',
      merged: 'acme-dup',
      by: 'test',
      reason: 'same',
      now,
    });
    await live.engine.reload(now);
    // Two logins sent under the merged id: with acme's own, three for acme.
    await live.feed([login('acme-dup', 'l2', -2), login('acme-dup', 'l3', -1)], now);
    const memberships = await live.live(['acme', 'acme-dup']);
    expect(memberships.get('acme')?.has('thrice')).toBe(true);
    expect(memberships.get('acme-dup')?.has('thrice') ?? false).toBe(false);
  });
});

describe('in-memory event times over a long-running server', () => {
  it('fold into totals once no window reaches them, and an event named "any" counts once', async () => {
    const dir = tempDir('strata-incremental-fold-');
    const segments = `segments:
  recent_two: { where: { performed: login, within: 2d, atLeast: 2 } }
  ever_three: { where: { performed: login, atLeast: 3 } }
  first_old: { where: { firstSeen: login, before: 8d } }
  five_any: { where: { performed: any, atLeast: 5 } }
triggers:
  watch: { segments: [recent_two, ever_three, first_old, five_any] }
`;
    const opened = await openWorkspace(dir, DUCKDB, segments);
    closers.push(() => opened.store.close());
    const live = await LivePath.start(opened, join(dir, '.strata'));
    closers.push(async () => live.close());
    const event = (id: string, days: number, name = 'login') =>
      ({ kind: 'track', account: 'acme', event: name, ts: at(days), id, linked: true }) as const;
    const group = { kind: 'group' as const, account: 'acme', createdAt: at(-20), plan: 'growth', id: 'g1' };
    await live.feed([group, event('l1', -10), event('l2', -1)], new Date(T));
    // Five days on, a third login: the first two are older than every window (2 days) and are
    // folded into the totals, which still count them for all time and for firstSeen.
    const later = new Date(T + 5 * 86_400_000);
    await live.feed([event('l3', 5), event('a1', 5, 'any')], later);
    // By hand at T + 5d: logins in 2 days 1 (not recent_two), 3 ever (ever_three), first on
    // day -10, before T + 5d - 8d (first_old), events of any name 4 (the one named "any"
    // once), so not five_any.
    const want = ['ever_three', 'first_old'];
    expect([...((await live.live(['acme'])).get('acme') ?? [])].sort()).toEqual(want);
    expect(live.evaluated.inMemory).toBe(live.evaluated.accounts);
    const ran = await new BatchPath(opened, join(dir, 'files')).run(later, [
      'recent_two',
      'ever_three',
      'first_old',
      'five_any',
    ]);
    expect([...(ran.get('acme') ?? [])].sort()).toEqual(want);
  });
});
