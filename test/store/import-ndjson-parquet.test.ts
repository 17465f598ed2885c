import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StrataError } from '../../src/errors.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const dir = tempDir();
let store: DuckDBStore;

beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'strata.duckdb'));
});
afterAll(() => store.close());

type Reported = { errors: { line: number; column: string | null; reason: string }[] };

describe('NDJSON import', () => {
  it('reads nested properties, merges extra keys into them, skips blank lines', async () => {
    const result = await store.importFile({
      table: 'events',
      file: join(fixtures, 'events.ndjson'),
      map: { event_id: 'messageId' },
    });
    expect(result).toMatchObject({ rowsRead: 3, inserted: 3, skipped: 0 });
    expect(
      await store.query(
        sql`SELECT event_id, account_id, user_id, event, ts, properties FROM events ORDER BY event_id`,
      ),
    ).toEqual([
      {
        event_id: 'm1',
        account_id: 'acc_1',
        user_id: 'u1',
        event: 'session_start',
        ts: '2024-05-01T10:00:00.000Z',
        properties: '{"device":"web"}',
      },
      // 10:05:00.250 at +02:00; the top-level "channel" key joins the properties.
      {
        event_id: 'm2',
        account_id: 'acc_1',
        user_id: 'u1',
        event: 'dashboard_created',
        ts: '2024-05-01T08:05:00.250Z',
        properties: '{"widgets":3,"channel":"app"}',
      },
      {
        event_id: 'm3',
        account_id: 'acc_2',
        user_id: null,
        event: 'api_call',
        ts: '2024-05-02T08:00:00.000Z',
        properties: '{"endpoint":"/v1/x","ms":12.5}',
      },
    ]);
  });

  it('derives stable event ids when the file has none, so re-importing adds nothing', async () => {
    const file = join(fixtures, 'events.ndjson');
    // Without the messageId mapping the ids are hashes of the rows (messageId itself lands in properties).
    const first = await store.importFile({ table: 'events', file });
    const second = await store.importFile({ table: 'events', file });
    expect(first).toMatchObject({ inserted: 3, unchanged: 0 });
    expect(second).toMatchObject({ inserted: 0, unchanged: 3 });
    expect(await store.query(sql`SELECT count(*) AS n FROM events`)).toEqual([{ n: 6 }]);
  });

  it('reports bad lines by line number and imports nothing', async () => {
    const error = (await store
      .importFile({
        table: 'events',
        file: join(fixtures, 'events_bad.ndjson'),
        map: { event_id: 'messageId' },
      })
      .catch((e: unknown) => e)) as StrataError;
    expect(error.code).toBe('invalid_rows');
    expect((error.details as Reported).errors.map((e) => [e.line, e.column, e.reason])).toEqual([
      [
        2,
        'ts',
        'expected an ISO-8601 date or timestamp (e.g. 2024-05-01T13:45:00Z), found "2024-13-01T10:00:00Z"',
      ],
      [3, null, 'not a valid JSON object'],
      [4, 'account_id', 'no account_id and no user_id: nothing links the row to an account'],
      [5, 'properties', 'expected a JSON object'],
    ]);
    expect(await store.query(sql`SELECT count(*) AS n FROM events`)).toEqual([{ n: 6 }]);
  });
});

describe('Parquet import', () => {
  it('takes native Parquet types, converts zoned timestamps to UTC, and reports rows by number', async () => {
    const good = join(dir, 'surveys.parquet');
    await store.execute(
      testSql(`COPY (SELECT * FROM (VALUES
        ('acc_1', 'u1', TIMESTAMPTZ '2024-06-01 12:00:00+02', 9, 'email'),
        ('acc_2', NULL, TIMESTAMPTZ '2024-06-02 00:00:00+00', 3, 'in_app')
      ) t(account_id, user_id, ts, nps, channel)) TO '${good}' (FORMAT parquet)`),
    );
    const result = await store.importFile({ table: 'surveys', file: good });
    expect(result).toMatchObject({ rowsRead: 2, inserted: 2 });
    expect(
      await store.query(sql`SELECT account_id, user_id, ts, nps, traits FROM surveys ORDER BY account_id`),
    ).toEqual([
      {
        account_id: 'acc_1',
        user_id: 'u1',
        ts: '2024-06-01T10:00:00.000Z',
        nps: 9,
        traits: '{"channel":"email"}',
      },
      {
        account_id: 'acc_2',
        user_id: null,
        ts: '2024-06-02T00:00:00.000Z',
        nps: 3,
        traits: '{"channel":"in_app"}',
      },
    ]);

    const bad = join(dir, 'surveys-bad.parquet');
    await store.execute(
      testSql(`COPY (SELECT * FROM (VALUES
        ('acc_3', TIMESTAMP '2024-06-01 00:00:00', 7),
        (NULL, TIMESTAMP '2024-06-01 00:00:00', 8),
        ('acc_4', TIMESTAMP '2024-06-01 00:00:00', 11)
      ) t(account_id, ts, nps)) TO '${bad}' (FORMAT parquet)`),
    );
    const error = (await store
      .importFile({ table: 'surveys', file: bad })
      .catch((e: unknown) => e)) as StrataError;
    expect((error.details as Reported).errors.map((e) => [e.line, e.column, e.reason])).toEqual([
      [2, 'account_id', 'missing value'],
      [3, 'nps', 'nps must be between 0 and 10, found 11'],
    ]);
  });

  it('imports a glob of part files as one atomic import', async () => {
    for (const part of [0, 1]) {
      await store.execute(
        testSql(`COPY (SELECT 'e${part}-' || i AS event_id, 'acc_1' AS account_id, 'session_start' AS event,
        TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts FROM range(5) r(i)) TO '${join(dir, `part-${part}.parquet`)}' (FORMAT parquet)`),
      );
    }
    const result = await store.importFile({ table: 'events', file: join(dir, 'part-*.parquet') });
    expect(result).toMatchObject({ rowsRead: 10, inserted: 10 });
  });
});
