import { closeSync, openSync, readSync } from 'node:fs';
import { duckdbDialect } from '../../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../../dialect/sql.js';
import { StrataError } from '../../errors.js';
import type { DerivedColumn, FileFormat } from '../store.js';
import { MAX_CSV_LINE_BYTES, readCsvHeader } from './csv-header.js';
import type { DuckDBStore } from './duckdb-store.js';

/**
 * A file (or same-shaped files) as a DuckDB relation read by DuckDB's native readers,
 * with where each row came from: `__file` (path) and `__record` (1-based record number
 * in the whole scan; lines are worked out from it only for the rows that need reporting).
 */
export interface FileSource {
  readonly format: FileFormat;
  readonly files: readonly string[];
  /** The file's column names, in file order. */
  readonly columns: readonly string[];
  /** DuckDB type of each column as read (VARCHAR for CSV and NDJSON). */
  readonly types: ReadonlyMap<string, string>;
  /** `SELECT ... FROM reader` with `__file`, `__record` and one column per file column (NDJSON: `__json`). */
  readonly relation: Sql;
  /** SQL for a column's value as text (or native type for Parquet). */
  valueOf(column: string): Sql;
  /** SQL for a column's value as JSON, keeping its JSON type where the format has one. */
  jsonOf(column: string): Sql;
  /** Name of the temp table DuckDB fills with CSV lines it could not parse, if any. */
  readonly rejectsTable: string | null;
  readonly rejectsScanTable: string | null;
}

/** The format implied by a file name, or an error naming the file. */
export function formatOf(file: string): FileFormat {
  const lower = file.toLowerCase().replace(/\.(gz|zst)$/, '');
  if (lower.endsWith('.csv') || lower.endsWith('.tsv') || lower.endsWith('.txt')) return 'csv';
  if (lower.endsWith('.parquet')) return 'parquet';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl') || lower.endsWith('.json')) return 'ndjson';
  throw new StrataError(
    'unknown_format',
    `${file}: cannot tell the format from the extension; use .csv, .parquet or .ndjson, or pass --format`,
    { file },
  );
}

/** Opens `pattern` (a path or glob) for reading; fails clearly when nothing matches. */
export async function openFileSource(
  store: DuckDBStore,
  pattern: string,
  format: FileFormat,
  /** For a JSON document: the key (dotted path) holding its list of records. */
  records?: string,
): Promise<FileSource> {
  const sql = store.dialect.sql;
  const files = (
    await store.query<{ file: string }>(sql`SELECT file FROM glob(${pattern}) ORDER BY file`)
  ).map((row) => row.file);
  if (files.length === 0)
    throw new StrataError('file_not_found', `${pattern}: no such file`, { file: pattern });
  const list = sql`[${sql.join(files.map(sql.value))}]`;
  const describe = async (select: Sql) =>
    (await store.query<{ column_name: string; column_type: string }>(sql`DESCRIBE ${select}`)).map(
      (row) => [row.column_name, row.column_type] as const,
    );

  if (format === 'parquet') {
    const reader = sql`read_parquet(${list}, filename = true, file_row_number = true, union_by_name = true)`;
    const described = (await describe(sql`SELECT * FROM ${reader}`)).filter(
      ([name]) => name !== 'filename' && name !== 'file_row_number',
    );
    const columns = described.map(([name]) => name);
    const select = sql.join(columns.map((c) => sql.id(c)));
    return {
      format,
      files,
      columns,
      types: new Map(described),
      relation: sql`SELECT filename AS __file, file_row_number + 1 AS __record, ${select} FROM ${reader}`,
      valueOf: (column) => sql.id(column),
      jsonOf: (column) => sql`to_json(${sql.id(column)})`,
      rejectsTable: null,
      rejectsScanTable: null,
    };
  }

  if (format === 'csv') {
    // The dialect is fixed rather than sniffed: a sniffer misled by the very rows we must
    // report (a line with an extra field, an unterminated quote) would misread the whole file.
    const delimiter = /\.tsv(\.gz)?$/i.test(pattern) ? '\t' : ',';
    const dialect = sql`delim = ${delimiter}, quote = '"', escape = '"', max_line_size = ${MAX_CSV_LINE_BYTES}`;
    const columns = await readCsvHeader(store, files[0] ?? '', delimiter);
    for (const file of files.slice(1)) {
      const other = await readCsvHeader(store, file, delimiter);
      if (other.join('\u0001') !== columns.join('\u0001')) {
        throw new StrataError(
          'mismatched_files',
          `${file} has columns (${other.join(', ')}) but ${files[0]} has (${columns.join(', ')}); files imported together must share a header`,
          { file },
        );
      }
    }
    const types = sql`{${sql.join(columns.map((c) => sql`${c}: 'VARCHAR'`))}}`;
    const suffix = Math.random().toString(36).slice(2, 10);
    const rejectsTable = `strata_rejects_${suffix}`;
    const rejectsScanTable = `strata_reject_scans_${suffix}`;
    const select = sql.join(columns.map((c) => sql.id(c)));
    // One scan per file, so record numbers restart with each file.
    const relation = sql.join(
      files.map(
        (
          file,
        ) => sql`SELECT ${file} AS __file, ordinality AS __record, ${select} FROM read_csv(${file}, ${dialect},
      header = true, auto_detect = false, columns = ${types}, store_rejects = true, rejects_table = ${rejectsTable}, rejects_scan = ${rejectsScanTable}) WITH ORDINALITY`,
      ),
      sql`\nUNION ALL\n`,
    );
    return {
      format,
      files,
      columns,
      types: new Map(columns.map((c) => [c, 'VARCHAR'])),
      relation,
      valueOf: (column) => sql.id(column),
      jsonOf: (column) => sql`to_json(${sql.id(column)})`,
      rejectsTable,
      rejectsScanTable,
    };
  }

  if (format === 'json' || (format === 'ndjson' && isJsonDocument(files[0] ?? '', records)))
    return jsonDocuments(store, files, records);

  // NDJSON is read line by line as text (a delimiter that valid JSON never contains, no
  // quoting), so every line keeps its number and a malformed line is one reportable row.
  // Blank lines are counted (so numbers stay line numbers) and then left out.
  const relation = sql.join(
    files.map(
      (
        file,
      ) => sql`SELECT __file, __record, CASE WHEN json_valid(__text) THEN CAST(__text AS JSON) END AS __json FROM (
    SELECT ${file} AS __file, ordinality AS __record, __text FROM read_csv(${file},
    columns = {'__text': 'VARCHAR'}, header = false, delim = '\u0001', quote = '', escape = '', auto_detect = false,
    strict_mode = false, max_line_size = 67108864) WITH ORDINALITY) WHERE trim(coalesce(__text, '')) <> ''`,
    ),
    sql`\nUNION ALL\n`,
  );
  return jsonRecords(store, 'ndjson', files, relation);
}

/** A source whose relation yields one JSON value per record (`__json`): its columns are the objects' keys. */
async function jsonRecords(
  store: DuckDBStore,
  format: FileFormat,
  files: readonly string[],
  relation: Sql,
): Promise<FileSource> {
  const sql = store.dialect.sql;
  const keys = await store.query<{ key: string }>(
    sql`SELECT key FROM (SELECT unnest(json_keys(__json)) AS key, __record FROM (${relation}) WHERE json_type(__json) = 'OBJECT')
     GROUP BY key ORDER BY min(__record), key`,
  );
  const columns = keys.map((row) => row.key);
  // JSON Pointer addresses any key safely: '~' and '/' are its only escapes.
  const pointer = (column: string) => `/${column.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  return {
    format,
    files,
    columns,
    types: new Map(columns.map((c) => [c, 'VARCHAR'])),
    relation,
    valueOf: (column) => sql`json_extract_string(__json, ${pointer(column)})`,
    jsonOf: (column) => sql`json_extract(__json, ${pointer(column)})`,
    rejectsTable: null,
    rejectsScanTable: null,
  };
}

/** Bytes of a `.json` file read to tell a JSON document from JSON lines. */
const SNIFF_BYTES = 1 << 20;

/**
 * Whether a `.json` file is one JSON document holding a list (`[{...}, ...]`, an API's list
 * answer, pretty-printed or not) rather than JSON lines: it opens a list, or its first line
 * is not a whole JSON value, or it is one line holding the list under `records` (`data`).
 */
function isJsonDocument(file: string, records: string | undefined): boolean {
  if (!/\.json$/i.test(file)) return false;
  let head: string;
  try {
    const handle = openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(SNIFF_BYTES);
      head = buffer
        .subarray(0, readSync(handle, buffer, 0, buffer.length, 0))
        .toString('utf8')
        .trimStart();
    } finally {
      closeSync(handle);
    }
  } catch {
    return false;
  }
  if (head.startsWith('[')) return true;
  const newline = head.indexOf('\n');
  const firstLine = newline < 0 ? head : head.slice(0, newline);
  let first: unknown;
  try {
    first = JSON.parse(firstLine);
  } catch {
    return newline >= 0 || head.length >= SNIFF_BYTES;
  }
  const rest = newline < 0 ? '' : head.slice(newline).trim();
  let list: unknown = first;
  for (const key of (records ?? 'data').split('.')) list = (list as Record<string, unknown> | null)?.[key];
  return rest === '' && Array.isArray(list);
}

/** The largest JSON document read whole (an API's list page is far smaller). */
const MAX_JSON_DOCUMENT_BYTES = 256 * 1024 * 1024;

/**
 * JSON documents each holding a list of records: a top-level array, or an object with the list
 * under `records` (a dotted key; default `data`, as the Stripe API answers). A record's
 * number is its place in its file's list, from 1. A document without that list is an error
 * naming the file and the keys it has.
 */
async function jsonDocuments(store: DuckDBStore, files: readonly string[], records: string | undefined) {
  const sql = store.dialect.sql;
  const key = `$.${records ?? 'data'}`;
  const path = `${key}[*]`;
  const documents = sql.join(
    files.map(
      (file) =>
        sql`SELECT ${file} AS __file, json AS __doc FROM read_json_objects(${file}, format = 'unstructured', maximum_object_size = ${MAX_JSON_DOCUMENT_BYTES})`,
    ),
    sql`\nUNION ALL\n`,
  );
  const lists = sql`SELECT __file, CASE WHEN json_type(__doc) = 'ARRAY' THEN json_extract(__doc, '$[*]') WHEN json_type(json_extract(__doc, ${key})) = 'ARRAY' THEN json_extract(__doc, ${path}) END AS __list, __doc FROM (${documents})`;
  let missing: { file: string; keys: string | null }[];
  try {
    missing = await store.query<{ file: string; keys: string | null }>(
      sql`SELECT __file AS file, array_to_string(json_keys(__doc), ', ') AS keys FROM (${lists}) WHERE __list IS NULL LIMIT 1`,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new StrataError('invalid_json', `${files.join(', ')}: not a JSON document (${message})`, {
      file: files[0] ?? '',
    });
  }
  const lacking = missing[0];
  if (lacking)
    throw new StrataError(
      'invalid_json',
      `${lacking.file} holds no list of records at '${records ?? 'data'}'${lacking.keys ? ` (its keys: ${lacking.keys})` : ''}; set records: to the key that holds them`,
      { file: lacking.file },
    );
  const relation = sql`SELECT __file, __record, __json FROM (SELECT __file, unnest(__list) AS __json, generate_subscripts(__list, 1) AS __record FROM (${lists}))`;
  return jsonRecords(store, 'json', files, relation);
}

/**
 * The file as the importer maps it once `derive:` is applied: each derived column is one more
 * column (replacing a file column of the same name), computed once per row in a SELECT around
 * the file's (with the reason a row's value could not be derived, `errors`), so the checks and
 * conversions that read it repeat its name, not its expression. Rows, records and line
 * numbers stay the file's. A JSON value reads as text and lands in traits as JSON.
 */
export function withDerivedColumns(
  source: FileSource,
  derived: readonly DerivedColumn[],
): { source: FileSource; errors: ReadonlyMap<string, Sql> } {
  if (derived.length === 0) return { source, errors: new Map() };
  const sql = duckdbDialect.sql;
  const valueId = (i: number) => sql.id(`__derived_${i}`);
  const errorId = (i: number) => sql.id(`__derived_error_${i}`);
  const computed = derived.flatMap((d, i) => [
    sql`${d.value} AS ${valueId(i)}`,
    ...(d.error ? [sql`${d.error} AS ${errorId(i)}`] : []),
  ]);
  const at = new Map(derived.map((d, i) => [d.name, i]));
  const json = (name: string) => derived[at.get(name) ?? -1]?.type === 'JSON';
  const columns = [...source.columns.filter((c) => !at.has(c)), ...derived.map((d) => d.name)];
  const types = new Map(source.types);
  for (const d of derived) types.set(d.name, d.type === 'JSON' ? 'VARCHAR' : d.type);
  const id = (name: string) => valueId(at.get(name) ?? -1);
  return {
    source: {
      ...source,
      columns,
      types,
      relation: sql`SELECT *, ${sql.join(computed)} FROM (${source.relation})`,
      valueOf: (column) =>
        !at.has(column)
          ? source.valueOf(column)
          : json(column)
            ? sql`json_extract_string(${id(column)}, '$')`
            : id(column),
      jsonOf: (column) =>
        !at.has(column) ? source.jsonOf(column) : json(column) ? id(column) : sql`to_json(${id(column)})`,
    },
    errors: new Map(derived.flatMap((d, i) => (d.error ? [[d.name, errorId(i)] as const] : []))),
  };
}
