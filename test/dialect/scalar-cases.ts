import { createHash } from 'node:crypto';
import type { Dialect } from '../../src/dialect/dialect.js';
import { instant as t } from './fixture-tables.js';

/**
 * Dialect members checked one expression at a time, each against a value worked by hand
 * (in the comment beside it). All of them go to an engine as one SELECT with a column per
 * case. Booleans are compared as 0 / 1 (ClickHouse has no boolean type on 18.16).
 */
export interface ScalarCase {
  readonly member: keyof Dialect;
  readonly name: string;
  readonly sql: (d: Dialect) => string;
  readonly expected: string | number | null;
}

const iso = (d: Dialect, text: string) => d.isoTimestamp(t(d, text));
const minus = (d: Dialect, text: string, days: number) => d.isoTimestamp(d.minusDays(t(d, text), days));
const between = (d: Dialect, from: string, to: string) => d.wholeDaysBetween(t(d, from), t(d, to));

const TIME: ScalarCase[] = [
  // ISO text keeps three digits and drops the rest: .123456 reads .123, and the last
  // microsecond of 2023 stays in 2023 (rounding would give 2024-01-01T00:00:00.000Z).
  {
    member: 'isoTimestamp',
    name: 'micro digits dropped',
    sql: (d) => iso(d, '2024-02-29 13:04:05.123456'),
    expected: '2024-02-29T13:04:05.123Z',
  },
  {
    member: 'isoTimestamp',
    name: 'not rounded',
    sql: (d) => iso(d, '2023-12-31 23:59:59.999999'),
    expected: '2023-12-31T23:59:59.999Z',
  },
  {
    member: 'isoTimestamp',
    name: 'the epoch',
    sql: (d) => iso(d, '1970-01-01 00:00:00'),
    expected: '1970-01-01T00:00:00.000Z',
  },
  {
    member: 'isoTimestamp',
    name: 'year 2100',
    sql: (d) => iso(d, '2100-02-28 00:00:00.05'),
    expected: '2100-02-28T00:00:00.050Z',
  },
  // 2024 is a leap year, 2100 is not (divisible by 100, not by 400), 2000 is (by 400).
  {
    member: 'minusDays',
    name: 'into Feb 29 2024',
    sql: (d) => minus(d, '2024-03-01 00:00:00', 1),
    expected: '2024-02-29T00:00:00.000Z',
  },
  {
    member: 'minusDays',
    name: 'no Feb 29 2100',
    sql: (d) => minus(d, '2100-03-01 00:00:00', 1),
    expected: '2100-02-28T00:00:00.000Z',
  },
  {
    member: 'minusDays',
    name: 'into Feb 29 2000',
    sql: (d) => minus(d, '2000-03-01 00:00:00', 1),
    expected: '2000-02-29T00:00:00.000Z',
  },
  // 2024-03-01 to 2025-03-01 is 365 days (no Feb 29 in it): one more day back is Feb 29.
  {
    member: 'minusDays',
    name: '366 days',
    sql: (d) => minus(d, '2025-03-01 06:30:00', 366),
    expected: '2024-02-29T06:30:00.000Z',
  },
  // 31 days before March 31 2024: March has 31 days, so the last day of February.
  {
    member: 'minusDays',
    name: 'a month of 31 days',
    sql: (d) => minus(d, '2024-03-31 00:00:00', 31),
    expected: '2024-02-29T00:00:00.000Z',
  },
  // Whole days: 1.9 is 1, -1.5 is -1 (one day later).
  {
    member: 'minusDays',
    name: 'fraction truncated',
    sql: (d) => minus(d, '2024-03-01 00:00:00', 1.9),
    expected: '2024-02-29T00:00:00.000Z',
  },
  {
    member: 'minusDays',
    name: 'negative days',
    sql: (d) => minus(d, '2024-02-28 23:00:00', -1.5),
    expected: '2024-02-29T23:00:00.000Z',
  },
  // The microsecond survives: a day before 01-02 00:00:00.000001 is one microsecond after
  // 01-01 00:00, so the days from it back to 01-01 00:00 are floor(-1e-6 / 86400) = -1.
  {
    member: 'minusDays',
    name: 'microsecond kept',
    sql: (d) =>
      d.wholeDaysBetween(d.minusDays(t(d, '2024-01-02 00:00:00.000001'), 1), t(d, '2024-01-01 00:00:00')),
    expected: -1,
  },
  // Feb 28 -> Mar 1 is 2 days in 2024, 1 in 2100; Dec 31 2023 -> Dec 31 2024 is 366.
  {
    member: 'wholeDaysBetween',
    name: 'over Feb 29',
    sql: (d) => between(d, '2024-02-28 00:00:00', '2024-03-01 00:00:00'),
    expected: 2,
  },
  {
    member: 'wholeDaysBetween',
    name: 'no Feb 29 in 2100',
    sql: (d) => between(d, '2100-02-28 00:00:00', '2100-03-01 00:00:00'),
    expected: 1,
  },
  {
    member: 'wholeDaysBetween',
    name: 'a leap year',
    sql: (d) => between(d, '2023-12-31 00:00:00', '2024-12-31 00:00:00'),
    expected: 366,
  },
  // One microsecond short of 24 hours is 0 days; backwards it is -0.99999999 days, floored to -1.
  {
    member: 'wholeDaysBetween',
    name: 'a microsecond short',
    sql: (d) => between(d, '2024-01-01 00:00:00.000001', '2024-01-02 00:00:00'),
    expected: 0,
  },
  {
    member: 'wholeDaysBetween',
    name: 'floored backwards',
    sql: (d) => between(d, '2024-01-02 00:00:00', '2024-01-01 00:00:00.000001'),
    expected: -1,
  },
  {
    member: 'wholeDaysBetween',
    name: 'the same instant',
    sql: (d) => between(d, '2024-06-07 08:09:10.5', '2024-06-07 08:09:10.5'),
    expected: 0,
  },
  // Europe's clocks moved on 2024-03-31 and 2024-10-27; in UTC those days have 24 hours.
  {
    member: 'wholeDaysBetween',
    name: 'spring DST in UTC',
    sql: (d) => between(d, '2024-03-30 12:00:00', '2024-03-31 12:00:00'),
    expected: 1,
  },
  {
    member: 'wholeDaysBetween',
    name: 'autumn DST in UTC',
    sql: (d) => between(d, '2024-10-26 12:00:00', '2024-10-27 11:59:59.999999'),
    expected: 0,
  },
  // 12 * year + month - 1: 2024 * 12 = 24288 (January), 2023 * 12 + 11 = 24287, 1970 * 12 = 23640.
  {
    member: 'monthNumber',
    name: 'last microsecond of January',
    sql: (d) => d.monthNumber(t(d, '2024-01-31 23:59:59.999999')),
    expected: 24288,
  },
  {
    member: 'monthNumber',
    name: 'first of February',
    sql: (d) => d.monthNumber(t(d, '2024-02-01 00:00:00')),
    expected: 24289,
  },
  {
    member: 'monthNumber',
    name: 'leap day',
    sql: (d) => d.monthNumber(t(d, '2024-02-29 12:00:00')),
    expected: 24289,
  },
  {
    member: 'monthNumber',
    name: 'December 2023',
    sql: (d) => d.monthNumber(t(d, '2023-12-31 23:59:59.999999')),
    expected: 24287,
  },
  {
    member: 'monthNumber',
    name: 'the epoch',
    sql: (d) => d.monthNumber(t(d, '1970-01-01 00:00:00')),
    expected: 23640,
  },
  // Across a year the numbers still step by one month.
  {
    member: 'monthNumber',
    name: 'one month across a year',
    sql: (d) =>
      `(${d.monthNumber(t(d, '2025-01-01 00:00:00'))}) - (${d.monthNumber(t(d, '2024-12-31 23:59:59.999999'))})`,
    expected: 1,
  },
  {
    member: 'monthLabel',
    name: 'end of January',
    sql: (d) => d.monthLabel(t(d, '2024-01-31 23:59:59.999999'), 'month'),
    expected: '2024-01',
  },
  {
    member: 'monthLabel',
    name: 'leap day month',
    sql: (d) => d.monthLabel(t(d, '2024-02-29 00:00:00'), 'month'),
    expected: '2024-02',
  },
  {
    member: 'monthLabel',
    name: 'December 2100',
    sql: (d) => d.monthLabel(t(d, '2100-12-01 00:00:00'), 'month'),
    expected: '2100-12',
  },
  {
    member: 'monthLabel',
    name: 'end of Q1',
    sql: (d) => d.monthLabel(t(d, '2024-03-31 23:59:59.999999'), 'quarter'),
    expected: '2024-Q1',
  },
  {
    member: 'monthLabel',
    name: 'start of Q2',
    sql: (d) => d.monthLabel(t(d, '2024-04-01 00:00:00'), 'quarter'),
    expected: '2024-Q2',
  },
  {
    member: 'monthLabel',
    name: 'Q4 2023',
    sql: (d) => d.monthLabel(t(d, '2023-12-31 23:59:59.999999'), 'quarter'),
    expected: '2023-Q4',
  },
];

/** Text that must come back from literal() unchanged: quotes, backslashes, escapes that are not escapes. */
export const HOSTILE_TEXTS = [
  "it's",
  'back\\slash',
  "\\'",
  "both \\\\ and ''",
  'trailing\\',
  '\\n is not a newline',
  'tab\tnew\nline\r',
  'é☃😀',
  '',
  "'; DROP TABLE x; --",
];

const JSON_TEXT = JSON.stringify({ a: 'x"y', b: 3, c: null, d: true, 'e"q': 'k', f: 'é', g: 'back\\slash' });
const JSON_NUMBERS = JSON.stringify({
  n: 2.5,
  s: '7',
  t: 'abc',
  z: null,
  e: -1e-3,
  big: 12345678901,
  b: ' 4 ',
});
const jsonText = (key: string, expected: string | null): ScalarCase => ({
  member: 'jsonText',
  name: `text at ${key}`,
  sql: (d) => d.jsonText(d.literal(JSON_TEXT), key),
  expected,
});
const jsonNumber = (key: string, expected: number | null): ScalarCase => ({
  member: 'jsonNumber',
  name: `number at ${key}`,
  sql: (d) => d.jsonNumber(d.literal(JSON_NUMBERS), key),
  expected,
});

const TEXT: ScalarCase[] = [
  ...HOSTILE_TEXTS.map(
    (text, i): ScalarCase => ({
      member: 'literal',
      name: `text ${i}`,
      sql: (d) => d.literal(text),
      expected: text,
    }),
  ),
  // 2^53 + 1 is not a double: it must reach the engine as an exact integer.
  {
    member: 'literal',
    name: 'bigint',
    sql: (d) => d.castText(d.literal(9007199254740993n)),
    expected: '9007199254740993',
  },
  { member: 'literal', name: 'a tenth', sql: (d) => d.literal(0.1), expected: 0.1 },
  { member: 'literal', name: 'tiny', sql: (d) => d.literal(-2.5e-300), expected: -2.5e-300 },
  { member: 'literal', name: 'integer', sql: (d) => d.literal(42), expected: 42 },
  {
    member: 'literal',
    name: 'true',
    sql: (d) => `CASE WHEN ${d.literal(true)} THEN 1 ELSE 0 END`,
    expected: 1,
  },
  {
    member: 'literal',
    name: 'false',
    sql: (d) => `CASE WHEN ${d.literal(false)} THEN 1 ELSE 0 END`,
    expected: 0,
  },
  {
    member: 'literal',
    name: 'null',
    sql: (d) => `CASE WHEN ${d.literal(null)} IS NULL THEN 1 ELSE 0 END`,
    expected: 1,
  },
  {
    member: 'literal',
    name: 'date',
    sql: (d) => d.isoTimestamp(d.literal(new Date('2024-02-29T23:59:59.999Z'))),
    expected: '2024-02-29T23:59:59.999Z',
  },
  jsonText('a', 'x"y'),
  jsonText('b', '3'),
  jsonText('c', null),
  jsonText('d', 'true'),
  jsonText('e"q', 'k'),
  jsonText('f', 'é'),
  jsonText('g', 'back\\slash'),
  jsonText('missing', null),
  jsonNumber('n', 2.5),
  jsonNumber('s', 7),
  jsonNumber('t', null),
  jsonNumber('z', null),
  jsonNumber('e', -0.001),
  jsonNumber('big', 12345678901),
  jsonNumber('b', 4),
  jsonNumber('missing', null),
  { member: 'castText', name: 'integer', sql: (d) => d.castText('42'), expected: '42' },
  { member: 'castText', name: 'half', sql: (d) => d.castText('2.5'), expected: '2.5' },
  { member: 'castText', name: 'text', sql: (d) => d.castText(d.literal("it's")), expected: "it's" },
  { member: 'castText', name: 'null', sql: (d) => d.castText('NULL'), expected: null },
  // Case-insensitive beyond ASCII; '%' and '_' are characters, not patterns; '' is in everything.
  {
    member: 'containsText',
    name: 'case',
    sql: (d) => d.containsText(d.literal('Healthcare'), d.literal('HEALTH')),
    expected: 1,
  },
  {
    member: 'containsText',
    name: 'accents',
    sql: (d) => d.containsText(d.literal('ÉCOLE'), d.literal('éco')),
    expected: 1,
  },
  {
    member: 'containsText',
    name: 'percent',
    sql: (d) => d.containsText(d.literal('50%'), d.literal('%')),
    expected: 1,
  },
  {
    member: 'containsText',
    name: 'underscore',
    sql: (d) => d.containsText(d.literal('abc'), d.literal('_')),
    expected: 0,
  },
  {
    member: 'containsText',
    name: 'empty needle',
    sql: (d) => d.containsText(d.literal('abc'), d.literal('')),
    expected: 1,
  },
  {
    member: 'containsText',
    name: 'absent',
    sql: (d) => d.containsText(d.literal('Finance'), d.literal('health')),
    expected: 0,
  },
  {
    member: 'containsText',
    name: 'null',
    sql: (d) => d.containsText('NULL', d.literal('x')),
    expected: null,
  },
  {
    member: 'joinPresent',
    name: 'a NULL left out',
    sql: (d) => d.joinPresent([d.literal('a'), 'NULL', d.literal('c')], d.literal(', ')),
    expected: 'a, c',
  },
  {
    member: 'joinPresent',
    name: 'only NULLs',
    sql: (d) => d.joinPresent(['NULL', 'NULL'], d.literal('-')),
    expected: '',
  },
  { member: 'joinPresent', name: 'no parts', sql: (d) => d.joinPresent([], d.literal(',')), expected: '' },
  {
    member: 'joinPresent',
    name: 'one part',
    sql: (d) => d.joinPresent([d.literal("it's")], d.literal(',')),
    expected: "it's",
  },
];

/** The documented formula, computed apart from any engine: the MD5's first 4 bytes, big-endian. */
export const md5Bucket = (text: string) => createHash('md5').update(text, 'utf8').digest().readUInt32BE(0);
/** Ids whose buckets are checked; at least one bucket is 2^31 or more (a sign bug would show). */
export const BUCKET_IDS = ['a1', 'acct_00042', '', 'é', "it's", 'back\\slash', 'x'.repeat(100)];

const NUMBERS: ScalarCase[] = [
  ...BUCKET_IDS.map(
    (id): ScalarCase => ({
      member: 'md5Bucket',
      name: `bucket of ${JSON.stringify(id)}`,
      sql: (d) => d.md5Bucket(d.literal(id)),
      expected: md5Bucket(id),
    }),
  ),
  // (1, 1) and (NULL, NULL) are not distinct; a NULL and a value are.
  {
    member: 'distinctFrom',
    name: 'equal',
    sql: (d) => `CASE WHEN ${d.distinctFrom('1', '1')} THEN 1 ELSE 0 END`,
    expected: 0,
  },
  {
    member: 'distinctFrom',
    name: 'different',
    sql: (d) => `CASE WHEN ${d.distinctFrom('1', '2')} THEN 1 ELSE 0 END`,
    expected: 1,
  },
  {
    member: 'distinctFrom',
    name: 'null and value',
    sql: (d) => `CASE WHEN ${d.distinctFrom('NULL', '1')} THEN 1 ELSE 0 END`,
    expected: 1,
  },
  {
    member: 'distinctFrom',
    name: 'value and null',
    sql: (d) => `CASE WHEN ${d.distinctFrom(d.literal('a'), 'NULL')} THEN 1 ELSE 0 END`,
    expected: 1,
  },
  {
    member: 'distinctFrom',
    name: 'two nulls',
    sql: (d) => `CASE WHEN ${d.distinctFrom('NULL', 'NULL')} THEN 1 ELSE 0 END`,
    expected: 0,
  },
  {
    member: 'distinctFrom',
    name: 'equal text',
    sql: (d) => `CASE WHEN ${d.distinctFrom(d.literal('a'), d.literal('a'))} THEN 1 ELSE 0 END`,
    expected: 0,
  },
  // 2^53 + 1 becomes the nearest double, 2^53; 1 / 4 divides as doubles.
  {
    member: 'toDouble',
    name: 'nearest double',
    sql: (d) => d.toDouble('9007199254740993'),
    expected: 9007199254740992,
  },
  {
    member: 'toDouble',
    name: 'a quarter',
    sql: (d) => `${d.toDouble('1')} / ${d.toDouble('4')}`,
    expected: 0.25,
  },
  { member: 'toDouble', name: 'null', sql: (d) => d.toDouble('NULL'), expected: null },
  { member: 'toNumber', name: 'integer', sql: (d) => d.toNumber(d.literal('42')), expected: 42 },
  { member: 'toNumber', name: 'negative', sql: (d) => d.toNumber(d.literal('-0.5')), expected: -0.5 },
  { member: 'toNumber', name: 'exponent', sql: (d) => d.toNumber(d.literal('1e3')), expected: 1000 },
  // Blanks around a number and a leading '+' are read (DuckDB's cast does); '++3' is not a number.
  { member: 'toNumber', name: 'blanks', sql: (d) => d.toNumber(d.literal(' 2.5 ')), expected: 2.5 },
  { member: 'toNumber', name: 'tab and newline', sql: (d) => d.toNumber(d.literal('\t7\n')), expected: 7 },
  { member: 'toNumber', name: 'plus', sql: (d) => d.toNumber(d.literal('+3')), expected: 3 },
  { member: 'toNumber', name: 'two pluses', sql: (d) => d.toNumber(d.literal('++3')), expected: null },
  { member: 'toNumber', name: 'word', sql: (d) => d.toNumber(d.literal('abc')), expected: null },
  { member: 'toNumber', name: 'empty', sql: (d) => d.toNumber(d.literal('')), expected: null },
  {
    member: 'toNumber',
    name: 'trailing letters',
    sql: (d) => d.toNumber(d.literal('12abc')),
    expected: null,
  },
  { member: 'toNumber', name: 'null', sql: (d) => d.toNumber('NULL'), expected: null },
  // ln 1 = 0; ln 100 = 2 ln 10 = 2 * 2.302585092994046; ln e = 1.
  { member: 'naturalLog', name: 'one', sql: (d) => d.naturalLog('1'), expected: 0 },
  { member: 'naturalLog', name: 'hundred', sql: (d) => d.naturalLog('100'), expected: 4.605170185988092 },
  { member: 'naturalLog', name: 'e', sql: (d) => d.naturalLog('2.718281828459045'), expected: 1 },
  { member: 'naturalLog', name: 'null', sql: (d) => d.naturalLog('NULL'), expected: null },
];

export const SCALAR_CASES: readonly ScalarCase[] = [...TIME, ...TEXT, ...NUMBERS];
