import type { Sql } from '../../dialect/sql.js';
import type { RowError } from '../store.js';
import type { DuckDBStore } from './duckdb-store.js';
import type { FileSource } from './file-source.js';

export interface LocatedErrors {
  /** The first invalid rows, with file lines, in file order. */
  readonly errors: RowError[];
  /** CSV lines DuckDB's reader could not split into the header's columns. */
  readonly rejectedLines: number;
}

/**
 * Turns staged record numbers into what a person opens an editor at: the line of a CSV
 * (header, newlines inside quoted fields and unparseable lines counted), the line of an
 * NDJSON file, or the row of a Parquet file. Only the reported rows are located.
 */
export async function locateRows(
  store: DuckDBStore,
  source: FileSource,
  stage: Sql,
  errors: Sql,
  limit: number,
): Promise<LocatedErrors> {
  const rejected: RowError[] = [];
  if (source.rejectsTable && source.rejectsScanTable) {
    const sql = store.dialect.sql;
    const rows = await store.query<{
      file: string;
      line: number;
      column_name: string | null;
      error_type: string;
      message: string;
    }>(
      sql`SELECT s.file_path AS file, e.line, e.column_name, e.error_type, e.error_message AS message
       FROM ${sql.id(source.rejectsTable)} e JOIN ${sql.id(source.rejectsScanTable)} s USING (scan_id, file_id) ORDER BY file, line`,
    );
    for (const row of rows) {
      // A bad value (a cast, a quote left open) is in a column; other errors are the line's.
      const whole = row.error_type !== 'CAST' && row.error_type !== 'UNQUOTED VALUE';
      rejected.push({
        file: row.file,
        line: row.line,
        column: whole ? null : row.column_name,
        reason: `${row.error_type.toLowerCase()}: ${row.message}`,
      });
    }
  }
  const sql = store.dialect.sql;
  const newlinesBefore =
    source.format === 'csv'
      ? sql`(SELECT coalesce(sum(s.__newlines), 0) FROM ${stage} s WHERE s.__file = e.__file AND s.__record < e.__record)`
      : sql`0`;
  const rows = await store.query<{
    file: string;
    record: number;
    newlines: number;
    column_name: string | null;
    reason: string;
  }>(
    sql`SELECT e.__file AS file, e.__record AS record, ${newlinesBefore} AS newlines, e.column_name, e.reason
     FROM (SELECT * FROM ${errors} ORDER BY __file, __record, column_name LIMIT ${limit}) e ORDER BY file, record, column_name`,
  );
  const located: RowError[] = rows.map((row) => {
    if (source.format !== 'csv')
      return { file: row.file, line: row.record, column: row.column_name, reason: row.reason };
    // Line of the record if no line had been rejected, then pushed down past rejected lines before it.
    let line = 1 + row.record + row.newlines;
    for (const reject of rejected) {
      if (reject.file === row.file && reject.line <= line) line++;
    }
    return { file: row.file, line, column: row.column_name, reason: row.reason };
  });
  const all = [...rejected, ...located].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return { errors: all.slice(0, limit), rejectedLines: rejected.length };
}
