import { createHash } from 'node:crypto';
import type { Dialect } from '../../src/dialect/dialect.js';
import { TIME_CASES } from './time-cases.js';

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
  lead: '007',
  yes: true,
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
  // Leading zeros read as the number (countDistinct counts "007" and 7 as one value).
  jsonNumber('lead', 7),
  // true is no number (countDistinct counts it by its text, 'true').
  jsonNumber('yes', null),
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
  // A prefix, case-insensitive beyond ASCII; '%' and '_' match only themselves; '' begins everything.
  ...(
    [
      ['case', 'Healthcare', 'HEALTH', 1],
      ['accents', 'École', 'éco', 1],
      ['inside only', 'my health', 'health', 0],
      ['percent', '50% off', '50%', 1],
      ['percent is no wildcard', '500 off', '50%', 0],
      ['underscore is no wildcard', 'abc', 'a_c', 0],
      ['underscore', 'a_c', 'a_', 1],
      ['empty prefix', 'abc', '', 1],
      ['longer than the text', 'ab', 'abc', 0],
    ] as const
  ).map(
    ([name, text, prefix, expected]): ScalarCase => ({
      member: 'startsWithText',
      name,
      sql: (d) => d.startsWithText(d.literal(text), d.literal(prefix)),
      expected,
    }),
  ),
  // After the first separator only; the whole text without one; UTF-8 before it kept whole.
  ...(
    [
      ['email', 'Ann@Mail.Acme.com', '@', 'Mail.Acme.com'],
      ['first of two', 'a.b.c', '.', 'b.c'],
      ['none', 'localhost', '.', 'localhost'],
      ['last character', 'x@', '@', ''],
      ['utf-8 before', 'é☃@ex.com', '@', 'ex.com'],
    ] as const
  ).map(
    ([name, text, separator, expected]): ScalarCase => ({
      member: 'afterFirst',
      name,
      sql: (d) => d.afterFirst(d.literal(text), d.literal(separator)),
      expected,
    }),
  ),
  {
    member: 'startsWithText',
    name: 'null',
    sql: (d) => d.startsWithText('NULL', d.literal('x')),
    expected: null,
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

export const SCALAR_CASES: readonly ScalarCase[] = [...TIME_CASES, ...TEXT, ...NUMBERS];
