import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileLayers, metricColumn, segmentColumn } from '../../src/compile/compile-workspace.js';
import { evaluateWorkspace } from '../../src/engine/evaluate.js';
import { storedRows } from '../../src/identity/account-rows.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace, type Workspace } from '../../src/workspace/load-workspace.js';
import { ENGINES, type Engine, insertRows, openEngine } from '../helpers/engines.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Hand-worked fixture, evaluated as of 2024-06-30T00:00Z (30 days back: 2024-05-31T00:00Z).
 *   a1 created 2024-01-01, 1500 employees, Healthcare, traits.use_case = analytics
 *      25 session_start 2024-06-05..29 (last 06-29 00:00 -> 1 day ago), dashboard_created 06-10 {widgets: 3},
 *      api_call 03-01 (outside 30d), session_start 07-05 (after as-of: invisible)
 *      users: 2 before as-of, 1 after; tickets: one open, one resolved 06-10; NPS 9 (05-01) then 4 (06-15)
 *   a2 created 2024-05-01, 300 employees, Finance
 *      session_start 05-15 (outside 30d), 06-01, 06-15; alert_set 06-20 {channel: email} (last seen: 10 days)
 *      users: 1; ticket created 06-25 resolved 07-02 (open at as-of); NPS 10 on 07-01 (after as-of)
 *   a3 created 2024-06-20 (tenure 10 days), 20 employees, Healthcare, no events
 *   a4 created 2024-07-15: does not exist yet at the as-of time
 * invoice_line events (one per line of an invoice), properties {invoice_no, country}:
 *   a1 06-20 {7, GB}, 06-20 {"7", GB}, 06-21 {7.0, FR}, 06-22 {"C8", GB}, 06-22 {"C9", FR},
 *      06-22 {null, GB}, 06-23 {no invoice_no, GB}; 04-01 {9, GB} (outside 30d); 07-02 {10, GB} (after as-of)
 *   a2 05-20 {"A1", DE} twice, 05-25 {"A2", DE}: only outside 30d
 * Renewals: a1 2024-08-15, a2 2025-01-01. trait_history: a1 plan growth (03-01) -> enterprise (06-10),
 *   mrr 3000 (03-01) -> 5000 (06-10).
 * The same rows go to DuckDB, ClickHouse 18.16 and chdb, and every engine must give these
 * hand-worked answers (not merely agree with the others).
 */
const asOf = new Date('2024-06-30T00:00:00Z');
const dir = tempDir();
const database = `hand_worked_${process.pid}`;

const yaml = `
metrics:
  sessions_30d: { count: { event: session_start }, within: 30d }
  last_seen_days: { recency: { event: any } }
  adoption: { distinctEvents: [dashboard_created, alert_set, api_call, sso_enabled], within: 30d, ratio: true }
  widgets_90d: { sum: { event: dashboard_created, property: widgets }, within: 90d }
  email_alerts: { count: { event: alert_set, where: { channel: email } } }
  widgets_avg: { avg: { event: dashboard_created, property: widgets } }
  widgets_max: { max: { event: dashboard_created, property: widgets } }
  invoices_30d: { countDistinct: { event: invoice_line, property: invoice_no }, within: 30d }
  invoices: { countDistinct: { event: invoice_line, property: invoice_no } }
  gb_invoices_30d: { countDistinct: { event: invoice_line, property: invoice_no, where: { country: GB } }, within: 30d }
  countries_30d: { countDistinct: { event: any, property: country }, within: 30d }
segments:
  enterprise: { framework: firmographic, where: { trait: employees, gte: 1000 } }
  mid_market: { framework: firmographic, where: { trait: employees, between: [100, 999] } }
  healthcare: { where: { trait: industry, eq: Healthcare } }
  power_users: { framework: behavioral, where: { metric: sessions_30d, gte: 20 } }
  dormant: { where: { any: [ { metric: last_seen_days, gt: 7 }, { notPerformed: any, within: 30d } ] } }
  hc_enterprise: { parent: enterprise, where: { segment: healthcare } }
  not_enterprise: { where: { not: { segment: enterprise } } }
  analytics: { where: { trait: use_case, eq: analytics } }
  multi_seat: { where: { metric: seats, gte: 2 } }
  open_tickets: { where: { metric: tickets_open, gte: 1 } }
  detractor: { where: { metric: nps_latest, lte: 6 } }
  new: { framework: lifecycle, where: { metric: tenure_days, lt: 30 } }
  emailed: { where: { performed: { event: alert_set, where: { channel: email } }, within: 30d } }
  big_payer: { where: { metric: mrr, gte: 1000 } }
  not_healthcare: { where: { trait: industry, ne: Healthcare } }
  finance_or_retail: { where: { trait: industry, in: [Finance, Retail] } }
  has_use_case: { where: { trait: use_case, exists: true } }
  no_use_case: { where: { trait: use_case, exists: false } }
  health_like: { where: { trait: industry, contains: health } }
  uses_builtins: { where: { any: [ { metric: days_to_renewal, lt: 0 }, { metric: tickets_30d, lt: 0 }, { metric: events_30d, lt: 0 }, { metric: nps_category, eq: x } ] } }
  some_sessions: { where: { performed: session_start, within: 30d, atLeast: 2, atMost: 5 } }
  repeat_buyers: { where: { metric: invoices, gte: 2 } }
`;
/*
 * Windowed, historical and ranked metrics on the same fixture (30 days before as-of: 2024-05-31):
 *   sessions_30d then: a1 0, a2 1 (05-15), a3 0  -> change: a1 25, a2 1, a3 0
 *   mrr then (trait_history, else current): a1 3000, a2 800, a3 0 -> change: 2000, 0, 0
 *   mrr percentile rank (0 / 800 / 5000): a3 0, a2 50, a1 100
 *   health = 100 * (3 * clamp(sessions_30d / 20) + 1 * clamp((tickets_open - 2) / -2)) / 4
 *     now:  a1 (3 + 0.5) / 4 = 87.5; a2 (0.3 + 0.5) / 4 = 20; a3 (0 + 1) / 4 = 25
 *     then: a1 (0 + 1) / 4 = 25;     a2 (0.15 + 1) / 4 = 28.75; a3 25
 */
const moreYaml = `
metrics:
  sessions_30d: { count: { event: session_start }, within: 30d }
  sessions_change: { change: sessions_30d, within: 30d }
  mrr_change: { change: mrr, within: 30d }
  mrr_rank: { percentile: mrr }
  plan_changes_90d: { traitChanges: plan, within: 90d }
  tickets_90d: { tickets: { within: 90d } }
  health: { score: [ { metric: sessions_30d, weight: 3, bad: 0, good: 20 }, { metric: tickets_open, weight: 1, bad: 2, good: 0 } ] }
  nps_health: { score: [ { metric: nps_latest, weight: 1, bad: 4, good: 9 } ] }
segments:
  health_drop: { where: { metric: health, dropBy: 5, within: 30d } }
  health_rise: { where: { metric: health, riseBy: 50, within: 30d } }
  old_users: { where: { firstSeen: any, before: 60d } }
  new_since_may: { where: { firstSeen: any, after: '2024-05-01' } }
  active_week: { where: { lastSeen: session_start, after: 7d } }
  just_signed: { framework: lifecycle, where: { signedUpWithin: 14d } }
  renewing: { framework: lifecycle, where: { renewalWithin: 90d } }
  top_mrr: { framework: value, where: { top: 34%, by: mrr } }
  bottom_half: { where: { bottom: 50%, by: mrr } }
  detractors: { where: { metric: nps_category, eq: detractor } }
`;

function workspace(text: string, name: string): Workspace {
  const ws = join(dir, name);
  mkdirSync(ws, { recursive: true });
  writeFileSync(join(ws, 'strata.yaml'), text);
  return loadWorkspace(ws);
}

/** Midnight UTC of a 'YYYY-MM-DD' day. */
const day = (text: string) => new Date(`${text}T00:00:00Z`);

/** The fixture above, each value through the dialect's literal(), so every engine stores the same rows. */
async function insertFixture(store: Store): Promise<void> {
  await insertRows(
    store,
    'accounts',
    ['account_id', 'created_at', 'employees', 'industry', 'mrr', 'renewal_at', 'traits'],
    [
      ['a1', day('2024-01-01'), 1500, 'Healthcare', 5000, day('2024-08-15'), '{"use_case":"analytics"}'],
      ['a2', day('2024-05-01'), 300, 'Finance', 800, day('2025-01-01'), null],
      ['a3', day('2024-06-20'), 20, 'Healthcare', 0, null, null],
      ['a4', day('2024-07-15'), 5000, 'Healthcare', 9000, null, null],
    ],
  );
  await insertRows(
    store,
    'trait_history',
    ['account_id', 'trait', 'value', 'ts'],
    [
      ['a1', 'plan', 'growth', day('2024-03-01')],
      ['a1', 'plan', 'enterprise', day('2024-06-10')],
      ['a1', 'mrr', '3000', day('2024-03-01')],
      ['a1', 'mrr', '5000', day('2024-06-10')],
      ['a4', 'mrr', '9000', day('2024-07-15')],
    ],
  );
  // a1's 25 sessions, one a day from 2024-06-05 to 06-29.
  const sessions = Array.from({ length: 25 }, (_, i) => [
    `s${i}`,
    'a1',
    'u1',
    'session_start',
    new Date(Date.UTC(2024, 5, 5 + i)),
    null,
  ]);
  // JSON text as written: 7.0 and null reach the engines as they are.
  const invoiceLines = [
    ['a1', '2024-06-20', '{"invoice_no":7,"country":"GB"}'],
    ['a1', '2024-06-20', '{"invoice_no":"7","country":"GB"}'],
    ['a1', '2024-06-21', '{"invoice_no":7.0,"country":"FR"}'],
    ['a1', '2024-06-22', '{"invoice_no":"C8","country":"GB"}'],
    ['a1', '2024-06-22', '{"invoice_no":"C9","country":"FR"}'],
    ['a1', '2024-06-22', '{"invoice_no":null,"country":"GB"}'],
    ['a1', '2024-06-23', '{"country":"GB"}'],
    ['a1', '2024-04-01', '{"invoice_no":9,"country":"GB"}'],
    ['a1', '2024-07-02', '{"invoice_no":10,"country":"GB"}'],
    ['a2', '2024-05-20', '{"invoice_no":"A1","country":"DE"}'],
    ['a2', '2024-05-20', '{"invoice_no":"A1","country":"DE"}'],
    ['a2', '2024-05-25', '{"invoice_no":"A2","country":"DE"}'],
  ].map(([account, date, properties], i) => [
    `i${i}`,
    account as string,
    null,
    'invoice_line',
    day(date as string),
    properties as string,
  ]);
  await insertRows(
    store,
    'events',
    ['event_id', 'account_id', 'user_id', 'event', 'ts', 'properties'],
    [
      ...sessions,
      ['d1', 'a1', 'u1', 'dashboard_created', day('2024-06-10'), '{"widgets":3}'],
      ['p1', 'a1', 'u1', 'api_call', day('2024-03-01'), null],
      ['late', 'a1', 'u1', 'session_start', day('2024-07-05'), null],
      ['b1', 'a2', null, 'session_start', day('2024-05-15'), null],
      ['b2', 'a2', null, 'session_start', day('2024-06-01'), null],
      ['b3', 'a2', null, 'session_start', day('2024-06-15'), null],
      ['b4', 'a2', null, 'alert_set', day('2024-06-20'), '{"channel":"email"}'],
      ['x1', 'a4', null, 'session_start', day('2024-07-20'), null],
      ...invoiceLines,
    ],
  );
  await insertRows(
    store,
    'users',
    ['user_id', 'account_id', 'created_at'],
    [
      ['u1', 'a1', day('2024-01-01')],
      ['u2', 'a1', day('2024-02-01')],
      ['u3', 'a1', day('2024-08-01')],
      ['v1', 'a2', day('2024-05-01')],
    ],
  );
  await insertRows(
    store,
    'tickets',
    ['ticket_id', 'account_id', 'created_at', 'resolved_at'],
    [
      ['t1', 'a1', day('2024-06-01'), null],
      ['t2', 'a1', day('2024-06-01'), day('2024-06-10')],
      ['t3', 'a2', day('2024-06-25'), day('2024-07-02')],
    ],
  );
  await insertRows(
    store,
    'surveys',
    ['account_id', 'user_id', 'ts', 'nps'],
    [
      ['a1', 'u1', day('2024-05-01'), 9],
      ['a1', 'u1', day('2024-06-15'), 4],
      ['a2', 'v1', day('2024-07-01'), 10],
    ],
  );
}

/** Numbers to 12 significant digits: ClickHouse may differ from DuckDB in the last bit of a double. */
const plain = (value: unknown) => (typeof value === 'number' ? Number(value.toPrecision(12)) : value);
/** A segment flag: a boolean in DuckDB, 0 / 1 in ClickHouse. */
const holds = (flag: unknown) => flag === true || flag === 1;

describe.each(ENGINES)('on %s', (engine: Engine) => {
  let store: Store;

  beforeAll(async () => {
    mkdirSync(join(dir, engine));
    store = await openEngine(engine, join(dir, engine), database);
    await insertFixture(store);
  });
  afterAll(() => store?.close());

  /**
   * The workspace of `text` evaluated the way a run does it, read back by account; once per
   * text and engine (the metric and the segment tests read the same rows).
   */
  const evaluated = new Map<string, Promise<Record<string, unknown>[]>>();
  function evaluate(text: string, name: string) {
    const rows =
      evaluated.get(text) ??
      evaluateWorkspace(store, workspace(text, `${name}-${engine}`), asOf).then(async (table) => {
        try {
          return await store.query<Record<string, unknown>>(
            store.dialect.sql`SELECT * FROM ${table} ORDER BY account_id`,
          );
        } finally {
          await store.dropScratch(table);
        }
      });
    evaluated.set(text, rows);
    return rows;
  }

  describe('the compiled workspace on a hand-worked fixture', () => {
    it('computes every metric as of the evaluation time', async () => {
      const rows = await evaluate(yaml, 'base');
      const pick = (name: string) => rows.map((r) => plain(r[metricColumn(name)]));
      expect(rows.map((r) => r.account_id)).toEqual(['a1', 'a2', 'a3']);
      expect(pick('sessions_30d')).toEqual([25, 2, 0]);
      expect(pick('last_seen_days')).toEqual([1, 10, null]);
      expect(pick('adoption')).toEqual([0.25, 0.25, 0]);
      expect(pick('widgets_90d')).toEqual([3, 0, 0]);
      expect(pick('email_alerts')).toEqual([0, 1, 0]);
      expect(pick('seats')).toEqual([2, 1, 0]);
      expect(pick('tickets_open')).toEqual([1, 1, 0]);
      expect(pick('nps_latest')).toEqual([4, null, null]);
      expect(pick('tenure_days')).toEqual([181, 60, 10]);
      expect(pick('mrr')).toEqual([5000, 800, 0]);
      expect(pick('widgets_avg')).toEqual([3, null, null]);
      expect(pick('widgets_max')).toEqual([3, null, null]);
      // Renewals 2024-08-15 and 2025-01-01 seen from 2024-06-30.
      expect(pick('days_to_renewal')).toEqual([46, 185, null]);
      // Tickets opened after 05-31: a1 two on 06-01, a2 one on 06-25.
      expect(pick('tickets_30d')).toEqual([2, 1, 0]);
      // a1: 25 sessions + 1 dashboard + 7 invoice lines (06-20..06-23); a2: sessions 06-01 and 06-15 + alert 06-20.
      expect(pick('events_30d')).toEqual([33, 3, 0]);
      expect(pick('nps_category')).toEqual(['detractor', null, null]);
      // Invoices since 05-31: a1 7, "7" and 7.0 are one value, then C8 and C9 (null and the line
      // without invoice_no count nothing): 3. a2's invoices are all older: 0; a3 has no events: 0.
      expect(pick('invoices_30d')).toEqual([3, 0, 0]);
      // All time up to as-of: a1 adds 9 (04-01), not 10 (07-02, after): 4; a2 A1 (twice) and A2: 2.
      expect(pick('invoices')).toEqual([4, 2, 0]);
      // GB lines since 05-31: a1 7, "7", C8, null, none: 2.
      expect(pick('gb_invoices_30d')).toEqual([2, 0, 0]);
      // Any event since 05-31: a1 GB and FR; a2's recent events carry no country.
      expect(pick('countries_30d')).toEqual([2, 0, 0]);
    });

    it('evaluates every condition type into the hand-worked memberships', async () => {
      const rows = await evaluate(yaml, 'base');
      const members = (id: string) =>
        rows.filter((r) => holds(r[segmentColumn(id)])).map((r) => r.account_id);
      expect(members('enterprise')).toEqual(['a1']);
      expect(members('mid_market')).toEqual(['a2']);
      expect(members('healthcare')).toEqual(['a1', 'a3']);
      expect(members('power_users')).toEqual(['a1']);
      expect(members('dormant')).toEqual(['a2', 'a3']);
      expect(members('hc_enterprise')).toEqual(['a1']);
      expect(members('not_enterprise')).toEqual(['a2', 'a3']);
      expect(members('analytics')).toEqual(['a1']);
      expect(members('multi_seat')).toEqual(['a1']);
      expect(members('open_tickets')).toEqual(['a1', 'a2']);
      expect(members('detractor')).toEqual(['a1']);
      expect(members('new')).toEqual(['a3']);
      expect(members('emailed')).toEqual(['a2']);
      expect(members('big_payer')).toEqual(['a1']);
      expect(members('not_healthcare')).toEqual(['a2']);
      expect(members('finance_or_retail')).toEqual(['a2']);
      expect(members('has_use_case')).toEqual(['a1']);
      expect(members('no_use_case')).toEqual(['a2', 'a3']);
      expect(members('health_like')).toEqual(['a1', 'a3']);
      // session_start in the last 30 days: a1 25, a2 2, a3 0.
      expect(members('some_sessions')).toEqual(['a2']);
      // invoices: a1 4, a2 2, a3 0.
      expect(members('repeat_buyers')).toEqual(['a1', 'a2']);
    });

    it('scans the events table once for all metrics and segments', () => {
      const ws = workspace(yaml, `scans-${engine}`);
      const layers = compileLayers(store.dialect, {
        metrics: ws.metrics,
        segments: ws.segments,
        asOf,
        rows: storedRows(store.dialect),
      });
      expect(layers.base.text.match(/FROM "events"/g)).toHaveLength(1);
    });
  });

  describe('windowed, historical and ranked metrics', () => {
    it('computes changes, trait history, percentile ranks, ticket windows and scores', async () => {
      const rows = await evaluate(moreYaml, 'more');
      const pick = (name: string) => rows.map((r) => plain(r[metricColumn(name)]));
      expect(pick('sessions_change')).toEqual([25, 1, 0]);
      expect(pick('mrr_change')).toEqual([2000, 0, 0]);
      expect(pick('mrr_rank')).toEqual([100, 50, 0]);
      expect(pick('plan_changes_90d')).toEqual([1, 0, 0]);
      expect(pick('tickets_90d')).toEqual([2, 1, 0]);
      expect(pick('health')).toEqual([87.5, 20, 25]);
      // NPS: a1 answered 4 (the bad anchor: 0 points), a2 and a3 never answered (0 points, not 100).
      expect(pick('nps_health')).toEqual([0, 0, 0]);
    });

    it('evaluates drops, first/last seen, relative time and top / bottom ranks', async () => {
      const rows = await evaluate(moreYaml, 'more');
      const members = (id: string) =>
        rows.filter((r) => holds(r[segmentColumn(id)])).map((r) => r.account_id);
      expect(members('health_drop')).toEqual(['a2']);
      expect(members('health_rise')).toEqual(['a1']);
      expect(members('old_users')).toEqual(['a1']);
      expect(members('new_since_may')).toEqual(['a2']);
      expect(members('active_week')).toEqual(['a1']);
      expect(members('just_signed')).toEqual(['a3']);
      expect(members('renewing')).toEqual(['a1']);
      expect(members('top_mrr')).toEqual(['a1']);
      expect(members('bottom_half')).toEqual(['a2', 'a3']);
      expect(members('detractors')).toEqual(['a1']);
    });
  });

  /*
   * Roll-ups over a three-level hierarchy, in a store of their own (as of 2024-06-30):
   *   g (mrr 1000) <- p (400) <- c1 (150), c2 (no MRR), c3 (9999, signs up 2024-08-01: not yet)
   *   x (70), whose parent `ghost` was never imported.
   * A subtree is the account and everything below it that exists:
   *   g: g, p, c1, c2 -> MRR 1000, 400, 150 -> sum 1550, count 3, avg 1550 / 3, min 150, max 1000
   *   p: p, c1, c2    -> 400, 150          -> sum 550, count 2, avg 275, min 150, max 400
   *   c1: 150 -> 150, 1, 150, 150, 150;  c2: no value -> sum/avg/min/max NULL, count 0;  x: 70 each, count 1
   * mrr_total >= 1000: g only. At parent level (no parent) and >= 500: g (p has 550 but is
   * under g). At child level and >= 100: p and c1 (x is under ghost, with 70).
   */
  describe('roll-ups over a hand-worked hierarchy', () => {
    let tree: Store;
    beforeAll(async () => {
      // chdb holds one data directory per process: its own database there; DuckDB a file of its own.
      const folder = join(dir, engine === 'chdb' ? engine : `${engine}-tree`);
      mkdirSync(folder, { recursive: true });
      tree = await openEngine(engine, folder, `${database}_tree`);
      await insertRows(
        tree,
        'accounts',
        ['account_id', 'created_at', 'mrr', 'parent_account_id'],
        [
          ['g', day('2024-01-01'), 1000, null],
          ['p', day('2024-01-01'), 400, 'g'],
          ['c1', day('2024-01-01'), 150, 'p'],
          ['c2', day('2024-01-01'), null, 'p'],
          ['c3', day('2024-08-01'), 9999, 'p'],
          ['x', day('2024-01-01'), 70, 'ghost'],
        ],
      );
    });
    afterAll(() => tree?.close());

    it('sums, counts, averages and bounds MRR over each subtree, the account itself included', async () => {
      const table = await evaluateWorkspace(
        tree,
        workspace(
          `
metrics:
  mrr_total: { rollup: mrr, using: sum }
  mrr_accounts: { rollup: mrr, using: count }
  mrr_avg: { rollup: mrr, using: avg }
  mrr_min: { rollup: mrr, using: min }
  mrr_max: { rollup: mrr, using: max }
segments:
  big_group: { where: { metric: mrr_total, gte: 1000 } }
  top_groups: { level: parent, where: { metric: mrr_total, gte: 500 } }
  sub_accounts: { level: child, where: { metric: mrr_total, gte: 100 } }
`,
          `tree-${engine}`,
        ),
        asOf,
      );
      const rows = await tree.query<Record<string, unknown>>(
        tree.dialect.sql`SELECT * FROM ${table} ORDER BY account_id`,
      );
      await tree.dropScratch(table);
      const pick = (name: string) => rows.map((r) => plain(r[metricColumn(name)]));
      expect(rows.map((r) => r.account_id)).toEqual(['c1', 'c2', 'g', 'p', 'x']);
      expect(pick('mrr_total')).toEqual([150, null, 1550, 550, 70]);
      expect(pick('mrr_accounts')).toEqual([1, 0, 3, 2, 1]);
      expect(pick('mrr_avg')).toEqual([150, null, plain(1550 / 3), 275, 70]);
      expect(pick('mrr_min')).toEqual([150, null, 150, 150, 70]);
      expect(pick('mrr_max')).toEqual([150, null, 1000, 400, 70]);
      const members = (id: string) =>
        rows.filter((r) => holds(r[segmentColumn(id)])).map((r) => r.account_id);
      expect(members('big_group')).toEqual(['g']);
      // Parent level: p's 550 passes but p is under g; child level: x (under the unimported
      // ghost) is a child, but 70 < 100; c2 has no value.
      expect(members('top_groups')).toEqual(['g']);
      expect(members('sub_accounts')).toEqual(['c1', 'p']);
    });
  });
});
