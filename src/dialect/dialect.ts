import type { ColumnType } from '../model/tables.js';
import type { SqlTag } from './sql.js';
import type { SqlFunctions } from './sql-functions.js';

/** A value that may reach SQL; only a dialect's `literal` turns it into SQL text. */
export type SqlValue = string | number | bigint | boolean | Date | null;

/** The aggregates `aggregateIf` computes; `countDistinct` counts the distinct non-NULL values. */
export type AggregateFunction = 'count' | 'countDistinct' | 'sum' | 'avg' | 'min' | 'max';

/**
 * What differs between engines: quoting, the one escaping function, type names, and the
 * few constructs engines spell differently, over SQL text. The compiler (src/compile) and
 * the dialects use these text forms; everyone else writes queries with `sql` and `fn`.
 */
export interface Dialect extends TextDialect {
  /** The tagged template for this engine's SQL: values become literals, fragments pass through. */
  readonly sql: SqlTag;
  /** The constructs below over fragments. */
  readonly fn: SqlFunctions;
}

/** The text forms of a dialect, as each engine writes them. */
export interface TextDialect {
  readonly name: 'duckdb' | 'clickhouse';
  /** Quotes an identifier (table, column, alias); rejects names that cannot be quoted safely. */
  quoteIdentifier(name: string): string;
  /** The single audited way a user value becomes SQL text. */
  literal(value: SqlValue): string;
  /** The engine's type for a logical column type. */
  columnType(type: ColumnType): string;
  /** `timestamp` minus a whole number of days. */
  minusDays(timestamp: string, days: number): string;
  /** A timestamp as ISO-8601 text in UTC with milliseconds ('2024-06-07T00:00:00.000Z'). */
  isoTimestamp(timestamp: string): string;
  /** Whole 24-hour days from `from` to `to` (floored; negative when `to` is earlier). */
  wholeDaysBetween(from: string, to: string): string;
  /** The text at `key` of a JSON object column, or NULL. */
  jsonText(json: string, key: string): string;
  /** The number at `key` of a JSON object column, or NULL when absent or not numeric. */
  jsonNumber(json: string, key: string): string;
  /**
   * `fn` over the rows where `condition` holds; `expression` is ignored by count. Over no rows
   * count and countDistinct give 0, the others NULL.
   */
  aggregateIf(fn: AggregateFunction, expression: string, condition: string): string;
  /** The `value` of the row with the largest `by` among rows where `condition` holds. */
  argMaxIf(value: string, by: string, condition: string): string;
  /**
   * The row with the largest `by` among rows where `condition` holds, kept whole even when
   * its `value` (text) is NULL (a cleared trait). Read it with `latestFound` and `latestValue`.
   */
  latestIf(value: string, by: string, condition: string): string;
  /** The value inside what `latestIf` returned. */
  latestValue(latest: string): string;
  /** Whether `latestIf` found a row. */
  latestFound(latest: string): string;
  /**
   * Adds percentile ranks (0-100 among the non-NULL values, as SQL's percent_rank; NULL stays
   * NULL) of columns of `relation` as new columns. `relation` is a table name, or a
   * parenthesised query when `rankNeedsTable` is false.
   */
  rankLayer(relation: string, ranks: readonly { readonly column: string; readonly alias: string }[]): string;
  /**
   * Adds to the rows of `relation` (which has `account_id`) each ordering's 1-based position
   * of the row when sorted by `column` ascending, equal values sharing the mean of their
   * positions (pandas rank(method='average'); never broken by account_id), as `<alias>` (a
   * double), and the number of rows ranked as `<alias>_count`. With `pool` (a column holding
   * 1 or 0), only rows whose pool is 1 are ranked and counted; the others get NULL for both.
   * `column` must not be NULL. With `inner`, the columns are added to that query's rows
   * instead (a query over the same accounts, e.g. a rank layer of `relation`).
   * `relation` is a table, or a parenthesised query when `rankNeedsTable` is false.
   */
  positionLayer(
    relation: string,
    orderings: readonly { readonly column: string; readonly alias: string; readonly pool?: string }[],
    inner?: string,
  ): string;
  /** True when rankLayer reads its relation more than once, so it must be a table (no window functions). */
  readonly rankNeedsTable: boolean;
  /**
   * FROM-clause text left-joining relations (`table` or `(query) alias`, each with an
   * `account_id` column and otherwise distinct column names) on account_id, the first kept whole.
   */
  joinOnAccount(relations: readonly string[]): string;
  /**
   * FROM-clause text: the rows of big `left` whose account_id is in small `right` (a query
   * with an alias), joined USING account_id; on a cluster `right` is sent to every shard.
   */
  joinSmall(left: string, right: string): string;
  /** Any value as text. */
  castText(expression: string): string;
  /** `a` and `b` differ, a NULL differing from any value but NULL. */
  distinctFrom(a: string, b: string): string;
  /** A query returning the distinct keys (column `key`) of the JSON objects in `table`.`column`. */
  distinctJsonKeys(table: string, column: string): string;
  /** Case-insensitive: does text `haystack` contain text `needle`? */
  containsText(haystack: string, needle: string): string;
  /** Case-insensitive: does text `haystack` begin with text `prefix`? (`%` and `_` are characters.) */
  startsWithText(haystack: string, prefix: string): string;
  /** Text expressions joined by `separator` (a literal), leaving out the NULL ones. */
  joinPresent(parts: readonly string[], separator: string): string;
  /** The calendar month of a timestamp as a whole number, 12 * year + month - 1 (UTC). */
  monthNumber(timestamp: string): string;
  /** A timestamp's calendar month ('2024-03') or quarter ('2024-Q1') as text (UTC). */
  monthLabel(timestamp: string, by: 'month' | 'quarter'): string;
  /** In a SELECT list: one row per whole number from `low` to `high` (none when high < low). */
  explodeRange(low: string, high: string): string;
  /**
   * In a SELECT list: one row per item of a comma-separated text list, spaces removed, empty
   * items left out (NULL or '' gives no row). For short lists such as a domain's aliases.
   */
  explodeList(list: string): string;
  /** The text after the first `separator` (a one-character literal); the whole text when it has none. */
  afterFirst(text: string, separator: string): string;
  /** The first 4 bytes of the MD5 of `text`, big-endian, as a whole number 0..2^32-1 (the same on every engine). */
  md5Bucket(text: string): string;
  /** A number as a double (ClickHouse does not mix integer and float types by itself). */
  toDouble(number: string): string;
  /** Text to a number, NULL when it is not one. */
  toNumber(text: string): string;
  /** A timestamp as whole microseconds since 1970 (UTC). */
  epochMicros(timestamp: string): string;
  /** An aggregate: the non-NULL values of a text expression joined by commas, in no set order ('' or NULL over none). */
  textList(text: string): string;
  /** The natural logarithm of a positive number (NULL stays NULL). */
  naturalLog(number: string): string;
}
