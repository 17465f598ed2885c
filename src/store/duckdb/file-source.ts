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
  readonly relation: string;
  /** SQL for a column's value as text (or native type for Parquet). */
  valueOf(column: string): string;
  /** SQL for a column's value as JSON, keeping its JSON type where the format has one. */
  jsonOf(column: string): string;
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
  const lit = store.dialect.literal;
  const q = store.dialect.quoteIdentifier;
  const files = (
    await store.query<{ file: string }>(`SELECT file FROM glob(${lit(pattern)}) ORDER BY file`)
  ).map((row) => row.file);
  if (files.length === 0)
    throw new StrataError('file_not_found', `${pattern}: no such file`, { file: pattern });
  const list = `[${files.map(lit).join(', ')}]`;
  const describe = async (select: string) =>
    (await store.query<{ column_name: string; column_type: string }>(`DESCRIBE ${select}`)).map(
      (row) => [row.column_name, row.column_type] as const,
    );

  if (format === 'parquet') {
    const reader = `read_parquet(${list}, filename = true, file_row_number = true, union_by_name = true)`;
    const described = (await describe(`SELECT * FROM ${reader}`)).filter(
      ([name]) => name !== 'filename' && name !== 'file_row_number',
    );
    const columns = described.map(([name]) => name);
    const select = columns.map(q).join(', ');
    return {
      format,
      files,
      columns,
      types: new Map(described),
      relation: `SELECT filename AS __file, file_row_number + 1 AS __record, ${select} FROM ${reader}`,
      valueOf: (column) => q(column),
      jsonOf: (column) => `to_json(${q(column)})`,
      rejectsTable: null,
      rejectsScanTable: null,
    };
  }

  if (format === 'csv') {
    // The dialect is fixed rather than sniffed: a sniffer misled by the very rows we must
    // report (a line with an extra field, an unterminated quote) would misread the whole file.
    const delimiter = /\.tsv(\.gz)?$/i.test(pattern) ? '\t' : ',';
    const dialect = `delim = ${lit(delimiter)}, quote = '"', escape = '"', max_line_size = ${MAX_CSV_LINE_BYTES}`;
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
    const types = `{${columns.map((c) => `${lit(c)}: 'VARCHAR'`).join(', ')}}`;
    const suffix = Math.random().toString(36).slice(2, 10);
    const rejectsTable = `strata_rejects_${suffix}`;
    const rejectsScanTable = `strata_reject_scans_${suffix}`;
    const select = columns.map(q).join(', ');
    // One scan per file, so record numbers restart with each file.
    const relation = files
      .map(
        (
          file,
        ) => `SELECT ${lit(file)} AS __file, ordinality AS __record, ${select} FROM read_csv(${lit(file)}, ${dialect},
      header = true, auto_detect = false, columns = ${types}, store_rejects = true, rejects_table = ${lit(rejectsTable)}, rejects_scan = ${lit(rejectsScanTable)}) WITH ORDINALITY`,
      )
      .join('\nUNION ALL\n');
    return {
      format,
      files,
      columns,
      types: new Map(columns.map((c) => [c, 'VARCHAR'])),
      relation,
      valueOf: (column) => q(column),
      jsonOf: (column) => `to_json(${q(column)})`,
      rejectsTable,
      rejectsScanTable,
    };
  }

  // NDJSON is read line by line as text (a delimiter that valid JSON never contains, no
  // quoting), so every line keeps its number and a malformed line is one reportable row.
  // Blank lines are counted (so numbers stay line numbers) and then left out.
  const relation = files
    .map(
      (
        file,
      ) => `SELECT __file, __record, CASE WHEN json_valid(__text) THEN CAST(__text AS JSON) END AS __json FROM (
    SELECT ${lit(file)} AS __file, ordinality AS __record, __text FROM read_csv(${lit(file)},
    columns = {'__text': 'VARCHAR'}, header = false, delim = '\u0001', quote = '', escape = '', auto_detect = false,
    strict_mode = false, max_line_size = 67108864) WITH ORDINALITY) WHERE trim(coalesce(__text, '')) <> ''`,
    )
    .join('\nUNION ALL\n');
  const keys = await store.query<{ key: string }>(
    `SELECT key FROM (SELECT unnest(json_keys(__json)) AS key, __record FROM (${relation}) WHERE json_type(__json) = 'OBJECT')
     GROUP BY key ORDER BY min(__record), key`,
  );
  const columns = keys.map((row) => row.key);
  // JSON Pointer addresses any key safely: '~' and '/' are its only escapes.
  const pointer = (column: string) => lit(`/${column.replaceAll('~', '~0').replaceAll('/', '~1')}`);
  return {
    format,
    files,
    columns,
    types: new Map(columns.map((c) => [c, 'VARCHAR'])),
    relation,
    valueOf: (column) => `json_extract_string(__json, ${pointer(column)})`,
    jsonOf: (column) => `json_extract(__json, ${pointer(column)})`,
    rejectsTable: null,
    rejectsScanTable: null,
  };
}
