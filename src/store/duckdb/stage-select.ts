import { duckdbDialect } from '../../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../../dialect/sql.js';
import type { Table } from '../../model/tables.js';
import { mapColumns } from '../column-mapping.js';
import type { ImportRequest } from '../store.js';
import { coerce, coercionCanFail, expectation, textOf } from './coerce.js';
import type { DuckDBStore } from './duckdb-store.js';
import { type FileSource, withDerivedColumns } from './file-source.js';

/**
 * The staging pass of an import: one SELECT that reads a file (its derived columns applied)
 * into the table's typed columns, keeps the raw text of values that can fail to convert,
 * gathers extra columns into traits, and the checks that find its invalid rows.
 */

/** A `\u0000` escape in JSON text: after an even number of backslashes (an odd one escapes the backslash). */
const JSON_NUL_ESCAPE = '(^|[^\\\\])(\\\\\\\\)*\\\\u0000';

/**
 * The instants the ingestion API takes (src/model/instant.ts): microseconds since 1970 that
 * a JavaScript number counts exactly, some 285 years either way. The same bounds here, so a
 * row imported from a file could also have been sent, and reads back to the microsecond.
 */
const EARLIEST_INSTANT = '1684-07-28T00:12:25.259009Z';
const LATEST_INSTANT = '2255-06-05T23:47:34.740991Z';

interface Check {
  /** The file column named in the error, or null for the whole row. */
  readonly column: string | null;
  /** Instead of `column`: a SQL text expression over the staged row that names the column. */
  readonly columnSql?: Sql;
  /** SQL predicate over the staged row: true when the row is invalid. */
  readonly invalid: Sql;
  /** SQL text expression: the reason shown to the user. */
  readonly reason: Sql;
}

/**
 * The value of a required column the file lacks, where the row says it honestly (the rule is
 * the column's `defaultRule` in src/model/tables.ts): a subscription period with an end is
 * over, one without is running. Null when the column has no default or its inputs are missing.
 */
function columnDefault(table: Table, column: string, typed: (name: string) => Sql | null): Sql | null {
  const sql = duckdbDialect.sql;
  if (table.name === 'subscriptions' && column === 'status') {
    const ends = typed('ends_at');
    return ends ? sql`(CASE WHEN ${ends} IS NULL THEN 'active' ELSE 'canceled' END)` : null;
  }
  return null;
}

/**
 * A blank account is linked through the row's user (src/identity): a row with neither links
 * to nothing, so it is invalid. None for a table whose user is required (users) or absent.
 */
function blankAccountCheck(table: Table, sources: ReadonlyMap<string, string>, guard: Sql): Check[] {
  const sql = duckdbDialect.sql;
  const blankable = table.columns.find((c) => c.blank !== undefined);
  const userColumn = table.columns.find((c) => c.name === 'user_id');
  if (!blankable || !userColumn || userColumn.required) return [];
  return [
    {
      column: sources.get(blankable.name) ?? null,
      invalid: sql`${guard}${sql.id(blankable.name)} = '' AND coalesce(trim(${sql.id('user_id')}), '') = ''`,
      reason: sql`${`no ${blankable.name} and no user_id: nothing links the row to an account`}`,
    },
  ];
}

/**
 * Builds the SELECT that reads the file into the table's columns (typed), keeps the raw
 * text of columns that can fail to convert, and gathers extra columns into traits.
 */
export function stageSelect(store: DuckDBStore, table: Table, file: FileSource, request: ImportRequest) {
  const sql = store.dialect.sql;
  const derived = request.derive?.compile(
    file.columns.map((name) =>
      file.format === 'ndjson' || file.format === 'json'
        ? { name, type: 'JSON', value: file.jsonOf(name) }
        : { name, type: file.types.get(name) ?? 'VARCHAR', value: file.valueOf(name) },
    ),
  );
  const { source, errors: deriveErrors } = withDerivedColumns(file, derived ?? []);
  const headerLine = source.format === 'csv' ? 1 : undefined;
  const mapping = mapColumns(table, source.columns, { ...request.map }, request.file, headerLine);
  const select: Sql[] = [sql`__file`, sql`__record`];
  const checks: Check[] = [];
  const rawName = (column: string) => sql.id(`__raw_${column}`);
  const records = source.format === 'ndjson' || source.format === 'json';
  if (records) {
    checks.push({ column: null, invalid: sql`NOT __json_ok`, reason: sql`'not a valid JSON object'` });
    select.push(sql`coalesce(json_type(__json) = 'OBJECT', FALSE) AS __json_ok`);
  }
  const guard = records ? sql`__json_ok AND ` : sql.empty;
  // A value a derived column could not compute (tenure "abc" for a number) makes its row
  // invalid, with that reason alone: the column's own checks (a missing value) wait for it.
  for (const [column, error] of deriveErrors) {
    select.push(error);
    checks.push({ column, invalid: sql`${guard}${error} IS NOT NULL`, reason: error });
  }
  const nulChecked: [fileColumn: string, text: Sql][] = [];

  for (const column of table.columns) {
    const fileColumn = mapping.sources.get(column.name);
    if (column.name === table.extrasColumn) continue;
    if (fileColumn === undefined) {
      const fallback = columnDefault(table, column.name, (name) => {
        const from = mapping.sources.get(name);
        const type = table.columns.find((c) => c.name === name)?.type ?? 'string';
        return from === undefined
          ? null
          : coerce(source.valueOf(from), source.types.get(from) ?? 'VARCHAR', type);
      });
      const blank = column.blank === undefined ? null : sql`''`;
      select.push(
        sql`${fallback ?? blank ?? sql`CAST(NULL AS ${store.dialect.fn.columnType(column.type)})`} AS ${sql.id(column.name)}`,
      );
      continue;
    }
    const raw = source.valueOf(fileColumn);
    const rawType = source.types.get(fileColumn) ?? 'VARCHAR';
    const deriveError = deriveErrors.get(fileColumn);
    const derivedOk = deriveError ? sql`${deriveError} IS NULL AND ` : sql.empty;
    const value = coerce(raw, rawType, column.type);
    select.push(
      sql`${column.blank === undefined ? value : sql`coalesce(trim(${value}), '')`} AS ${sql.id(column.name)}`,
    );
    const typed = sql.id(column.name);
    // The raw text is kept only where conversion can fail: native Parquet types need no copy.
    const canFail = coercionCanFail(rawType, column.type);
    if (canFail) select.push(sql`${textOf(raw, rawType)} AS ${rawName(column.name)}`);
    const present = canFail ? rawName(column.name) : typed;
    const shown = canFail ? sql`left(${rawName(column.name)}, 60)` : sql`CAST(${typed} AS VARCHAR)`;
    // A synthetic key (event_id) may be blank: it is then derived from the row.
    const derived = table.derivedKeyFrom !== undefined && table.key.includes(column.name);
    if (column.required && !derived && column.blank === undefined) {
      checks.push({
        column: fileColumn,
        invalid: sql`${guard}${derivedOk}${present} IS NULL`,
        reason: sql`'missing value'`,
      });
    }
    if (canFail) {
      checks.push({
        column: fileColumn,
        invalid: sql`${guard}${derivedOk}${present} IS NOT NULL AND ${typed} IS NULL`,
        reason: sql`concat(${`expected ${expectation(column.type)}, found "`}, ${shown}, '"')`,
      });
    }
    // File columns read as text, for the one NUL check below.
    if (column.type === 'string') nulChecked.push([fileColumn, textOf(raw, rawType)]);
    if (column.type === 'timestamp') {
      checks.push({
        column: fileColumn,
        invalid: sql`${typed} IS NOT NULL AND epoch_us(${typed}) NOT BETWEEN ${-Number.MAX_SAFE_INTEGER} AND ${Number.MAX_SAFE_INTEGER}`,
        reason: sql`concat(${`${column.name} must be between ${EARLIEST_INSTANT} and ${LATEST_INSTANT}, found "`}, ${shown}, '"')`,
      });
    }
    if (column.range) {
      const [min, max] = column.range;
      const bounds = max >= Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
      checks.push({
        column: fileColumn,
        invalid: sql`${typed} IS NOT NULL AND (${typed} < ${min} OR ${typed} > ${max})`,
        reason: sql`concat(${`${column.name} must be ${bounds}, found `}, ${shown})`,
      });
    }
  }

  checks.push(...blankAccountCheck(table, mapping.sources, guard));
  // Extra file columns are kept, not dropped: they land in traits / properties.
  for (const extra of mapping.extras)
    nulChecked.push([extra, textOf(source.valueOf(extra), source.types.get(extra) ?? 'VARCHAR')]);
  const extrasFrom = mapping.sources.get(table.extrasColumn);
  const pairs = mapping.extras.flatMap((c) => [sql.value(c), source.jsonOf(c)]);
  const extras =
    pairs.length > 0 ? sql`json_merge_patch('{}', json_object(${sql.join(pairs)}))` : sql`'{}'::JSON`;
  const base = extrasFrom
    ? coerce(source.valueOf(extrasFrom), source.types.get(extrasFrom) ?? 'VARCHAR', 'json')
    : null;
  const merged = base ? sql`json_merge_patch(coalesce(${base}, '{}'), ${extras})` : extras;
  select.push(sql`nullif(CAST(${merged} AS VARCHAR), '{}')::JSON AS ${sql.id(table.extrasColumn)}`);
  // Text that cannot be stored is refused at the door, as the ingestion API refuses it
  // (src/ingest/storable-text.ts): DuckDB keeps a NUL, but reading it back into JavaScript
  // fails, so one such id would break every later command that lists it. One CASE in the
  // staging pass names the first text column holding one, rather than a scan per column.
  if (nulChecked.length > 0) {
    const firstWithNul = sql.join(
      nulChecked.map(([fileColumn, text]) => sql`WHEN contains(${text}, chr(0)) THEN ${fileColumn}`),
      sql` `,
    );
    select.push(sql`CASE ${firstWithNul} END AS __nul_column`);
    checks.push({
      column: null,
      columnSql: sql`__nul_column`,
      invalid: sql`${guard}__nul_column IS NOT NULL`,
      reason: sql`'contains a NUL character (\\u0000), which cannot be stored'`,
    });
  }

  // A JSON key or value holding a NUL is written \u0000 in JSON text: found by that escape
  // (not preceded by another backslash), looked for only in the rare rows holding the text.
  checks.push({
    column: extrasFrom ?? table.extrasColumn,
    invalid: sql`${guard}${nulChecked.length > 0 ? sql`__nul_column IS NULL AND ` : sql.empty}contains(CAST(${sql.id(table.extrasColumn)} AS VARCHAR), '\\u0000') AND regexp_matches(CAST(${sql.id(table.extrasColumn)} AS VARCHAR), ${JSON_NUL_ESCAPE})`,
    reason: sql`'contains a NUL character (\\u0000) in a JSON key or value, which cannot be stored'`,
  });
  if (extrasFrom) {
    const raw = textOf(source.valueOf(extrasFrom), source.types.get(extrasFrom) ?? 'VARCHAR');
    select.push(sql`${raw} IS NOT NULL AND json_type(${base}) IS DISTINCT FROM 'OBJECT' AS __extras_bad`);
    checks.push({
      column: extrasFrom,
      invalid: sql`${guard}__extras_bad`,
      reason: sql`'expected a JSON object'`,
    });
  }
  if (source.format === 'csv') {
    // Newlines inside quoted fields: needed to turn record numbers into line numbers.
    // One flat concat_ws over the columns: a sum of one term per column nests as deep as the
    // file is wide, and DuckDB refuses expressions deeper than 1000.
    const joined = sql`concat_ws('', ${sql.join(file.columns.map((c) => sql.id(c)))})`;
    select.push(
      file.columns.length > 0
        ? sql`length(${joined}) - length(replace(${joined}, chr(10), '')) AS __newlines`
        : sql`0 AS __newlines`,
    );
  } else {
    select.push(sql`0 AS __newlines`);
  }
  // The relation to read: the file's, with its derived columns computed once per row.
  return { select: sql.join(select, sql`,\n  `), checks, mapping, relation: source.relation };
}
