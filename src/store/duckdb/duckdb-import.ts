import { randomUUID } from 'node:crypto';
import type { Sql } from '../../dialect/sql.js';
import { StrataError } from '../../errors.js';
import { TABLES, type Table } from '../../model/tables.js';
import { mapColumns } from '../column-mapping.js';
import type { ImportRequest, ImportResult, RowError } from '../store.js';
import { coerce, coercionCanFail, expectation, textOf } from './coerce.js';
import { findMixedLineEnd } from './csv-line-ends.js';
import type { DuckDBStore } from './duckdb-store.js';
import { type FileSource, formatOf, openFileSource, withDerivedColumns } from './file-source.js';
import { locateRows } from './locate-rows.js';

/** A `\u0000` escape in JSON text: after an even number of backslashes (an odd one escapes the backslash). */
const JSON_NUL_ESCAPE = '(^|[^\\\\])(\\\\\\\\)*\\\\u0000';

/**
 * The instants the ingestion API takes (src/model/instant.ts): microseconds since 1970 that
 * a JavaScript number counts exactly, some 285 years either way. The same bounds here, so a
 * row imported from a file could also have been sent, and reads back to the microsecond.
 */
const EARLIEST_INSTANT = '1684-07-28T00:12:25.259009Z';
const LATEST_INSTANT = '2255-06-05T23:47:34.740991Z';

/** At most this many invalid rows are described; the count covers all of them. */
const MAX_REPORTED_ERRORS = 1000;

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
 * Builds the SELECT that reads the file into the table's columns (typed), keeps the raw
 * text of columns that can fail to convert, and gathers extra columns into traits.
 */
function stageSelect(store: DuckDBStore, table: Table, file: FileSource, request: ImportRequest) {
  const sql = store.dialect.sql;
  const derived = request.derive?.compile(
    file.columns.map((name) =>
      file.format === 'ndjson' || file.format === 'json'
        ? { name, type: 'JSON', value: file.jsonOf(name) }
        : { name, type: file.types.get(name) ?? 'VARCHAR', value: file.valueOf(name) },
    ),
  );
  const source = withDerivedColumns(file, derived ?? []);
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
  // A value a derived column could not compute (tenure "abc" for a number) makes its row invalid.
  (derived ?? []).forEach((column, i) => {
    if (!column.error) return;
    const name = sql.id(`__derive_error_${i}`);
    select.push(sql`${column.error} AS ${name}`);
    checks.push({ column: column.name, invalid: sql`${guard}${name} IS NOT NULL`, reason: name });
  });
  const nulChecked: [fileColumn: string, text: Sql][] = [];

  for (const column of table.columns) {
    const fileColumn = mapping.sources.get(column.name);
    if (column.name === table.extrasColumn) continue;
    if (fileColumn === undefined) {
      select.push(sql`CAST(NULL AS ${store.dialect.fn.columnType(column.type)}) AS ${sql.id(column.name)}`);
      continue;
    }
    const raw = source.valueOf(fileColumn);
    const rawType = source.types.get(fileColumn) ?? 'VARCHAR';
    select.push(sql`${coerce(raw, rawType, column.type)} AS ${sql.id(column.name)}`);
    const typed = sql.id(column.name);
    // The raw text is kept only where conversion can fail: native Parquet types need no copy.
    const canFail = coercionCanFail(rawType, column.type);
    if (canFail) select.push(sql`${textOf(raw, rawType)} AS ${rawName(column.name)}`);
    const present = canFail ? rawName(column.name) : typed;
    const shown = canFail ? sql`left(${rawName(column.name)}, 60)` : sql`CAST(${typed} AS VARCHAR)`;
    // A synthetic key (event_id) may be blank: it is then derived from the row.
    const derived = table.derivedKeyFrom !== undefined && table.key.includes(column.name);
    if (column.required && !derived) {
      checks.push({
        column: fileColumn,
        invalid: sql`${guard}${present} IS NULL`,
        reason: sql`'missing value'`,
      });
    }
    if (canFail) {
      checks.push({
        column: fileColumn,
        invalid: sql`${guard}${present} IS NOT NULL AND ${typed} IS NULL`,
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
  return { select: sql.join(select, sql`,\n  `), checks, mapping };
}

/**
 * DuckDB's CSV reader fails a file as a whole, without a line, when its lines end in more
 * than one way (LF here, CRLF there): the line where the mix starts, found by a scan (one
 * that reads quotes as CSV does, else one that ignores them, for quotes left open).
 */
async function unreadableCsv(source: FileSource, error: Error): Promise<never> {
  if (source.format !== 'csv' || !/state machine reached an invalid state/i.test(error.message)) throw error;
  for (const quotes of [true, false]) {
    for (const file of source.files) {
      const mixed = await findMixedLineEnd(file, quotes);
      if (mixed)
        throw new StrataError(
          'invalid_csv',
          `this line ends with ${mixed.found} but line 1 with ${mixed.first}; a CSV file must end every line the same way${quotes ? '' : ' (or a quote before this line is not closed)'}`,
          { file, line: mixed.line },
        );
    }
  }
  throw new StrataError(
    'invalid_csv',
    `${source.files.join(', ')}: DuckDB's CSV reader cannot read it (${error.message.split('\n')[0]})`,
    { file: source.files[0] ?? '' },
  );
}

/**
 * Ids of rows that carry none (events, tickets): a hash of the row's content, so re-importing
 * the same file finds the same ids. Identical lines are distinct occurrences (two identical
 * invoice lines are two sales), so the second and later copies of a content get the hash of
 * content and occurrence number: every line is kept, and the same file still gives the same
 * ids. The first copy keeps the plain hash, as ids were derived before occurrences counted.
 */
async function deriveKeys(store: DuckDBStore, stage: Sql, key: string): Promise<void> {
  const sql = store.dialect.sql;
  const k = sql.id(key);
  await store.execute(sql`UPDATE ${stage} SET ${k} = __key`);
  await store.execute(
    sql`UPDATE ${stage} SET ${k} = md5(concat(o.__key, '#', o.occurrence))
     FROM (SELECT __file AS f, __record AS r, __key, row_number() OVER (PARTITION BY __key ORDER BY __file, __record) AS occurrence
           FROM ${stage} WHERE __key_derived AND __key IN (SELECT __key FROM ${stage} WHERE __key_derived GROUP BY __key HAVING count(*) > 1)) o
     WHERE ${stage}.__file = o.f AND ${stage}.__record = o.r AND o.occurrence > 1`,
  );
}

/** Loads one file into a table of a DuckDB store; see Store.importFile. */
export async function importIntoDuckDB(store: DuckDBStore, request: ImportRequest): Promise<ImportResult> {
  const started = performance.now();
  const table: Table = TABLES[request.table];
  const sql = store.dialect.sql;
  const q = (name: string) => sql.id(name);
  const format =
    request.format ??
    (request.records !== undefined && /\.json$/i.test(request.file) ? 'json' : formatOf(request.file));
  const source = await openFileSource(store, request.file, format, request.records);
  const { select, checks, mapping } = stageSelect(store, table, source, request);
  const id = randomUUID().replaceAll('-', '').slice(0, 12);
  const stage = q(`strata_stage_${id}`);
  const errors = q(`strata_errors_${id}`);
  const keyList = sql.join(table.key.map(q));

  // A synthetic key the file does not carry is a hash of the row, so the same row always gets the same id.
  const derivedKey = table.key.length === 1 && table.derivedKeyFrom ? table.key[0] : undefined;
  const keyExpression = derivedKey
    ? sql`coalesce(${q(derivedKey)}, md5(concat_ws(chr(31), ${sql.join((table.derivedKeyFrom ?? []).map((c) => sql`coalesce(CAST(${q(c)} AS VARCHAR), '')`))})))`
    : null;

  const dropTemp = async () => {
    for (const name of [stage, errors, source.rejectsTable, source.rejectsScanTable]) {
      if (name) await store.dropScratch(name);
    }
  };
  try {
    await store
      .withProgress(
        sql`CREATE TEMP TABLE ${stage} AS SELECT *${keyExpression && derivedKey ? sql`, ${keyExpression} AS __key, ${q(derivedKey)} IS NULL AS __key_derived` : sql.empty} FROM (SELECT ${select} FROM (${source.relation}))`,
        request.onProgress,
      )
      .catch((error: Error) => unreadableCsv(source, error));
    if (derivedKey) await deriveKeys(store, stage, derivedKey);
    const duplicate = sql`(${keyList}) IN (SELECT (${keyList}) FROM ${stage} GROUP BY ${keyList} HAVING count(*) > 1)`;
    const checkSql = checks.map(
      (check) =>
        sql`SELECT __file, __record, __newlines, ${check.columnSql ?? check.column} AS column_name, ${check.reason} AS reason FROM ${stage} WHERE ${check.invalid}`,
    );
    // A key seen twice in one file: the first row stands, the later ones are reported.
    checkSql.push(
      sql`SELECT __file, __record, __newlines, NULL, concat(${`duplicate key (${table.key.join(', ')}) = `}, ${sql.join(
        table.key.map((k) => sql`coalesce(CAST(${q(k)} AS VARCHAR), '')`),
        sql`, ', ', `,
      )}, ', first seen earlier in the file')
       FROM (SELECT *, row_number() OVER (PARTITION BY ${keyList} ORDER BY __file, __record) AS occurrence
             FROM ${stage} WHERE ${duplicate}) WHERE occurrence > 1`,
    );
    await store.execute(sql`CREATE TEMP TABLE ${errors} AS ${sql.join(checkSql, sql`\nUNION ALL\n`)}`);
    const rowErrors = await locateRows(store, source, stage, errors, MAX_REPORTED_ERRORS);
    const invalidRows =
      (
        await store.query<{ n: number }>(sql`SELECT count(DISTINCT (__file, __record)) AS n FROM ${errors}`)
      )[0]?.n ?? 0;
    const rejected = rowErrors.rejectedLines;
    const rowsRead =
      ((await store.query<{ n: number }>(sql`SELECT count(*) AS n FROM ${stage}`))[0]?.n ?? 0) + rejected;
    const skipped = invalidRows + rejected;
    const wouldRefuse = skipped > 0 && !request.skipInvalid;
    if (wouldRefuse && !request.dryRun) {
      throw new StrataError(
        'invalid_rows',
        `${request.file}: ${skipped} invalid row${skipped === 1 ? '' : 's'} of ${rowsRead}; nothing from this file was imported (fix the file, or pass --skip-invalid to import the valid rows)`,
        { file: request.file },
        { errors: rowErrors.errors, invalidRows: skipped },
      );
    }

    const columns = sql.join(table.columns.map((c) => q(c.name)));
    const valid = sql`SELECT ${columns} FROM ${stage} s WHERE NOT EXISTS (SELECT 1 FROM ${errors} e WHERE e.__file = s.__file AND e.__record = s.__record)`;
    const target = q(table.name);
    const keyMatch = sql.join(
      table.key.map((k) => sql`t.${q(k)} = v.${q(k)}`),
      sql` AND `,
    );
    const sameRow = sql.join(
      table.columns.map(
        (c) => sql`CAST(t.${q(c.name)} AS VARCHAR) IS NOT DISTINCT FROM CAST(v.${q(c.name)} AS VARCHAR)`,
      ),
      sql` AND `,
    );
    const validCount = rowsRead - skipped;
    const writeRows = async () => {
      if (table.onDuplicateKey === 'keep') {
        // Append-only tables (events): new keys go straight in, known keys are left alone.
        const inserted = await store.executeCount(
          sql`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM (${valid}) v WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${keyMatch})`,
        );
        return { inserted, updated: 0, unchanged: validCount - inserted };
      }
      // Tables of current state: rows whose values differ replace the stored row of their key.
      const changed = q(`strata_changed_${id}`);
      await store.execute(
        sql`CREATE TEMP TABLE ${changed} AS SELECT * FROM (${valid}) v WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${keyMatch} AND ${sameRow})`,
      );
      const changedCount =
        (await store.query<{ n: number }>(sql`SELECT count(*) AS n FROM ${changed}`))[0]?.n ?? 0;
      const updated = await store.executeCount(
        sql`DELETE FROM ${target} t WHERE EXISTS (SELECT 1 FROM ${changed} v WHERE ${keyMatch})`,
      );
      await store.execute(sql`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${changed}`);
      await store.execute(sql`DROP TABLE ${changed}`);
      return { inserted: changedCount - updated, updated, unchanged: validCount - changedCount };
    };
    const result = {
      table: request.table,
      file: request.file,
      rowsRead,
      skipped,
      errors: rowErrors.errors,
      extraColumns: mapping.extras,
    };
    if (request.dryRun) {
      const count = async (query: Sql) => (await store.query<{ n: number }>(query))[0]?.n ?? 0;
      const stored = sql`EXISTS (SELECT 1 FROM ${target} t WHERE ${keyMatch})`;
      let inserted: number;
      let updated = 0;
      if (table.onDuplicateKey === 'keep') {
        inserted = await count(sql`SELECT count(*) AS n FROM (${valid}) v WHERE NOT ${stored}`);
      } else {
        const changed = sql`SELECT * FROM (${valid}) v WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${keyMatch} AND ${sameRow})`;
        updated = await count(sql`SELECT count(*) AS n FROM (${changed}) v WHERE ${stored}`);
        inserted = (await count(sql`SELECT count(*) AS n FROM (${changed})`)) - updated;
      }
      return {
        ...result,
        inserted,
        updated,
        unchanged: validCount - inserted - updated,
        seconds: (performance.now() - started) / 1000,
        dryRun: true,
        wouldRefuse,
      };
    }
    const counts = await store.transaction(async () => {
      const result = await writeRows();
      // The log entry lands with the rows or not at all.
      await store.execute(
        sql`INSERT INTO strata_imports VALUES (now()::TIMESTAMP, ${table.name}, ${request.origin?.label ?? request.file}, ${rowsRead}, ${result.inserted}, ${result.updated}, ${result.unchanged}, ${skipped}, ${request.origin?.source ?? null}, ${request.origin?.cursor ?? null})`,
      );
      return result;
    });
    return { ...result, ...counts, seconds: (performance.now() - started) / 1000 };
  } finally {
    await dropTemp();
  }
}

export type { RowError };
