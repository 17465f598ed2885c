import { StrataError } from '../../errors.js';
import type { ColumnType } from '../../model/tables.js';
import type { Dialect, SqlValue, TextDialect } from '../dialect.js';
import { withSql } from '../sql-functions.js';

/**
 * ClickHouse SQL that runs both on the server Debian ships (18.16: no window functions,
 * no `WITH name AS (subquery)`, one JOIN per SELECT, no TRUE/FALSE, no DateTime64, no
 * JSONExtract) and on current ClickHouse: one dialect, so results cannot depend on the
 * server's version.
 *
 * Timestamps are Int64 microseconds since 1970-01-01 UTC: 18.16's DateTime holds whole
 * seconds, and events a fraction of a second apart must fall on the same side of a
 * window's edge as they do in DuckDB.
 */
/** Quotes an identifier for ClickHouse: double quotes, inside which ClickHouse reads backslash escapes. */
function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.includes('\u0000')) {
    throw new StrataError('invalid_identifier', `invalid identifier ${JSON.stringify(name)}`);
  }
  return `"${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** ClickHouse string literals read backslash escapes: both the quote and the backslash are escaped. */
function quoteText(value: string): string {
  if (value.includes('\u0000')) throw new StrataError('invalid_value', 'text values cannot contain NUL');
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

const MICROS_PER_DAY = 86_400_000_000;

const clickhouseText: TextDialect = (() => {
  const columnTypes: Record<ColumnType, string> = {
    string: 'String',
    integer: 'Int64',
    double: 'Float64',
    timestamp: 'Int64',
    // JSON objects are kept as text; the json* functions below read them.
    json: 'String',
  };

  function literal(value: SqlValue): string {
    if (value === null) return 'NULL';
    switch (typeof value) {
      case 'boolean':
        return value ? '1' : '0';
      case 'bigint':
        return value.toString();
      case 'number':
        if (!Number.isFinite(value)) throw new StrataError('invalid_value', `cannot use ${value} in SQL`);
        return Number.isInteger(value) ? value.toString() : value.toExponential();
      case 'string':
        return quoteText(value);
      default:
        if (Number.isNaN(value.getTime()))
          throw new StrataError('invalid_value', 'cannot use an invalid date in SQL');
        return `toInt64(${(value.getTime() * 1000).toString()})`;
    }
  }

  // visitParam* find a field by the bytes of its name as written in the JSON text, so
  // the key is written the way JSON encoders write it (backslash and quote escaped).
  const jsonKey = (key: string) => quoteText(JSON.stringify(key).slice(1, -1));
  /** The raw JSON text at `key` (a string keeps its quotes), or NULL when absent. */
  const rawJson = (json: string, key: string) =>
    `if(visitParamHas(${json}, ${jsonKey(key)}), visitParamExtractRaw(${json}, ${jsonKey(key)}), NULL)`;
  // toFloat64OrNull refuses surrounding blanks and (on 18.16) a leading '+', which DuckDB's
  // cast reads: ' 2.5 ' and '+3' are numbers on every engine.
  const textToNumber = (text: string) =>
    `toFloat64OrNull(replaceRegexpOne(replaceRegexpAll(${text}, '^[[:space:]]+|[[:space:]]+$', ''), '^[+]([0-9.])', '\\\\1'))`;
  // An aggregate over no rows is NULL in SQL but 0 (or 1970) in ClickHouse: say NULL.
  const whenAny = (condition: string, aggregate: string) =>
    `if(countIf(${condition}) = 0, NULL, ${aggregate})`;

  return {
    name: 'clickhouse',
    quoteIdentifier,
    literal,
    columnType: (type) => columnTypes[type],
    minusDays: (timestamp, days) => `(${timestamp} - ${literal(Math.trunc(days) * MICROS_PER_DAY)})`,
    wholeDaysBetween: (from, to) => `toInt64(floor(((${to}) - (${from})) / ${MICROS_PER_DAY}))`,
    isoTimestamp: (timestamp) =>
      // formatDateTime's %M is minutes on 18.16 and the month's name today: print the DateTime
      // instead. 18.16 prints the DateTime 0 as '0000-00-00 00:00:00': say 1970 for it.
      `concat(replaceOne(replaceOne(toString(toDateTime(intDiv(${timestamp}, 1000000), 'UTC')), '0000-00-00 00:00:00', '1970-01-01 00:00:00'), ' ', 'T'), '.', substring(toString(1000 + intDiv(${timestamp} % 1000000, 1000)), 2, 3), 'Z')`,
    // visitParam* read flat objects (Segment properties and traits are flat), on every version.
    jsonText: (json, key) =>
      `multiIf(NOT visitParamHas(${json}, ${jsonKey(key)}), NULL, startsWith(visitParamExtractRaw(${json}, ${jsonKey(key)}), '"'), visitParamExtractString(${json}, ${jsonKey(key)}), visitParamExtractRaw(${json}, ${jsonKey(key)}) = 'null', NULL, visitParamExtractRaw(${json}, ${jsonKey(key)}))`,
    jsonNumber: (json, key) => textToNumber(`replaceRegexpAll(${rawJson(json, key)}, '^"|"$', '')`),
    aggregateIf: (fn, expression, condition) => {
      if (fn === 'count') return `countIf(${condition})`;
      const counted = `(${condition}) AND (${expression}) IS NOT NULL`;
      // Already 0 over no rows, as count is. assumeNotNull: the NULLs are left out by `counted`.
      if (fn === 'countDistinct') return `uniqExactIf(assumeNotNull(${expression}), ${counted})`;
      return whenAny(counted, `${fn}If(${expression}, ${counted})`);
    },
    argMaxIf: (value, by, condition) => {
      const counted = `(${condition}) AND (${value}) IS NOT NULL`;
      return whenAny(counted, `argMaxIf(${value}, ${by}, ${counted})`);
    },
    // The text value encoded as 'v<text>', or 'n' for a cleared (NULL) value, so argMax
    // keeps that row; no matching row gives '' (or NULL after an outer join). A tuple would
    // say it more plainly but cannot become Nullable, as join_use_nulls requires.
    latestIf: (value, by, condition) =>
      `argMaxIf(if((${value}) IS NULL, 'n', concat('v', toString(${value}))), ${by}, ${condition})`,
    latestValue: (latest) => `if(startsWith(${latest}, 'v'), substring(${latest}, 2), NULL)`,
    latestFound: (latest) => `ifNull(${latest}, '') != ''`,
    // No window functions on 18.16: each rank is a lookup table of the distinct values with
    // how many values are below each (a cumulative sum over the sorted counts), joined back
    // on the value, one JOIN per SELECT level as 18.16 requires.
    rankNeedsTable: true,
    rankLayer: (relation, ranks) =>
      ranks.reduce((inner, { column, alias }) => {
        const c = quoteIdentifier(column);
        const sorted = `arraySort(groupArray(tuple(v, n)))`;
        const lookup = `SELECT toNullable(tupleElement(pair, 1)) AS ${c},
            100 * if(total > 1, tupleElement(pair, 2) / (total - 1), 0) AS ${quoteIdentifier(alias)}
          FROM (SELECT arrayJoin(arrayMap((v, n, below) -> tuple(v, below - n), arrayMap(x -> tupleElement(x, 1), sorted),
                  arrayMap(x -> tupleElement(x, 2), sorted), arrayCumSum(arrayMap(x -> tupleElement(x, 2), sorted)))) AS pair,
                  arraySum(arrayMap(x -> tupleElement(x, 2), sorted)) AS total
                FROM (SELECT ${sorted} AS sorted FROM (SELECT assumeNotNull(${c}) AS v, count() AS n FROM ${relation}
                  WHERE ${c} IS NOT NULL GROUP BY v)))`;
        return `SELECT * FROM (${inner}) AS ${quoteIdentifier(`ranked_${alias}`)} ANY LEFT JOIN (${lookup}) AS ${quoteIdentifier(`rank_${alias}`)} USING ${c}`;
      }, `SELECT * FROM ${relation}`),
    distinctJsonKeys: (table, column) =>
      `SELECT DISTINCT arrayJoin(extractAll(ifNull(${column}, ''), '"([^"\\\\\\\\]+)"\\\\s*:')) AS key FROM ${table} WHERE ${column} IS NOT NULL`,
    containsText: (haystack, needle) => `positionCaseInsensitiveUTF8(${haystack}, ${needle}) > 0`,
    // 18.16 has no startsWith: the first match at the first character (LIKE would read '%' and '_').
    startsWithText: (haystack, prefix) => `positionCaseInsensitiveUTF8(${haystack}, ${prefix}) = 1`,
    // No concat_ws on 18.16: an array of the parts (NULL as empty), the empty ones out, joined.
    joinPresent: (parts, separator) =>
      parts.length === 0
        ? "''"
        : `arrayStringConcat(arrayFilter(x -> x != '', [${parts.map((p) => `ifNull(toString(${p}), '')`).join(', ')}]), ${separator})`,
    monthNumber: (timestamp) => {
      const time = `toDateTime(intDiv(${timestamp}, 1000000), 'UTC')`;
      return `(toInt64(toYear(${time})) * 12 + toInt64(toMonth(${time})) - 1)`;
    },
    // range(n) only: 18.16 has no range(start, end).
    // %Y and %m mean the same on every version (unlike %M).
    monthLabel: (timestamp, by) => {
      const time = `toDateTime(intDiv(${timestamp}, 1000000), 'UTC')`;
      return by === 'month'
        ? `formatDateTime(${time}, '%Y-%m')`
        : `concat(toString(toYear(${time})), '-Q', toString(toQuarter(${time})))`;
    },
    // An array cannot be Nullable: a NULL bound, either of them, gives no rows (0 to -1).
    explodeRange: (low, high) => {
      const lo = `toInt64(ifNull(${low}, 0))`;
      const hi = `toInt64(if((${low}) IS NULL, -1, ifNull(${high}, -1)))`;
      return `arrayJoin(arrayMap(i -> ${lo} + toInt64(i), range(toUInt64(greatest(${hi} - ${lo} + 1, 0)))))`;
    },
    // splitByChar fails on a Nullable: NULL is read as '', which gives no item once empties are out.
    explodeList: (list) =>
      `arrayJoin(arrayFilter(x -> x != '', splitByChar(',', replaceAll(ifNull(${list}, ''), ' ', ''))))`,
    // position is 0 when absent, so the whole text; bytes on both sides, so UTF-8 stays whole.
    afterFirst: (text, separator) =>
      `substring(${text}, position(${text}, ${separator}) + 1, length(${text}))`,
    // reinterpretAsUInt32 reads little-endian: reverse the 4 bytes to read them big-endian.
    md5Bucket: (text) => `toUInt64(reinterpretAsUInt32(reverse(substring(MD5(${text}), 1, 4))))`,
    toDouble: (number) => `toFloat64(${number})`,
    toNumber: textToNumber,
    // Timestamps are stored as microseconds already.
    epochMicros: (timestamp) => `toInt64(${timestamp})`,
    textList: (text) => `arrayStringConcat(groupArray(${text}), ',')`,
    // log() is the natural logarithm in ClickHouse (ln is only an alias in later versions).
    naturalLog: (number) => `log(${number})`,
    // No window functions: count the rows of each distinct value (in the pool), sort those
    // (value, count) pairs in an array; a value's ties run from the running count before it
    // plus 1 to the running count s with it, mean (2s - k + 1) / 2. Join the positions back
    // by value, then by account_id, one JOIN per SELECT level.
    positionLayer: (relation, orderings, inner) =>
      orderings.reduce((query, { column, alias, pool }) => {
        const c = quoteIdentifier(column);
        const a = quoteIdentifier(alias);
        const where = pool ? `WHERE ${quoteIdentifier(pool)} = 1` : '';
        const values = `SELECT tupleElement(pair, 1) AS v, toFloat64(tupleElement(pair, 2)) AS ${a}, toUInt64(total) AS ${quoteIdentifier(`${alias}_count`)}
          FROM (SELECT arrayJoin(arrayMap((g, s) -> tuple(tupleElement(g, 1), (2 * s - tupleElement(g, 2) + 1) / 2), groups,
                arrayCumSum(arrayMap(g -> tupleElement(g, 2), groups)))) AS pair,
              arraySum(arrayMap(g -> tupleElement(g, 2), groups)) AS total
            FROM (SELECT arraySort(groupArray(tuple(v, k))) AS groups
              FROM (SELECT ${c} AS v, count() AS k FROM ${relation} ${where} GROUP BY v)))`;
        const positions = `SELECT account_id, ${a}, ${quoteIdentifier(`${alias}_count`)}
          FROM (SELECT account_id, ${c} AS v FROM ${relation} ${where}) AS ${quoteIdentifier(`pooled_${alias}`)}
          ANY LEFT JOIN (${values}) AS ${quoteIdentifier(`values_${alias}`)} USING v`;
        return `SELECT * FROM (${query}) AS ${quoteIdentifier(`before_${alias}`)} ANY LEFT JOIN (${positions}) AS ${quoteIdentifier(`positions_${alias}`)} USING account_id`;
      }, inner ?? `SELECT * FROM ${relation}`),
    // One JOIN per SELECT level; join_use_nulls (set by the store) gives NULLs to accounts
    // without rows; current ClickHouse wants every joined subquery named.
    joinOnAccount: (relations) =>
      relations.reduce((joined, relation, i) =>
        i === 0
          ? joined
          : `(SELECT * FROM ${joined} ANY LEFT JOIN ${relation} USING account_id) AS ${quoteIdentifier(`joined_${i}`)}`,
      ),
    // GLOBAL: the small side may be a table of this node only; it is shipped to the shards.
    joinSmall: (left, right) => `${left} GLOBAL ALL INNER JOIN ${right} USING account_id`,
    castText: (expression) => `toString(${expression})`,
    distinctFrom: (a, b) =>
      `if((${a}) IS NULL OR (${b}) IS NULL, ((${a}) IS NULL) != ((${b}) IS NULL), (${a}) != (${b}))`,
  };
})();

export const clickhouseDialect: Dialect = withSql(clickhouseText);
