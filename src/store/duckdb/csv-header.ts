import { StrataError } from '../../errors.js';
import type { DuckDBStore } from './duckdb-store.js';

/**
 * The longest CSV line read (bytes; a quoted field's newlines count inside its line). A
 * longer line is an invalid row named by its line; DuckDB buffers a whole line in memory.
 */
export const MAX_CSV_LINE_BYTES = 8 * 1024 * 1024;
/**
 * Most columns a CSV file may have. Each one is a column of the staging query; a wider
 * file is refused at its header rather than by the database halfway through.
 */
export const MAX_CSV_COLUMNS = 4096;

/**
 * The column names of a CSV file's header (line 1), named as DuckDB's sniffer names them:
 * spaces around a name are dropped, an empty name is `column<N>` (N its 0-based position, zero-padded to the width of the
 * last position), a repeated name gets `_1`, `_2`, ... (case-insensitively).
 *
 * Read here rather than by the sniffer, because the sniffer fails the whole file, without
 * a line, when a line further down is malformed (an unterminated quote). With the names
 * known, the file is read with a fixed dialect and every bad line is a reported row.
 */
export async function readCsvHeader(store: DuckDBStore, file: string, delimiter: string): Promise<string[]> {
  const sql = store.dialect.sql;
  const fail = (message: string): never => {
    throw new StrataError('invalid_csv', message, { file, line: 1 });
  };
  // The first line as it is: no quoting, a delimiter no text line holds. The reader parses
  // a chunk of lines at once, so a bad line further down fails this read too; its error
  // names the line, and when that is not line 1 a second read passes over the bad lines.
  const firstLine = (tolerant: boolean) =>
    store.query<{ line: string | null }>(
      sql`SELECT line FROM read_csv(${file}, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false,
         delim = '\u0001', quote = '', escape = '', strict_mode = false, max_line_size = ${MAX_CSV_LINE_BYTES},
         parallel = false, ignore_errors = ${tolerant}) LIMIT 1`,
    );
  let rows: { line: string | null }[];
  try {
    rows = await firstLine(false);
  } catch (error) {
    const message = (error as Error).message;
    const line = /CSV Error on Line: (\d+)/.exec(message)?.[1];
    if (line === undefined) throw error;
    if (line === '1' && /maximum line size/i.test(message))
      fail(`the header is longer than ${MAX_CSV_LINE_BYTES} bytes`);
    if (line === '1' && /unicode|utf-?8/i.test(message)) fail('the header is not UTF-8 text');
    if (line === '1') fail('the header cannot be read');
    rows = await firstLine(true);
  }
  if (rows.length === 0) fail('the file is empty: a header line naming the columns is needed');
  const text = (rows[0]?.line ?? '').replace(/^\ufeff/, '').replace(/\r$/, '');
  const names = splitFields(text, delimiter) ?? fail('a quote in the header is not closed on its line');
  if (names.length > MAX_CSV_COLUMNS)
    fail(`the header has ${names.length} columns; at most ${MAX_CSV_COLUMNS} can be imported`);
  const nul = names.findIndex((name) => name.includes('\u0000'));
  if (nul >= 0) fail(`column ${nul + 1} of the header contains a NUL character (\\u0000)`);
  const width = String(Math.max(names.length - 1, 0)).length;
  const seen = new Map<string, number>();
  return names.map((raw, i) => {
    // DuckDB trims spaces only (a tab stays).
    const trimmed = raw.replace(/^ +| +$/g, '');
    let name = trimmed === '' ? `column${String(i).padStart(width, '0')}` : trimmed;
    while (seen.has(name.toLowerCase())) {
      const count = (seen.get(name.toLowerCase()) ?? 0) + 1;
      seen.set(name.toLowerCase(), count);
      name = `${name}_${count}`;
    }
    seen.set(name.toLowerCase(), 0);
    return name;
  });
}

/** The fields of one CSV line (RFC 4180: `"` quotes, `""` inside quotes is one `"`); null if a quote is left open. */
function splitFields(line: string, delimiter: string): string[] | null {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char !== '"') field += char;
      else if (line[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === delimiter) {
      fields.push(field);
      field = '';
    } else field += char;
  }
  if (quoted) return null;
  fields.push(field);
  return fields;
}
