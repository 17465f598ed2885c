import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MessageApplier } from '../../src/ingest/apply-messages.js';
import { toLogged } from '../../src/ingest/segment-messages.js';
import type { Store } from '../../src/store/store.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openWorkspace, wipe } from './live-batch-paths.js';
import { MONTH_EDGES, MS, SEED, write, writtenArb } from './live-batch-worlds.js';

/*
 * A timestamp sent to the ingestion API and the same text in an imported file are stored
 * as one instant, to the microsecond: the API reads ISO-8601 as the importer does
 * (src/model/instant.ts). The expected instants are the generator's own numbers; the
 * texts are written from them by the test's formatter (live-batch-worlds.ts), not by the
 * code under test.
 */

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('timestamps from the API and from a file', () => {
  it('are stored as the same instant, to the microsecond, whatever the offset and digits', async () => {
    const root = tempDir('strata-instants-');
    const [api, file] = [await openWorkspace(join(root, 'api')), await openWorkspace(join(root, 'file'))];
    closers.push(
      () => api.store.close(),
      () => file.store.close(),
    );
    const instantArb = fc.oneof(
      fc.integer({
        min: Date.parse('1990-01-01T00:00:00Z') * MS,
        max: Date.parse('2100-01-01T00:00:00Z') * MS,
      }),
      // A microsecond either side of a month's end.
      fc
        .tuple(fc.constantFrom(...MONTH_EDGES), fc.constantFrom(-1, 0, 1, -1000, 1000))
        .map(([a, b]) => a + b),
    );
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(instantArb, writtenArb, fc.constantFrom('T' as const, ' ' as const)), {
          minLength: 1,
          maxLength: 12,
        }),
        async (times) => {
          await wipe(api.store);
          await wipe(file.store);
          const ingest = join(root, `ingest-${round++}`);
          mkdirSync(ingest, { recursive: true });
          const texts = times.map(([micros, how, separator]) => write(micros, how, separator));
          // The API path: each text an event's time and an account's signup; then, applied
          // later, a group call that does not resend it (the stored row is read, merged and
          // written back).
          const received = new Date('2026-01-01T00:00:00Z');
          const applier = new MessageApplier(api.store, ingest);
          const apply = (messages: object[]) =>
            applier.apply(messages.map((m, i) => toLogged(m, null, received, `batch[${i}]`)));
          await apply(
            texts.flatMap((text, i) => [
              { type: 'group', userId: `u${i}`, groupId: `a${i}`, traits: { createdAt: text, plan: 'free' } },
              { type: 'track', userId: `u${i}`, event: 'login', messageId: `e${i}`, timestamp: text },
            ]),
          );
          await apply(
            texts.map((_, i) => ({
              type: 'group',
              userId: `u${i}`,
              groupId: `a${i}`,
              traits: { plan: 'growth' },
            })),
          );
          // The file path: the same texts in NDJSON, through the importer.
          const rows = (table: string, make: (text: string, i: number) => object) => {
            const path = join(ingest, `${table}.ndjson`);
            writeFileSync(path, texts.map((t, i) => `${JSON.stringify(make(t, i))}\n`).join(''));
            return path;
          };
          await file.store.importFile({
            table: 'accounts',
            file: rows('accounts', (t, i) => ({ account_id: `a${i}`, created_at: t, plan: 'growth' })),
          });
          await file.store.importFile({
            table: 'events',
            file: rows('events', (t, i) => ({
              event_id: `e${i}`,
              account_id: `a${i}`,
              event: 'login',
              ts: t,
            })),
          });
          const stored = async (store: Store) =>
            store.query<{ id: string; signup: bigint | number; ts: bigint | number }>(
              sql`SELECT a.account_id AS id, epoch_us(a.created_at) AS signup, epoch_us(e.ts) AS ts
               FROM accounts a JOIN events e ON e.event_id = 'e' || substr(a.account_id, 2) ORDER BY id`,
            );
          const expected = times
            .map(([micros], i) => ({ id: `a${i}`, signup: micros, ts: micros }))
            .sort((x, y) => (x.id < y.id ? -1 : 1));
          const [fromApi, fromFile] = [await stored(api.store), await stored(file.store)];
          const plain = (r: { id: string; signup: bigint | number; ts: bigint | number }) => ({
            id: r.id,
            signup: Number(r.signup),
            ts: Number(r.ts),
          });
          expect(fromFile.map(plain), `file: ${texts.join(', ')}`).toEqual(expected);
          expect(fromApi.map(plain), `API: ${texts.join(', ')}`).toEqual(expected);
        },
      ),
      { numRuns: 10, seed: SEED },
    );
  });

  it('refuses at the API what the importer would read differently or not at all', () => {
    const refused = [
      '2024-02-30T00:00:00Z',
      '2024-05-01t10:00:00Z',
      'Wed, 01 May 2024 10:00:00 GMT',
      '2024-05-01T24:00:00Z',
    ];
    for (const text of refused)
      expect(() =>
        toLogged({ type: 'track', userId: 'u', event: 'x', timestamp: text }, null, new Date(), 'batch[0]'),
      ).toThrow(/batch\[0\]\.timestamp: not an ISO-8601 timestamp/);
    // No offset is UTC, as the importer reads it, whatever the machine's zone.
    expect(
      toLogged(
        { type: 'track', userId: 'u', event: 'x', timestamp: '2024-05-01T10:00:00' },
        null,
        new Date(),
        '',
      ).timestamp,
    ).toBe('2024-05-01T10:00:00.000000Z');
  });
});
