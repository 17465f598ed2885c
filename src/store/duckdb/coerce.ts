import type { ColumnType } from '../../model/tables.js';

/**
 * DuckDB expressions that turn one raw file value into a column's type, or NULL when
 * it does not fit (the importer reports those rows). `raw` is an SQL expression;
 * `rawType` is the DuckDB type it has as read (VARCHAR for CSV and NDJSON).
 */

// ISO-8601 forms DuckDB's own cast does not take: minutes without seconds, hour only,
// and the basic (no separator) forms. Offsets and 'Z' are honoured; the result is UTC.
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
export function textOf(raw: string, rawType: string): string {
  return rawType === 'VARCHAR' ? `nullif(trim(${raw}), '')` : `CAST(${raw} AS VARCHAR)`;
}

/** The typed value of `raw` for a column of `type`, NULL when it cannot be read as one. */
export function coerce(raw: string, rawType: string, type: ColumnType): string {
  const text = textOf(raw, rawType);
  switch (type) {
    case 'string':
      return rawType === 'VARCHAR' ? `nullif(${raw}, '')` : text;
    case 'double':
      return isNumericType(rawType) ? `CAST(${raw} AS DOUBLE)` : `TRY_CAST(${text} AS DOUBLE)`;
    case 'integer': {
      // 12.0 is an integer; 12.5 is not (no silent rounding).
      const number = isNumericType(rawType) ? `CAST(${raw} AS DOUBLE)` : `TRY_CAST(${text} AS DOUBLE)`;
      return `(CASE WHEN ${number} = floor(${number}) AND abs(${number}) < 9.0e15 THEN CAST(${number} AS BIGINT) END)`;
    }
    case 'timestamp':
      if (rawType.startsWith('TIMESTAMP WITH TIME ZONE')) return `timezone('UTC', ${raw})`;
      if (rawType.startsWith('TIMESTAMP') || rawType === 'DATE') return `CAST(${raw} AS TIMESTAMP)`;
      // One try_strptime per format: given a list, DuckDB 1.5 carries one row's offset into
      // later rows parsed by a format without %z (20240501T100000Z read as 04:30 after a +0530).
      return `coalesce(timezone('UTC', TRY_CAST(${text} AS TIMESTAMPTZ)), ${EXTRA_TIMESTAMP_FORMATS.map(
        (f) => `timezone('UTC', try_strptime(${text}, '${f}')::TIMESTAMPTZ)`,
      ).join(', ')})`;
    case 'json':
      if (rawType === 'JSON') return `CAST(${raw} AS JSON)`;
      if (rawType === 'VARCHAR') return `(CASE WHEN json_valid(${text}) THEN CAST(${text} AS JSON) END)`;
      return `to_json(${raw})`;
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
