import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseDialect } from '../../src/dialect/clickhouse/clickhouse-dialect.js';
import type { Dialect } from '../../src/dialect/dialect.js';
import { duckdbDialect } from '../../src/dialect/duckdb/duckdb-dialect.js';
import type { Store } from '../../src/store/store.js';
import { ENGINES, type Engine, openEngine } from '../helpers/engines.js';
import { testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import { createFixture } from './fixture-tables.js';
import { BUCKET_IDS, md5Bucket, SCALAR_CASES, type ScalarCase } from './scalar-cases.js';
import { createFixtures, TABLE_CASES } from './table-cases.js';

/*
 * Every member of the Dialect interface checked on every engine against values worked by
 * hand, not only one engine against the other: a mistake both dialects share (a day
 * boundary, a rounding, a NULL read as 0) gives no error, just accounts in the wrong
 * segment, and parity tests cannot see it. Cases are data (scalar-cases.ts, table-cases.ts);
 * the scalar ones go to each engine as one SELECT, so the file costs a few round trips.
 */

/** Engine answers in one shape: booleans as 0 / 1, numbers to 12 significant digits. */
function plain(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return Number(value.toPrecision(12));
  return value;
}
const plainRow = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)]));
const caseKey = (c: ScalarCase) => `${c.member}: ${c.name}`;

/** Runs every scalar case in one SELECT; on an error, each alone, so the failure names its case. */
async function scalarAnswers(store: Store): Promise<Record<string, unknown>> {
  const d = store.dialect;
  const columns = SCALAR_CASES.map((c, i) => `${c.sql(d)} AS c${i}`);
  try {
    const [row = {}] = await store.query(testSql(`SELECT ${columns.join(',\n  ')}`));
    return Object.fromEntries(SCALAR_CASES.map((c, i) => [caseKey(c), plain(row[`c${i}`])]));
  } catch {
    const answers: Record<string, unknown> = {};
    for (const c of SCALAR_CASES) {
      answers[caseKey(c)] = await store
        .query(testSql(`SELECT ${c.sql(d)} AS c`))
        .then(([row]) => plain(row?.c))
        .catch((error: Error) => `error: ${error.message.slice(0, 300)}`);
    }
    return answers;
  }
}

/**
 * The members the interface declares, read from its source: a new member must come with cases.
 * They are the text forms (`TextDialect`); `Dialect` adds only the tag and the same forms over
 * fragments (`sql`, `fn`), checked in sql.test.ts.
 */
function declaredMembers(): string[] {
  const source = readFileSync(new URL('../../src/dialect/dialect.ts', import.meta.url), 'utf8');
  const body = source.slice(source.indexOf('export interface TextDialect {'));
  const members = body.slice(0, body.indexOf('\n}')).matchAll(/^ {2}(?:readonly )?(\w+)\??[(:]/gm);
  return [...members].map((m) => m[1] as string).sort();
}

describe('the Dialect interface', () => {
  it('has hand-worked cases for every member', () => {
    const covered = new Set<string>([
      // Checked in every engine's block below: the store's dialect is named for its engine.
      'name',
      ...SCALAR_CASES.map((c) => c.member),
      ...TABLE_CASES.flatMap((c) => c.members),
    ]);
    const declared = declaredMembers();
    expect(declared.length).toBeGreaterThanOrEqual(31);
    expect(declared.filter((m) => !covered.has(m))).toEqual([]);
    expect([...covered].filter((m) => !declared.includes(m))).toEqual([]);
  });

  it('has md5 buckets on both sides of 2^31 among its ids', () => {
    const buckets = BUCKET_IDS.map(md5Bucket);
    expect(buckets.some((b) => b >= 2 ** 31)).toBe(true);
    expect(buckets.some((b) => b < 2 ** 31)).toBe(true);
  });

  it.each([duckdbDialect, clickhouseDialect])('$name refuses what it cannot write safely', (d: Dialect) => {
    expect(() => d.literal('a\u0000b')).toThrow('NUL');
    expect(() => d.literal(Number.NaN)).toThrow('cannot use');
    expect(() => d.literal(Number.POSITIVE_INFINITY)).toThrow('cannot use');
    expect(() => d.quoteIdentifier('')).toThrow('invalid identifier');
    expect(() => d.quoteIdentifier('a\u0000')).toThrow('invalid identifier');
  });
});

/*
 * The SQL itself, pinned where one character decides the answer (Cube's dialect tests do
 * the same): the cases below execute it.
 */
describe('the SQL each dialect writes', () => {
  it('DuckDB: standard quoting, interval days, epoch seconds, a big-endian hex bucket', () => {
    const d = duckdbDialect;
    expect(d.literal("it's \\")).toBe("'it''s \\'");
    expect(d.quoteIdentifier('a"b')).toBe('"a""b"');
    expect(d.minusDays('ts', 1.9)).toBe('(ts - INTERVAL (1) DAY)');
    expect(d.wholeDaysBetween('a', 'b')).toBe('CAST(floor((epoch(b) - epoch(a)) / 86400) AS BIGINT)');
    expect(d.md5Bucket('id')).toBe("CAST('0x' || substr(md5(id), 1, 8) AS UBIGINT)");
    expect(d.monthNumber('ts')).toBe('(year(ts) * 12 + month(ts) - 1)');
  });

  it('ClickHouse: backslash escapes, microsecond arithmetic, the bucket bytes reversed', () => {
    const d = clickhouseDialect;
    expect(d.literal("it's \\")).toBe("'it\\'s \\\\'");
    expect(d.quoteIdentifier('a"b\\')).toBe('"a\\"b\\\\"');
    expect(d.literal(new Date('2024-02-29T00:00:00.001Z'))).toBe('toInt64(1709164800001000)');
    expect(d.minusDays('ts', -1.5)).toBe('(ts - -86400000000)');
    expect(d.wholeDaysBetween('a', 'b')).toBe('toInt64(floor(((b) - (a)) / 86400000000))');
    expect(d.md5Bucket('id')).toBe('toUInt64(reinterpretAsUInt32(reverse(substring(MD5(id), 1, 4))))');
  });
});

const dir = tempDir();
const database = `dialect_${process.pid}`;

describe.each(ENGINES)('dialect invariants on %s', (engine: Engine) => {
  let store: Store;

  beforeAll(async () => {
    store = await openEngine(engine, dir, database);
    await createFixtures(store);
  });
  afterAll(() => store?.close());

  it('uses the dialect of its engine', () => {
    expect(store.dialect.name).toBe(engine === 'duckdb' ? 'duckdb' : 'clickhouse');
  });

  it('answers every scalar case as worked by hand', async () => {
    const expected = Object.fromEntries(SCALAR_CASES.map((c) => [caseKey(c), plain(c.expected)]));
    expect(await scalarAnswers(store)).toEqual(expected);
  });

  it('filters on the keys of withKeys: none, three, and 300 (a temporary table on DuckDB), quoted ids among them', async () => {
    // 500 ids k000..k499, three of them with a quote, a backslash and both.
    const ids = Array.from({ length: 500 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    ids[7] = "k'7";
    ids[8] = 'k\\8';
    ids[9] = "k\\'9";
    const { literal } = store.dialect;
    await createFixture(
      store,
      'keyed',
      [['account_id', 'string']],
      ids.map((id) => [literal(id)]),
    );
    const among = (keys: readonly string[]) =>
      store.withKeys(keys, async (list) =>
        (
          await store.query<{ account_id: string }>(
            store.dialect.sql`SELECT account_id FROM keyed WHERE account_id IN ${list} ORDER BY account_id`,
          )
        ).map((row) => row.account_id),
      );
    expect(await among([])).toEqual([]);
    expect(await among(["k'7", 'k\\8', 'absent'])).toEqual(["k'7", 'k\\8'].sort());
    // Every even position of the first 600 (300 keys): k000, k002, ..., k498 exist (250), but
    // k008, whose row holds k\8 instead (249).
    const even = Array.from({ length: 300 }, (_, i) => `k${String(i * 2).padStart(3, '0')}`);
    expect(await among(even)).toEqual(even.slice(0, 250).filter((id) => id !== 'k008'));
  });

  it.each(TABLE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const rows = (await store.query(testSql(c.sql(store.dialect)))).map(plainRow);
    expect(rows).toEqual(c.expected.map(plainRow));
  });
});
