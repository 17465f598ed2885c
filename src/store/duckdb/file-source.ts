import type { Sql } from '../../dialect/sql.js';
import { StrataError } from '../../errors.js';
import type { FileFormat } from '../store.js';
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
