import { duckdbDialect } from '../../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../../dialect/sql.js';
import type { ColumnType } from '../../model/tables.js';

const sql = duckdbDialect.sql;

/**
 * DuckDB expressions that turn one raw file value into a column's type, or NULL when
 * it does not fit (the importer reports those rows). `raw` is an SQL expression;
 * `rawType` is the DuckDB type it has as read (VARCHAR for CSV and NDJSON).
 */

// ISO-8601 forms DuckDB's own cast does not take: minutes without seconds, hour only,
// the basic (no separator) forms, and a space before the offset.
// Offsets and 'Z' are honoured; the result is UTC.
const EXTRA_TIMESTAMP_FORMATS = [
  '%Y-%m-%dT%H:%M%z',
  '%Y-%m-%dT%H:%MZ',
  '%Y-%m-%dT%H%z',
  '%Y-%m-%dT%HZ',
  '%Y%m%dT%H%M%S%z',
  '%Y%m%dT%H%M%SZ',
  '%Y%m%dT%H%M%S',
  '%Y%m%dT%H%MZ',
  '%Y%m%d',
  // A space before the offset, as Rails and Zendesk's exports write it (2024-01-15 10:32:05 +0000).
  '%Y-%m-%d %H:%M:%S %z',
  '%Y-%m-%d %H:%M:%S.%f %z',
];

function isNumericType(rawType: string): boolean {
  return /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/.test(
    rawType,
  );
}

/** Whether converting a value read as `rawType` to `type` can fail (text always can; native types mostly not). */
export function coercionCanFail(rawType: string, type: ColumnType): boolean {
  switch (type) {
    case 'string':
      return false;
    case 'double':
      return !isNumericType(rawType);
    case 'integer':
      return !/^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER)$/.test(rawType);
    case 'timestamp':
      return !(rawType.startsWith('TIMESTAMP') || rawType === 'DATE');
    case 'json':
      return rawType === 'VARCHAR';
  }
}

/** Text of a raw value with blanks as NULL. */
export function textOf(raw: Sql, rawType: string): Sql {
  return rawType === 'VARCHAR' ? sql`nullif(trim(${raw}), '')` : sql`CAST(${raw} AS VARCHAR)`;
}

/** The typed value of `raw` for a column of `type`, NULL when it cannot be read as one. */
export function coerce(raw: Sql, rawType: string, type: ColumnType): Sql {
  const text = textOf(raw, rawType);
  switch (type) {
    case 'string':
      return rawType === 'VARCHAR' ? sql`nullif(${raw}, '')` : text;
    case 'double':
      return isNumericType(rawType) ? sql`CAST(${raw} AS DOUBLE)` : sql`TRY_CAST(${text} AS DOUBLE)`;
    case 'integer': {
      // 12.0 is an integer; 12.5 is not (no silent rounding).
      const number = isNumericType(rawType) ? sql`CAST(${raw} AS DOUBLE)` : sql`TRY_CAST(${text} AS DOUBLE)`;
      return sql`(CASE WHEN ${number} = floor(${number}) AND abs(${number}) < 9.0e15 THEN CAST(${number} AS BIGINT) END)`;
    }
    case 'timestamp':
      if (rawType.startsWith('TIMESTAMP WITH TIME ZONE')) return sql`timezone('UTC', ${raw})`;
      if (rawType.startsWith('TIMESTAMP') || rawType === 'DATE') return sql`CAST(${raw} AS TIMESTAMP)`;
      // One try_strptime per format: given a list, DuckDB 1.5 carries one row's offset into
      // later rows parsed by a format without %z (20240501T100000Z read as 04:30 after a +0530).
      return sql`coalesce(timezone('UTC', TRY_CAST(${text} AS TIMESTAMPTZ)), ${sql.join(
        EXTRA_TIMESTAMP_FORMATS.map((f) => sql`timezone('UTC', try_strptime(${text}, ${f})::TIMESTAMPTZ)`),
      )})`;
    case 'json':
      if (rawType === 'JSON') return sql`CAST(${raw} AS JSON)`;
      if (rawType === 'VARCHAR') return sql`(CASE WHEN json_valid(${text}) THEN CAST(${text} AS JSON) END)`;
      return sql`to_json(${raw})`;
  }
}

/** A few words naming what a value of `type` should look like, for error messages. */
export function expectation(type: ColumnType): string {
  switch (type) {
    case 'string':
      return 'text';
    case 'integer':
      return 'a whole number';
    case 'double':
      return 'a number';
    case 'timestamp':
      return 'an ISO-8601 date or timestamp (e.g. 2024-05-01T13:45:00Z)';
    case 'json':
      return 'JSON';
  }
}
