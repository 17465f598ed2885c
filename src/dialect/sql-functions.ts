import type { AggregateFunction, Dialect, TextDialect } from './dialect.js';
import { rawSql, type Sql, sqlTag } from './sql.js';

const t = (fragment: Sql) => fragment.text;

/**
 * The dialect's constructs over fragments, for queries written with the tag (the compiler
 * uses the text forms on `Dialect` directly). Each is the text form, fragments in and out.
 */
export interface SqlFunctions {
  minusDays(timestamp: Sql, days: number): Sql;
  isoTimestamp(timestamp: Sql): Sql;
  wholeDaysBetween(from: Sql, to: Sql): Sql;
  jsonText(json: Sql, key: string): Sql;
  jsonNumber(json: Sql, key: string): Sql;
  aggregateIf(fn: AggregateFunction, expression: Sql, condition: Sql): Sql;
  argMaxIf(value: Sql, by: Sql, condition: Sql): Sql;
  latestIf(value: Sql, by: Sql, condition: Sql): Sql;
  latestValue(latest: Sql): Sql;
  latestFound(latest: Sql): Sql;
  rankLayer(relation: Sql, ranks: readonly { readonly column: string; readonly alias: string }[]): Sql;
  positionLayer(
    relation: Sql,
    orderings: readonly { readonly column: string; readonly alias: string; readonly pool?: string }[],
    inner?: Sql,
  ): Sql;
  joinOnAccount(relations: readonly Sql[]): Sql;
  joinSmall(left: Sql, right: Sql): Sql;
  castText(expression: Sql): Sql;
  distinctFrom(a: Sql, b: Sql): Sql;
  distinctJsonKeys(table: Sql, column: Sql): Sql;
  containsText(haystack: Sql, needle: Sql): Sql;
  startsWithText(haystack: Sql, prefix: Sql): Sql;
  joinPresent(parts: readonly Sql[], separator: Sql): Sql;
  monthNumber(timestamp: Sql): Sql;
  monthLabel(timestamp: Sql, by: 'month' | 'quarter'): Sql;
  explodeRange(low: Sql, high: Sql): Sql;
  explodeList(list: Sql): Sql;
  afterFirst(text: Sql, separator: Sql): Sql;
  md5Bucket(text: Sql): Sql;
  toDouble(number: Sql): Sql;
  toNumber(text: Sql): Sql;
  epochMicros(timestamp: Sql): Sql;
  textList(text: Sql): Sql;
  naturalLog(number: Sql): Sql;
  /** The engine's type name for a logical column type. */
  columnType(type: Parameters<TextDialect['columnType']>[0]): Sql;
}

/** The fragment forms of a dialect's text constructs. */
export function sqlFunctions(d: TextDialect): SqlFunctions {
  return {
    minusDays: (timestamp, days) => rawSql(d.minusDays(t(timestamp), days)),
    isoTimestamp: (timestamp) => rawSql(d.isoTimestamp(t(timestamp))),
    wholeDaysBetween: (from, to) => rawSql(d.wholeDaysBetween(t(from), t(to))),
    jsonText: (json, key) => rawSql(d.jsonText(t(json), key)),
    jsonNumber: (json, key) => rawSql(d.jsonNumber(t(json), key)),
    aggregateIf: (fn, expression, condition) => rawSql(d.aggregateIf(fn, t(expression), t(condition))),
    argMaxIf: (value, by, condition) => rawSql(d.argMaxIf(t(value), t(by), t(condition))),
    latestIf: (value, by, condition) => rawSql(d.latestIf(t(value), t(by), t(condition))),
    latestValue: (latest) => rawSql(d.latestValue(t(latest))),
    latestFound: (latest) => rawSql(d.latestFound(t(latest))),
    rankLayer: (relation, ranks) => rawSql(d.rankLayer(t(relation), ranks)),
    positionLayer: (relation, orderings, inner) =>
      rawSql(d.positionLayer(t(relation), orderings, inner === undefined ? undefined : t(inner))),
    joinOnAccount: (relations) => rawSql(d.joinOnAccount(relations.map(t))),
    joinSmall: (left, right) => rawSql(d.joinSmall(t(left), t(right))),
    castText: (expression) => rawSql(d.castText(t(expression))),
    distinctFrom: (a, b) => rawSql(d.distinctFrom(t(a), t(b))),
    distinctJsonKeys: (table, column) => rawSql(d.distinctJsonKeys(t(table), t(column))),
    containsText: (haystack, needle) => rawSql(d.containsText(t(haystack), t(needle))),
    startsWithText: (haystack, prefix) => rawSql(d.startsWithText(t(haystack), t(prefix))),
    joinPresent: (parts, separator) => rawSql(d.joinPresent(parts.map(t), t(separator))),
    monthNumber: (timestamp) => rawSql(d.monthNumber(t(timestamp))),
    monthLabel: (timestamp, by) => rawSql(d.monthLabel(t(timestamp), by)),
    explodeRange: (low, high) => rawSql(d.explodeRange(t(low), t(high))),
    explodeList: (list) => rawSql(d.explodeList(t(list))),
    afterFirst: (text, separator) => rawSql(d.afterFirst(t(text), t(separator))),
    md5Bucket: (text) => rawSql(d.md5Bucket(t(text))),
    toDouble: (number) => rawSql(d.toDouble(t(number))),
    toNumber: (text) => rawSql(d.toNumber(t(text))),
    epochMicros: (timestamp) => rawSql(d.epochMicros(t(timestamp))),
    textList: (text) => rawSql(d.textList(t(text))),
    naturalLog: (number) => rawSql(d.naturalLog(t(number))),
    columnType: (type) => rawSql(d.columnType(type)),
  };
}

/** A dialect from its text forms: adds the tag and the fragment forms. */
export function withSql(text: TextDialect): Dialect {
  return { ...text, sql: sqlTag(text.literal, text.quoteIdentifier), fn: sqlFunctions(text) };
}
