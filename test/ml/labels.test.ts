import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedRows } from '../../src/identity/account-rows.js';
import { chooseFeatures, extractFeatures } from '../../src/ml/features.js';
import { labelRelation, observedUntil, parseTarget } from '../../src/ml/labels.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Hand-made history around T = 2024-04-01 with a 90-day horizon (to 2024-06-30):
 *   a1 pays 100 until 2024-05-15, then nothing          -> churned
 *   a2 pays 100, upgraded to 200 on 2024-05-01          -> expanded
 *   a3 pays 50 throughout; first alert_set 2024-05-10; tickets 2024-04-10 and 2024-06-01
 *   a4 starts paying 2024-05-01 (not paying at T)       -> outside every population
 *   a5 stopped paying 2024-03-01 (before T)             -> outside every population
 *   a6 pays 80; alert_set already on 2024-02-01 (left out of adoption); a ticket exactly
 *      at T and one after the horizon (neither counts)
 *   a7 pays 100 until exactly T + 90 days               -> churned (not paying at the horizon)
 *   a8 on a free plan (MRR 0)                           -> outside every population
 */
const T = new Date('2024-04-01T00:00:00Z');
const dir = tempDir();
let store: DuckDBStore;

beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'l.duckdb'));
  const ids = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'];
  await store.execute(
    testSql(
      `INSERT INTO accounts (account_id, created_at, plan, renewal_at, traits) VALUES ${ids
        .map((id) => `('${id}', '2024-01-01', 'growth', '2025-01-01', '{"lifecycle": "customer"}')`)
        .join(', ')}`,
    ),
  );
  const subscriptions: [string, number, string, string | null][] = [
    ['a1', 100, '2024-01-01', '2024-05-15'],
    ['a2', 100, '2024-01-01', '2024-05-01'],
    ['a2', 200, '2024-05-01', null],
    ['a3', 50, '2024-01-01', null],
    ['a4', 100, '2024-05-01', null],
    ['a5', 100, '2024-01-01', '2024-03-01'],
    ['a6', 80, '2024-01-01', null],
    ['a7', 100, '2024-01-01', '2024-06-30'],
    ['a8', 0, '2024-01-01', null],
  ];
  await store.execute(
    testSql(
      `INSERT INTO subscriptions (account_id, plan, mrr, starts_at, ends_at, status) VALUES ${subscriptions
        .map(
          ([id, mrr, from, to]) =>
            `('${id}', 'growth', ${mrr}, '${from}', ${to ? `'${to}'` : 'NULL'}, 'active')`,
        )
        .join(', ')}`,
    ),
  );
  const events: [string, string, string][] = [
    ['a3', 'alert_set', '2024-05-10'],
    ['a6', 'alert_set', '2024-02-01'],
    ['a3', 'session_start', '2024-03-20'],
    ['a3', 'session_start', '2024-03-01'],
    ['a3', 'session_start', '2024-01-15'],
  ];
  await store.execute(
    testSql(
      `INSERT INTO events (event_id, account_id, event, ts) VALUES ${events
        .map(([id, event, ts], i) => `('e${i}', '${id}', '${event}', '${ts}')`)
        .join(', ')}`,
    ),
  );
  const tickets: [string, string][] = [
    ['a3', '2024-04-10'],
    ['a3', '2024-06-01'],
    ['a6', '2024-04-01'],
    ['a6', '2024-07-15'],
  ];
  await store.execute(
    testSql(
      `INSERT INTO tickets (ticket_id, account_id, created_at) VALUES ${tickets
        .map(([id, at], i) => `('t${i}', '${id}', '${at}')`)
        .join(', ')}`,
    ),
  );
  await store.execute(
    sql`INSERT INTO trait_history (account_id, trait, value, ts, source) VALUES ('a1', 'plan', 'starter', '2023-12-01', 'crm')`,
  );
  mkdirSync(join(dir, 'ws'));
  writeFileSync(join(dir, 'ws', 'strata.yaml'), 'segments: {}\n');
});
afterAll(() => store.close());

async function labels(label: string) {
  const rows = await store.query<{ account_id: string; label: number }>(
    store.dialect
      .sql`SELECT account_id, label FROM ${labelRelation(store.dialect, parseTarget(label, 90), T, storedRows(store.dialect))} ORDER BY account_id`,
  );
  return Object.fromEntries(rows.map((r) => [r.account_id, Number(r.label)]));
}

describe('labels read from history after the as-of time', () => {
  it('churned: paying at T, not paying 90 days later (ending exactly at the horizon counts)', async () => {
    expect(await labels('churned')).toEqual({ a1: 1, a2: 0, a3: 0, a6: 0, a7: 1 });
  });

  it('expanded: paying more 90 days later', async () => {
    expect(await labels('expanded')).toEqual({ a1: 0, a2: 1, a3: 0, a6: 0, a7: 0 });
  });

  it('adopted: first use within the horizon, accounts that already used it left out', async () => {
    expect(await labels('adopted:alert_set')).toEqual({ a1: 0, a2: 0, a3: 1, a7: 0 });
  });

  it('tickets: N or more opened after T and by the horizon', async () => {
    expect(await labels('tickets:2')).toEqual({ a1: 0, a2: 0, a3: 1, a6: 0, a7: 0 });
    expect(await labels('tickets:1')).toEqual({ a1: 0, a2: 0, a3: 1, a6: 0, a7: 0 });
  });

  it('rejects unknown labels and horizons with the accepted forms', () => {
    expect(() => parseTarget('churn', 90)).toThrow(/churned, expanded, adopted:<event> or tickets:<N>/);
    expect(() => parseTarget('churned', 0)).toThrow(/--horizon 0/);
  });

  it('knows where the data ends', async () => {
    expect((await observedUntil(store))?.toISOString()).toBe('2024-07-15T00:00:00.000Z');
  });
});

describe('features at an as-of time', () => {
  it('leave out what reads the present at past snapshots, and say so', async () => {
    const spec = await chooseFeatures(store, loadWorkspace(join(dir, 'ws')), { currentTraitsAllowed: false });
    // renewal_at and the lifecycle trait have no history: their values now would leak the future.
    expect(spec.features).not.toContain('days_to_renewal');
    expect(spec.features.some((f) => f.startsWith('lifecycle='))).toBe(false);
    expect(spec.notes.join('\n')).toMatch(/left out 'days_to_renewal': it reads renewal_at/);
    // plan has a history, so its categories are features.
    expect(spec.features).toContain('plan=growth');
    // A table of current facts may use them.
    const now = await chooseFeatures(store, loadWorkspace(join(dir, 'ws')), { currentTraitsAllowed: true });
    expect(now.features).toContain('days_to_renewal');
    expect(now.features).toContain('lifecycle=customer');
  });

  it('see only rows up to the as-of time: adding later rows changes nothing', async () => {
    const workspace = loadWorkspace(join(dir, 'ws'));
    const spec = await chooseFeatures(store, workspace, { currentTraitsAllowed: false });
    const before = await extractFeatures(store, spec, T, { rows: storedRows(store.dialect) });
    const a3 = before.accountIds.indexOf('a3');
    const p = spec.features.length;
    const value = (name: string) => before.x[a3 * p + spec.features.indexOf(name)];
    // By hand: of the sessions on 01-15, 03-01 and 03-20, only 03-20 is within the 30 days
    // before T (03-01 is 31 days before); all three are within 90 days.
    expect(value('sessions_30d')).toBe(1);
    expect(value('events_90d')).toBe(3);
    expect(value('last_seen_days')).toBe(12);
    expect(value('nps_latest')).toBeNaN(); // no survey answer: missing, not 0
    // mrr has no history in this store, so at a past snapshot it would read today's value.
    expect(spec.features).not.toContain('mrr');
    expect(before.x[before.accountIds.indexOf('a1') * p + spec.features.indexOf('plan=starter')]).toBe(1);
    await store.execute(
      sql`INSERT INTO events (event_id, account_id, event, ts) VALUES ('late1', 'a3', 'session_start', '2024-04-02'), ('late2', 'a1', 'api_call', '2024-05-01')`,
    );
    await store.execute(
      sql`INSERT INTO tickets (ticket_id, account_id, created_at) VALUES ('late3', 'a1', '2024-04-20')`,
    );
    await store.execute(
      sql`INSERT INTO trait_history (account_id, trait, value, ts, source) VALUES ('a1', 'plan', 'enterprise', '2024-04-15', 'crm')`,
    );
    const after = await extractFeatures(store, spec, T, { rows: storedRows(store.dialect) });
    expect(after.accountIds).toEqual(before.accountIds);
    expect(Array.from(after.x)).toEqual(Array.from(before.x));
  });
});
