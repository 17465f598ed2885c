import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ActivationDb } from '../../src/activate/activation-db.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The activation file on its own (a real DuckDB file): memberships and their changes for
 * batches above and below the size where accounts go through a staging table instead of
 * literals, with ids that need quoting; and the trim of delivered outbox rows, which keeps
 * every pending and dead row and the delivered ones within the bounds.
 */

const dbs: ActivationDb[] = [];
afterAll(() => {
  for (const db of dbs) db.close();
});

async function open(kept?: { days: number; rows: number }) {
  const db = await ActivationDb.open(join(tempDir('activation-db-'), 'activation.duckdb'), kept);
  dbs.push(db);
  return db;
}

const DAY = 86_400_000;
const event = (id: string) => ({ id, webhook: 'crm', type: 'segment.entered', body: `{"id":"${id}"}` });

describe('the activation file', () => {
  it('records and reads memberships of 3 accounts and of 300, ids with quotes and backslashes among them', async () => {
    for (const count of [3, 300]) {
      const db = await open();
      const ids = Array.from({ length: count }, (_, i) => `o'brien\\${String(i).padStart(3, '0')}`);
      // First sight: every account known, those at even positions in `a`.
      await db.record(
        [],
        ids.map((account, i) => ({ account, segments: i % 2 === 0 ? ['a'] : [] })),
        [],
        1000,
      );
      // Then positions divisible by 3 enter `b`, and those divisible by 4 leave `a`.
      await db.record(
        ids.flatMap((account, i) =>
          i % 3 === 0 || i % 4 === 0
            ? [{ account, entered: i % 3 === 0 ? ['b'] : [], exited: i % 4 === 0 ? ['a'] : [] }]
            : [],
        ),
        [],
        [],
        2000,
      );
      const found = await db.memberships([...ids, 'never-seen', ids[0] as string]);
      expect(found.has('never-seen')).toBe(false);
      expect(found.size).toBe(count);
      const sorted = (i: number) => [...(found.get(ids[i] as string) ?? [])].sort();
      // Position 0: in a, left a (0 % 4), entered b. 1: nothing. 2: a. 3: b only. 6: a and b.
      expect(sorted(0)).toEqual(['b']);
      expect(sorted(1)).toEqual([]);
      expect(sorted(2)).toEqual(['a']);
      if (count > 6) {
        expect(sorted(3)).toEqual(['b']);
        expect(sorted(6)).toEqual(['a', 'b']);
        // Of 300: `a` holds the even positions not divisible by 4 (2, 6, 10, ..., 298: 75 of
        // them); `b` the multiples of 3 from 0 to 297 (100).
        const holding = (segment: string) => [...found.values()].filter((s) => s.has(segment)).length;
        expect([holding('a'), holding('b')]).toEqual([75, 100]);
      }
    }
  });

  it('keeps every pending and dead row, and delivered ones for the days and rows kept', async () => {
    const db = await open({ days: 7, rows: 2 });
    const now = Date.now();
    await db.enqueue(
      ['d-old', 'd-6days', 'd-recent', 'd-newest', 'pending', 'dead'].map(event),
      now - 9 * DAY,
    );
    await db.failed(['dead'], 'refused', null);
    // The first marks since the file was opened also trim: d-old was delivered 8 days ago
    // (beyond 7), and of the other three delivered rows only the newest two are kept.
    await db.delivered([
      { id: 'd-old', at: now - 8 * DAY },
      { id: 'd-6days', at: now - 6 * DAY },
      { id: 'd-recent', at: now - 1000 },
      { id: 'd-newest', at: now },
    ]);
    const rows = await db.list({ limit: 100 });
    expect(rows.map((row) => `${row.id} ${row.status}`).sort()).toEqual([
      'd-newest delivered',
      'd-recent delivered',
      'dead dead',
      'pending pending',
    ]);
    // What is kept can be sent again, and a change recorded again with a kept id queues nothing new.
    expect(await db.replay({ delivered: true, ids: ['d-recent'] }, now)).toBe(1);
    await db.enqueue([event('d-newest')], now);
    expect((await db.list({ status: 'pending' })).map((row) => row.id).sort()).toEqual([
      'd-recent',
      'pending',
    ]);
  });

  it('marks 300 deliveries delivered and 300 dead in one call each (staged, beyond the literals)', async () => {
    const db = await open();
    const ids = Array.from({ length: 600 }, (_, i) => `e'${i}`);
    await db.enqueue(ids.map(event), 1000);
    // Delivered now: older marks would be trimmed at once (a week is kept).
    const now = Date.now();
    await db.delivered(ids.slice(0, 300).map((id, i) => ({ id, at: now + i })));
    await db.failed(ids.slice(300), 'gone', null);
    const rows = await db.list({ limit: 1000 });
    const count = (status: string) => rows.filter((row) => row.status === status).length;
    expect([count('delivered'), count('dead'), count('pending')]).toEqual([300, 300, 0]);
    expect(rows.find((row) => row.id === "e'299")?.attempts).toBe(1);
    expect(rows.find((row) => row.id === "e'300")?.lastError).toBe('gone');
  });
});
