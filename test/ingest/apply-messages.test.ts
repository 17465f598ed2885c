import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MessageApplier } from '../../src/ingest/apply-messages.js';
import type { LoggedMessage } from '../../src/ingest/segment-messages.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Batches applied to a real DuckDB file, the stored rows compared with rows written out by
 * hand: enough users in one batch (300) that their stored rows are read through the store's
 * key table rather than literals, ids that need quoting, track calls that name their account
 * (their users are not looked up) and calls that do not.
 */

const stores: DuckDBStore[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
});

const T = '2026-03-01T10:00:00.000000Z';
const message = (
  fields: Partial<LoggedMessage> & Pick<LoggedMessage, 'type' | 'messageId'>,
): LoggedMessage => ({
  userId: null,
  anonymousId: null,
  groupId: null,
  timestamp: T,
  receivedAt: '2026-03-01T10:00:01.000Z',
  event: null,
  properties: {},
  traits: {},
  ...fields,
});
const user = (i: number) => `u'${String(i).padStart(3, '0')}`;

describe('applying a batch of logged messages', () => {
  it('stores exactly the rows the messages make, merging each user with its stored row', async () => {
    const dir = tempDir('apply-messages-');
    const store = await DuckDBStore.open(join(dir, 'strata.duckdb'));
    stores.push(store);
    const applier = new MessageApplier(store, join(dir, 'ingest'));
    // Batch 1: acme's group call links u'000; 300 users identified with a plan; 70 tracks by u'000
    // naming acme; one track by u'001 without an account (it counts for u'001's links when read).
    const first = [
      message({ type: 'group', messageId: 'g1', userId: user(0), groupId: 'acme', traits: { name: 'Acme' } }),
      ...Array.from({ length: 300 }, (_, i) =>
        message({ type: 'identify', messageId: `i-${i}`, userId: user(i), traits: { plan: 'pro' } }),
      ),
      ...Array.from({ length: 70 }, (_, i) =>
        message({
          type: 'track',
          messageId: `t-${i}`,
          userId: user(0),
          groupId: 'acme',
          event: 'report_viewed',
          properties: { n: i },
        }),
      ),
      message({ type: 'track', messageId: 'loose', userId: user(1), event: 'login' }),
    ];
    const one = await applier.apply(first);
    expect([one.summary.events, one.summary.users, one.summary.accounts, one.summary.pending]).toEqual([
      71, 300, 1, 0,
    ]);
    // Batch 2: the same 300 users send a seat count only; their plan must survive the merge,
    // which reads their 300 stored rows. A track repeated (same messageId) is not stored twice.
    const second = [
      ...Array.from({ length: 300 }, (_, i) =>
        message({ type: 'identify', messageId: `j-${i}`, userId: user(i), traits: { seats: i } }),
      ),
      message({
        type: 'track',
        messageId: 't-0',
        userId: user(0),
        groupId: 'acme',
        event: 'report_viewed',
        properties: { n: 0 },
      }),
    ];
    const two = await applier.apply(second);
    expect([two.summary.events, two.summary.users]).toEqual([1, 300]);

    const users = await store.query<{ user_id: string; account_id: string; traits: string }>(
      sql`SELECT user_id, account_id, CAST(traits AS VARCHAR) AS traits FROM users ORDER BY user_id`,
    );
    // u'000 is linked to acme by the group call; the others were identified without an account.
    expect(users).toHaveLength(300);
    expect(users[0]).toEqual({ user_id: "u'000", account_id: 'acme', traits: '{"plan":"pro","seats":0}' });
    expect(users[299]).toEqual({ user_id: "u'299", account_id: '', traits: '{"plan":"pro","seats":299}' });
    expect(
      users.every((row, i) => JSON.parse(row.traits).plan === 'pro' && JSON.parse(row.traits).seats === i),
    ).toBe(true);
    const events = await store.query<{ account_id: string; event: string; n: number }>(
      sql`SELECT account_id, event, count(*) AS n FROM events GROUP BY ALL ORDER BY event`,
    );
    // 70 report_viewed for acme (t-0 once), and the loose login without an account.
    expect(events).toEqual([
      { account_id: '', event: 'login', n: 1 },
      { account_id: 'acme', event: 'report_viewed', n: 70 },
    ]);
    // No key table is left behind on the connection.
    const left = await store.query(
      sql`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'strata_keys_%'`,
    );
    expect(left).toEqual([]);
  });
});
