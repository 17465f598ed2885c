import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseDialect } from '../../src/dialect/clickhouse/clickhouse-dialect.js';
import type { SqlValue } from '../../src/dialect/dialect.js';
import { duckdbDialect } from '../../src/dialect/duckdb/duckdb-dialect.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';

/*
 * The sql tag on each engine: values become literals through the dialect's one escaping
 * function, fragments and identifiers pass as they are. The expected text is written out
 * by hand per engine (DuckDB doubles a quote and reads a backslash as itself; ClickHouse
 * reads backslash escapes, so both the quote and the backslash get one).
 */
const duck = duckdbDialect.sql;
const house = clickhouseDialect.sql;

describe('values become literals', () => {
  const cases: [string, SqlValue, string, string][] = [
    ['a plain string', 'growth', "'growth'", "'growth'"],
    ['a quote', "O'Brien", "'O''Brien'", "'O\\'Brien'"],
    ['a backslash', 'a\\b', "'a\\b'", "'a\\\\b'"],
    ['a backslash before a quote', "\\'", "'\\'''", "'\\\\\\''"],
    [
      'an injection attempt',
      "x'; DROP TABLE accounts; --",
      "'x''; DROP TABLE accounts; --'",
      "'x\\'; DROP TABLE accounts; --'",
    ],
    ['unicode text', 'café ☕', "'café ☕'", "'café ☕'"],
    ['a whole number', 42, '42', '42'],
    ['a negative whole number', -7, '-7', '-7'],
    ['a fraction (exponent form, read as a double)', 1.5, '1.5e+0', '1.5e+0'],
    ['a small negative fraction', -0.25, '-2.5e-1', '-2.5e-1'],
    ['a bigint beyond 2^53', 9007199254740993n, '9007199254740993', '9007199254740993'],
    ['true', true, 'TRUE', '1'],
    ['false', false, 'FALSE', '0'],
    ['null', null, 'NULL', 'NULL'],
    // 2024-02-29 (a leap day) is day 19782 since 1970: 54 years of 365 days, 13 leap days
    // (1972..2020), then 31 + 28 days. 19782 x 86400 + 12:34:56 (45296 s) = 1709210096 s.
    [
      'a timestamp on a leap day',
      new Date('2024-02-29T12:34:56.789Z'),
      "TIMESTAMP '2024-02-29 12:34:56.789'",
      'toInt64(1709210096789000)',
    ],
  ];
  it.each(cases)('%s', (_, value, onDuckDB, onClickHouse) => {
    expect(duck`SELECT ${value}`.text).toBe(`SELECT ${onDuckDB}`);
    expect(house`SELECT ${value}`.text).toBe(`SELECT ${onClickHouse}`);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('refuses %s', (_, value) => {
    expect(() => duck`LIMIT ${value}`).toThrow(/cannot use/);
    expect(() => house`LIMIT ${value}`).toThrow(/cannot use/);
  });

  it('refuses text holding NUL, which neither engine stores', () => {
    expect(() => duck`SELECT ${'a\u0000b'}`).toThrow(/NUL/);
    expect(() => house`SELECT ${'a\u0000b'}`).toThrow(/NUL/);
  });

  it('refuses an invalid date', () => {
    expect(() => duck`SELECT ${new Date('not a date')}`).toThrow();
    expect(() => house`SELECT ${new Date('not a date')}`).toThrow(/invalid date/);
  });

  it('puts LIMIT and OFFSET numbers through the same function', () => {
    expect(duck`SELECT * FROM accounts LIMIT ${10} OFFSET ${20}`.text).toBe(
      'SELECT * FROM accounts LIMIT 10 OFFSET 20',
    );
    // A page size that is not a number cannot slip in as text either: it becomes a string literal.
    expect(duck`LIMIT ${'10; DROP TABLE accounts'}`.text).toBe("LIMIT '10; DROP TABLE accounts'");
  });
});

describe('fragments and identifiers pass as they are', () => {
  it('nests fragments, rendering their values once', () => {
    const inner = duck`count(*) FILTER (WHERE event = ${'login'})`;
    expect(duck`SELECT ${inner} AS n FROM (${duck`SELECT * FROM events WHERE ts > ${5}`}) e`.text).toBe(
      "SELECT count(*) FILTER (WHERE event = 'login') AS n FROM (SELECT * FROM events WHERE ts > 5) e",
    );
  });

  it('quotes identifiers through the dialect', () => {
    expect(duck.id('segment:at risk').text).toBe('"segment:at risk"');
    expect(duck.id('a"b').text).toBe('"a""b"');
    expect(house.id('a"b').text).toBe('"a\\"b"');
    expect(house.id('a\\b').text).toBe('"a\\\\b"');
    expect(duck.id('r', 'b0').text).toBe('"r"."b0"');
    expect(() => duck.id('')).toThrow(/invalid identifier/);
    expect(() => house.id('a\u0000')).toThrow(/invalid identifier/);
  });

  it('joins fragments with a separator (", " by default)', () => {
    const columns = ['a', 'b', 'c'].map((c) => duck.id(c));
    expect(duck.join(columns).text).toBe('"a", "b", "c"');
    expect(duck.join(columns, duck` AND `).text).toBe('"a" AND "b" AND "c"');
    expect(duck.join([]).text).toBe('');
    expect(duck`IN (${duck.join([1, "it's"].map((v) => duck.value(v)))})`.text).toBe("IN (1, 'it''s')");
    expect(duck`x${duck.empty}y`.text).toBe('xy');
  });

  it('refuses to be pasted into a plain template string, which would skip the tag', () => {
    const fragment = duck`SELECT 1`;
    expect(() => `${fragment}`).toThrow(/sql tag/);
  });

  it('gives the dialect constructs as fragments', () => {
    expect(duckdbDialect.fn.minusDays(duck`ts`, 30).text).toBe('(ts - INTERVAL (30) DAY)');
    expect(clickhouseDialect.fn.minusDays(house`ts`, 30).text).toBe('(ts - 2592000000000)');
    expect(duckdbDialect.fn.jsonText(duck`traits`, "it's").text).toBe(
      "json_extract_string(traits, '/it''s')",
    );
  });
});

describe('the literals read back as the values on DuckDB', () => {
  let store: DuckDBStore;
  beforeAll(async () => {
    store = await DuckDBStore.open(':memory:');
  });
  afterAll(() => store.close());

  it('round-trips hostile text, numbers and a timestamp', async () => {
    const text = 'O\'Brien \\ "quoted" -- ; /* */ café';
    const [row] = await store.query<Record<string, unknown>>(
      duck`SELECT ${text} AS t, ${1.5} AS f, ${-7} AS i, ${true} AS b, ${null} AS n,
        ${new Date('2024-02-29T12:34:56.789Z')} AS ts, ${duck.id('a"b')} AS q FROM (SELECT 1 AS ${duck.id('a"b')})`,
    );
    expect(row).toEqual({
      t: text,
      f: 1.5,
      i: -7,
      b: true,
      n: null,
      ts: '2024-02-29T12:34:56.789Z',
      q: 1,
    });
  });
});
