import { StrataError } from '../../errors.js';
import type { ColumnType } from '../../model/tables.js';
import type { Dialect, SqlValue, TextDialect } from '../dialect.js';
import { withSql } from '../sql-functions.js';

const COLUMN_TYPES: Record<ColumnType, string> = {
  string: 'VARCHAR',
  integer: 'BIGINT',
  double: 'DOUBLE',
  // Timestamps are stored as UTC without a zone, so both engines compare them the same way.
  timestamp: 'TIMESTAMP',
  json: 'JSON',
};

/** Quotes an identifier for DuckDB (double quotes, doubled inside). */
function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.includes('\u0000')) {
    throw new StrataError('invalid_identifier', `invalid identifier ${JSON.stringify(name)}`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** Renders a value as a DuckDB literal; strings use standard SQL quoting (no backslash escapes). */
function literal(value: SqlValue): string {
  if (value === null) return 'NULL';
  switch (typeof value) {
    case 'boolean':
      return value ? 'TRUE' : 'FALSE';
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isFinite(value)) throw new StrataError('invalid_value', `cannot use ${value} in SQL`);
      return Number.isInteger(value) ? value.toString() : value.toExponential();
    case 'string':
      if (value.includes('\u0000')) throw new StrataError('invalid_value', 'text values cannot contain NUL');
      return `'${value.replaceAll("'", "''")}'`;
    default:
      return `TIMESTAMP '${value.toISOString().replace('T', ' ').replace('Z', '')}'`;
  }
}

/** JSON Pointer to a key: '~' and '/' are its only escapes, so any key is addressed safely. */
const pointer = (key: string) => literal(`/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);

const duckdbText: TextDialect = {
  name: 'duckdb',
  quoteIdentifier,
  literal,
  columnType: (type) => COLUMN_TYPES[type],
  minusDays: (timestamp, days) => `(${timestamp} - INTERVAL (${literal(Math.trunc(days))}) DAY)`,
  isoTimestamp: (timestamp) => `strftime(${timestamp}, '%Y-%m-%dT%H:%M:%S.%gZ')`,
  wholeDaysBetween: (from, to) => `CAST(floor((epoch(${to}) - epoch(${from})) / 86400) AS BIGINT)`,
  jsonText: (json, key) => `json_extract_string(${json}, ${pointer(key)})`,
  jsonNumber: (json, key) => `TRY_CAST(json_extract_string(${json}, ${pointer(key)}) AS DOUBLE)`,
  aggregateIf: (fn, expression, condition) => {
    if (fn === 'count') return `count(*) FILTER (WHERE ${condition})`;
    if (fn === 'countDistinct') return `count(DISTINCT ${expression}) FILTER (WHERE ${condition})`;
    return `${fn}(${expression}) FILTER (WHERE ${condition})`;
  },
  distinctJsonKeys: (table, column) =>
    `SELECT DISTINCT key FROM (SELECT unnest(json_keys(${column})) AS key FROM ${table} WHERE ${column} IS NOT NULL)`,
  containsText: (haystack, needle) => `contains(lower(${haystack}), lower(${needle}))`,
  // starts_with rather than LIKE: a prefix's '%' and '_' are characters, not patterns.
  startsWithText: (haystack, prefix) => `starts_with(lower(${haystack}), lower(${prefix}))`,
  joinPresent: (parts, separator) =>
    parts.length === 0 ? "''" : `concat_ws(${separator}, ${parts.join(', ')})`,
  monthNumber: (timestamp) => `(year(${timestamp}) * 12 + month(${timestamp}) - 1)`,
  monthLabel: (timestamp, by) =>
    by === 'month'
      ? `strftime(${timestamp}, '%Y-%m')`
      : `concat(CAST(year(${timestamp}) AS VARCHAR), '-Q', CAST(quarter(${timestamp}) AS VARCHAR))`,
  explodeRange: (low, high) => `unnest(range(${low}, ${high} + 1))`,
  explodeList: (list) =>
    `unnest(list_filter(string_split(replace(coalesce(${list}, ''), ' ', ''), ','), x -> x <> ''))`,
  // No position(a, b) in DuckDB (only the `IN` form); strpos is 0 when absent, so the whole text.
  afterFirst: (text, separator) => `substring(${text}, strpos(${text}, ${separator}) + 1)`,
  md5Bucket: (text) => `CAST('0x' || substr(md5(${text}), 1, 8) AS UBIGINT)`,
  toDouble: (number) => `CAST(${number} AS DOUBLE)`,
  toNumber: (text) => `TRY_CAST(${text} AS DOUBLE)`,
  epochMicros: (timestamp) => `epoch_us(${timestamp})`,
  textList: (text) => `string_agg(${text}, ',')`,
  // log() is base 10 in DuckDB.
  naturalLog: (number) => `ln(${number})`,
  argMaxIf: (value, by, condition) => `arg_max(${value}, ${by}) FILTER (WHERE ${condition})`,
  // A struct is not NULL when its field is, so arg_max keeps a row whose value was cleared.
  latestIf: (value, by, condition) => `arg_max({'v': ${value}}, ${by}) FILTER (WHERE ${condition})`,
  latestValue: (latest) => `(${latest}).v`,
  latestFound: (latest) => `${latest} IS NOT NULL`,
  rankNeedsTable: false,
  rankLayer: (relation, ranks) => {
    const columns = ranks.map(({ column, alias }) => {
      const c = `r.${quoteIdentifier(column)}`;
      // percent_rank() among the rows with a value, without partitioning them from the NULLs
      // (a partition cost a run at 100k accounts about 0.1 s per rank): NULLs sort last, so a
      // value's rank() over all rows is its rank among values, and count(c) counts values.
      const values = `count(${c}) OVER ()`;
      return `CASE WHEN ${c} IS NULL THEN NULL WHEN ${values} = 1 THEN 0 ELSE 100 * ((rank() OVER (ORDER BY ${c} ASC NULLS LAST) - 1) / (${values} - 1)) END AS ${quoteIdentifier(alias)}`;
    });
    return `SELECT r.*${columns.map((c) => `, ${c}`).join('')} FROM ${relation} r`;
  },
  joinOnAccount: (relations) =>
    relations.reduce((joined, relation) => `${joined}\n    LEFT JOIN ${relation} USING (account_id)`),
  positionLayer: (relation, orderings, inner) => {
    const columns = orderings.flatMap(({ column, alias, pool }) => {
      // Rows outside the pool form their own partition, whose positions are dropped.
      const inPool = pool ? `r.${quoteIdentifier(pool)} = 1` : 'true';
      const partition = pool ? `PARTITION BY ${inPool} ` : '';
      return [
        // rank() is the first position of a value's ties; the running count with peers is the last.
        `CASE WHEN ${inPool} THEN (rank() OVER (${partition}ORDER BY r.${quoteIdentifier(column)}) + count(*) OVER (${partition}ORDER BY r.${quoteIdentifier(column)})) / 2.0 END AS ${quoteIdentifier(alias)}`,
        `CASE WHEN ${inPool} THEN count(*) OVER (${partition}) END AS ${quoteIdentifier(`${alias}_count`)}`,
      ];
    });
    return `SELECT r.*${columns.map((c) => `, ${c}`).join('')} FROM ${inner ? `(${inner})` : relation} r`;
  },
  joinSmall: (left, right) => `${left} INNER JOIN ${right} USING (account_id)`,
  castText: (expression) => `CAST(${expression} AS VARCHAR)`,
  distinctFrom: (a, b) => `(${a}) IS DISTINCT FROM (${b})`,
};

export const duckdbDialect: Dialect = withSql(duckdbText);
