import type { Dialect } from '../../src/dialect/dialect.js';
import type { Store } from '../../src/store/store.js';
import { createFixture, instant as t } from './fixture-tables.js';

/**
 * Dialect members that read rows (aggregates, ranks, joins, row generators), checked on
 * tiny tables worked by hand. One query per case; rows come back ordered by the query.
 */
export interface TableCase {
  readonly members: readonly (keyof Dialect)[];
  readonly name: string;
  readonly sql: (d: Dialect) => string;
  readonly expected: readonly Record<string, string | number | null>[];
}

/** A column name that needs every escape quoteIdentifier has. */
export const ODD_COLUMN = 'we"ird\\col it\'s';

/**
 * facts: a has three rows on or after 2024-01-01 (the latest, 01-02 00:00:00.000001, with
 * v NULL), b two rows one microsecond apart, c one row in 2023 (outside every condition).
 * scores: x and y to rank (x has a NULL, y has a tie), p the pool flag.
 */
export async function createFixtures(store: Store): Promise<void> {
  const d = store.dialect;
  const l = d.literal;
  const fact = (id: string, n: number | null, v: string | null, ts: string, j: string | null) => [
    l(id),
    l(n),
    l(v),
    t(d, ts),
    l(j),
  ];
  await createFixture(
    store,
    'facts',
    [
      ['account_id', 'string'],
      ['n', 'double'],
      ['v', 'string'],
      ['ts', 'timestamp'],
      ['j', 'json'],
    ],
    [
      fact('a', 1, 'x', '2024-01-01 00:00:00', '{"a":1,"b":"x"}'),
      fact('a', 2, null, '2024-01-02 00:00:00.000001', '{"b":2,"c":3}'),
      fact('a', null, 'w', '2024-01-01 12:00:00', null),
      fact('b', 5, 'y', '2024-01-01 00:00:00', '{}'),
      fact('b', 6, 'yy', '2024-01-01 00:00:00.000001', null),
      fact('c', null, null, '2023-12-31 23:59:59.999999', null),
    ],
  );
  const score = (id: string, x: number | null, y: number, p: number) => [l(id), l(x), l(y), l(p)];
  await createFixture(
    store,
    'scores',
    [
      ['account_id', 'string'],
      ['x', 'double'],
      ['y', 'double'],
      ['p', 'integer'],
    ],
    [
      score('a', 10, 3, 1),
      score('b', 20, 1, 1),
      score('c', 20, 2, 0),
      score('d', null, 2, 1),
      score('e', 30, 5, 1),
    ],
  );
  await createFixture(
    store,
    'ranges',
    [
      ['account_id', 'string'],
      ['lo', 'integer'],
      ['hi', 'integer'],
    ],
    [
      ['r1', 1, 3],
      ['r2', 3, 2],
      ['r3', 0, 0],
      ['r4', -2, 0],
      ['r5', null, 2],
    ].map(([id, lo, hi]) => [l(id ?? null), l(lo ?? null), l(hi ?? null)]),
  );
  await createFixture(
    store,
    'typed',
    [
      ['account_id', 'string'],
      [ODD_COLUMN, 'string'],
      ['i', 'integer'],
      ['f', 'double'],
      ['ts', 'timestamp'],
      ['j', 'json'],
    ],
    [
      [
        l('t'),
        l("it's \\"),
        l(9007199254740993n),
        l(0.1),
        t(d, '2024-02-29 12:00:00.000001'),
        l('{"k":"v"}'),
      ],
    ],
  );
}

const since = (d: Dialect) => `ts >= ${t(d, '2024-01-01 00:00:00')}`;
const aggregates = (d: Dialect, condition: string) =>
  (['count', 'countDistinct', 'sum', 'avg', 'min', 'max'] as const)
    .map((fn) => `${d.aggregateIf(fn, 'n', condition)} AS ${fn}`)
    .join(', ');

export const TABLE_CASES: readonly TableCase[] = [
  {
    // a's values x and w (its NULL left out), b's y and yy, joined by commas in either order.
    members: ['textList'],
    name: 'non-NULL texts joined by commas',
    sql: (d) =>
      `SELECT account_id, length(${d.textList('v')}) AS n FROM facts WHERE account_id IN ('a', 'b') GROUP BY account_id ORDER BY account_id`,
    expected: [
      { account_id: 'a', n: 3 },
      { account_id: 'b', n: 4 },
    ],
  },
  {
    // Since 2024-01-01: a has n 1, 2 and NULL (count 3, 2 distinct, sum 3, avg 1.5); b 5 and 6; c no row.
    members: ['aggregateIf'],
    name: 'filtered aggregates per account, NULL where no row counts',
    sql: (d) =>
      `SELECT account_id, ${aggregates(d, since(d))} FROM facts GROUP BY account_id ORDER BY account_id`,
    expected: [
      { account_id: 'a', count: 3, countDistinct: 2, sum: 3, avg: 1.5, min: 1, max: 2 },
      { account_id: 'b', count: 2, countDistinct: 2, sum: 11, avg: 5.5, min: 5, max: 6 },
      { account_id: 'c', count: 0, countDistinct: 0, sum: null, avg: null, min: null, max: null },
    ],
  },
  {
    // v = 'w' holds for a's row whose n is NULL: count counts it, the others see no value.
    members: ['aggregateIf'],
    name: 'count ignores the expression; the others ignore NULLs',
    sql: (d) => `SELECT ${aggregates(d, `v = ${d.literal('w')}`)} FROM facts`,
    expected: [{ count: 1, countDistinct: 0, sum: null, avg: null, min: null, max: null }],
  },
  {
    // Since 2024-01-01, v: a 'x', NULL, 'w' (2 values); b 'y', 'yy' (2); c no row (0, as count).
    // floor(n / 10): a 0, 0, NULL (one value); b 0, 0 (one).
    members: ['aggregateIf'],
    name: 'distinct values: NULL left out, a repeated value counted once, 0 over no rows',
    sql: (d) =>
      `SELECT account_id, ${d.aggregateIf('countDistinct', 'v', since(d))} AS texts, ${d.aggregateIf('countDistinct', 'floor(n / 10)', since(d))} AS tens FROM facts GROUP BY account_id ORDER BY account_id`,
    expected: [
      { account_id: 'a', texts: 2, tens: 1 },
      { account_id: 'b', texts: 2, tens: 1 },
      { account_id: 'c', texts: 0, tens: 0 },
    ],
  },
  {
    // a's rows since 2024 give -0, 0 and 0. Current ClickHouse counts -0 apart from 0 (18.16 and
    // DuckDB do not), so the compiler adds 0 first: -0 + 0 is 0 in IEEE arithmetic, on every engine.
    members: ['aggregateIf'],
    name: 'distinct numbers: -0 + 0 is 0',
    sql: (d) =>
      `SELECT ${d.aggregateIf('countDistinct', `(CASE WHEN n = 1 THEN ${d.toNumber(d.literal('-0'))} ELSE ${d.toNumber(d.literal('0'))} END + 0)`, since(d))} AS zeros FROM facts WHERE account_id = 'a'`,
    expected: [{ zeros: 1 }],
  },
  {
    members: ['aggregateIf', 'argMaxIf'],
    name: 'aggregates over no rows at all',
    sql: (d) =>
      `SELECT ${aggregates(d, '1 = 1')}, ${d.argMaxIf('v', 'ts', '1 = 1')} AS latest FROM facts WHERE account_id = 'none'`,
    expected: [{ count: 0, countDistinct: 0, sum: null, avg: null, min: null, max: null, latest: null }],
  },
  {
    // a: the latest row (01-02) has v NULL, so the next latest, 'w' at 01-01 12:00; its n is 2.
    // b: 'yy' is one microsecond after 'y'. c: no row since 2024.
    members: ['argMaxIf'],
    name: 'the value of the latest row, by the microsecond',
    sql: (d) =>
      `SELECT account_id, ${d.argMaxIf('v', 'ts', since(d))} AS v, ${d.argMaxIf('n', 'ts', since(d))} AS n FROM facts GROUP BY account_id ORDER BY account_id`,
    expected: [
      { account_id: 'a', v: 'w', n: 2 },
      { account_id: 'b', v: 'yy', n: 6 },
      { account_id: 'c', v: null, n: null },
    ],
  },
  {
    // Unlike argMaxIf, a's latest row is kept with its cleared (NULL) value.
    members: ['latestIf', 'latestValue', 'latestFound'],
    name: 'the latest row kept whole',
    sql: (d) =>
      `SELECT account_id, ${d.latestFound('l')} AS found, ${d.latestValue('l')} AS v
       FROM (SELECT account_id, ${d.latestIf('v', 'ts', since(d))} AS l FROM facts GROUP BY account_id) latest ORDER BY account_id`,
    expected: [
      { account_id: 'a', found: 1, v: null },
      { account_id: 'b', found: 1, v: 'yy' },
      { account_id: 'c', found: 0, v: null },
    ],
  },
  {
    // What an outer join gives an account without rows.
    members: ['latestFound'],
    name: 'nothing found in a NULL',
    sql: (d) => `SELECT ${d.latestFound('NULL')} AS found`,
    expected: [{ found: 0 }],
  },
  {
    // {} and NULL add nothing.
    members: ['distinctJsonKeys'],
    name: 'the keys of every object',
    sql: (d) => `SELECT key FROM (${d.distinctJsonKeys('facts', 'j')}) keys ORDER BY key`,
    expected: [{ key: 'a' }, { key: 'b' }, { key: 'c' }],
  },
  {
    // x sorted, NULL aside: 10 (a), 20 (b, c), 30 (e): percent_rank = (rank - 1) / (4 - 1),
    // so 0, 1/3, 1/3, 1. y: 1 (b), 2 (c, d), 3 (a), 5 (e): (rank - 1) / 4 = 0, .25, .25, .75, 1.
    // A table where the dialect needs one, else a parenthesised query.
    members: ['rankLayer', 'rankNeedsTable'],
    name: 'percentile ranks against a hand-sorted list',
    sql: (d) =>
      `SELECT account_id, x_rank, y_rank FROM (${d.rankLayer(
        d.rankNeedsTable ? 'scores' : '(SELECT * FROM scores)',
        [
          { column: 'x', alias: 'x_rank' },
          { column: 'y', alias: 'y_rank' },
        ],
      )}) ranked ORDER BY account_id`,
    expected: [
      { account_id: 'a', x_rank: 0, y_rank: 75 },
      { account_id: 'b', x_rank: 100 / 3, y_rank: 0 },
      { account_id: 'c', x_rank: 100 / 3, y_rank: 25 },
      { account_id: 'd', x_rank: null, y_rank: 25 },
      { account_id: 'e', x_rank: 100, y_rank: 100 },
    ],
  },
  {
    // y: b 1st, c and d share 2nd and 3rd (2.5), a 4th, e 5th. In the pool (p = 1, so not c):
    // b 1, d 2, a 3, e 4 of 4; c gets NULL for both.
    members: ['positionLayer'],
    name: 'positions with ties and a pool',
    sql: (d) =>
      `SELECT account_id, pos, pos_count, pooled, pooled_count FROM (${d.positionLayer('scores', [
        { column: 'y', alias: 'pos' },
        { column: 'y', alias: 'pooled', pool: 'p' },
      ])}) positioned ORDER BY account_id`,
    expected: [
      { account_id: 'a', pos: 4, pos_count: 5, pooled: 3, pooled_count: 4 },
      { account_id: 'b', pos: 1, pos_count: 5, pooled: 1, pooled_count: 4 },
      { account_id: 'c', pos: 2.5, pos_count: 5, pooled: null, pooled_count: null },
      { account_id: 'd', pos: 2.5, pos_count: 5, pooled: 2, pooled_count: 4 },
      { account_id: 'e', pos: 5, pos_count: 5, pooled: 4, pooled_count: 4 },
    ],
  },
  {
    // Positions added to the rows of a rank layer of the same accounts (x ranks as above).
    members: ['positionLayer'],
    name: 'positions added to an inner query',
    sql: (d) =>
      `SELECT account_id, x_rank, pos FROM (${d.positionLayer(
        'scores',
        [{ column: 'y', alias: 'pos' }],
        d.rankLayer('scores', [{ column: 'x', alias: 'x_rank' }]),
      )}) positioned ORDER BY account_id`,
    expected: [
      { account_id: 'a', x_rank: 0, pos: 4 },
      { account_id: 'b', x_rank: 100 / 3, pos: 1 },
      { account_id: 'c', x_rank: 100 / 3, pos: 2.5 },
      { account_id: 'd', x_rank: null, pos: 2.5 },
      { account_id: 'e', x_rank: 100, pos: 5 },
    ],
  },
  {
    // scores keeps its five accounts; facts has rows for a (3), b (2), c (1); only a is flagged.
    members: ['joinOnAccount'],
    name: 'left joins on account_id, NULL where a relation has no row',
    sql: (d) =>
      `SELECT account_id, y, fact_rows, flag FROM ${d.joinOnAccount([
        'scores',
        '(SELECT account_id, count(*) AS fact_rows FROM facts GROUP BY account_id) f',
        `(SELECT ${d.literal('a')} AS account_id, 1 AS flag) g`,
      ])} ORDER BY account_id`,
    expected: [
      { account_id: 'a', y: 3, fact_rows: 3, flag: 1 },
      { account_id: 'b', y: 1, fact_rows: 2, flag: null },
      { account_id: 'c', y: 2, fact_rows: 1, flag: null },
      { account_id: 'd', y: 2, fact_rows: null, flag: null },
      { account_id: 'e', y: 5, fact_rows: null, flag: null },
    ],
  },
  {
    // The accounts with facts are a, b and c.
    members: ['joinSmall'],
    name: 'rows of the big side whose account is in the small one',
    sql: (d) =>
      `SELECT account_id, y FROM ${d.joinSmall('scores', '(SELECT account_id FROM facts GROUP BY account_id) small')} ORDER BY account_id`,
    expected: [
      { account_id: 'a', y: 3 },
      { account_id: 'b', y: 1 },
      { account_id: 'c', y: 2 },
    ],
  },
  {
    // r1 1..3; r2 (3..2) none; r3 0..0; r4 -2..0; r5 has a NULL bound: none.
    members: ['explodeRange'],
    name: 'one row per whole number',
    sql: (d) => `SELECT account_id, ${d.explodeRange('lo', 'hi')} AS i FROM ranges ORDER BY account_id, i`,
    expected: [
      ['r1', 1],
      ['r1', 2],
      ['r1', 3],
      ['r3', 0],
      ['r4', -2],
      ['r4', -1],
      ['r4', 0],
    ].map(([account_id, i]) => ({ account_id: account_id as string, i: i as number })),
  },
  {
    // Each logical type keeps its value: 2^53 + 1 exactly, the microsecond (one short of a day).
    // No alias repeats a column name: ClickHouse reads an alias in place of the column.
    members: ['columnType', 'quoteIdentifier'],
    name: 'a table of every column type',
    sql: (d) =>
      `SELECT ${d.quoteIdentifier(ODD_COLUMN)} AS s, ${d.castText('i')} AS big, f, ${d.isoTimestamp('ts')} AS iso,
         ${d.wholeDaysBetween('ts', t(d, '2024-03-01 12:00:00'))} AS days, ${d.jsonText('j', 'k')} AS k FROM typed`,
    expected: [
      { s: "it's \\", big: '9007199254740993', f: 0.1, iso: '2024-02-29T12:00:00.000Z', days: 0, k: 'v' },
    ],
  },
  {
    members: ['quoteIdentifier'],
    name: 'odd names as aliases',
    sql: (d) => `SELECT 1 AS ${d.quoteIdentifier(ODD_COLUMN)}, 2 AS ${d.quoteIdentifier('é space')}`,
    expected: [{ [ODD_COLUMN]: 1, 'é space': 2 }],
  },
  {
    // ' a.com, ,B.io,' -> 'a.com', 'B.io' (spaces out, the empty items between commas dropped).
    members: ['explodeList'],
    name: 'one row per item of a comma-separated list',
    sql: (d) =>
      `SELECT item FROM (SELECT ${d.explodeList(d.literal(' a.com, ,B.io,'))} AS item) q ORDER BY item`,
    expected: [{ item: 'B.io' }, { item: 'a.com' }],
  },
  {
    // NULL and '' have no items: no row at all.
    members: ['explodeList'],
    name: 'no row for an empty or NULL list',
    sql: (d) =>
      `SELECT count(*) AS n FROM (SELECT ${d.explodeList(`nullIf(${d.literal('')}, ${d.literal('')})`)} AS item UNION ALL SELECT ${d.explodeList(d.literal(''))} AS item) q`,
    expected: [{ n: 0 }],
  },
];
