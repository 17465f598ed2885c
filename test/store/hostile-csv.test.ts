import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import type { TableName } from '../../src/model/tables.js';
import { readCsvHeader } from '../../src/store/duckdb/csv-header.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Files shaped to break the importer (issue #18, item 8): 10,000 columns, a 10 MB field,
 * an unterminated quote, NULs inside JSON, years 0000 and 99999. Each used to end in an
 * internal error or be stored; each is now an error naming the file and line, and nothing
 * of the file is stored.
 */
const dir = tempDir('strata-hostile-csv-');
let store: DuckDBStore;
let counter = 0;

beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'strata.duckdb'));
});
afterAll(() => store.close());

function fileWith(text: string, extension = 'csv'): string {
  const file = join(dir, `f${counter++}.${extension}`);
  writeFileSync(file, text);
  return file;
}

async function refusal(file: string, table: TableName = 'accounts'): Promise<StrataError> {
  const error = await store.importFile({ table, file }).catch((e: unknown) => e);
  if (!(error instanceof StrataError)) throw error;
  return error;
}

/** The reported rows as [line, column, reason]. */
const rowsOf = (error: StrataError) =>
  (error.details as { errors: { line: number; column: string | null; reason: string }[] }).errors.map((r) => [
    r.line,
    r.column,
    r.reason,
  ]);

const stored = async () =>
  (await store.query<{ n: number }>(sql`SELECT count(*) AS n FROM accounts`))[0]?.n ?? -1;

const HEADER = 'account_id,name,created_at\n';

describe('CSV files of hostile shapes', () => {
  it('refuses 10,000 columns at the header, before the database is asked to stage them', async () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `c${i}`);
    const file = fileWith(`account_id,created_at,${names.join(',')}\na1,2024-01-01,${names.join(',')}\n`);
    const error = await refusal(file);
    expect([error.code, error.location, error.message]).toEqual([
      'invalid_csv',
      { file, line: 1 },
      'the header has 10002 columns; at most 4096 can be imported',
    ]);
    expect(await stored()).toBe(0);
  });

  it('names the line of a 10 MB field and of an unterminated quote, and imports nothing', async () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    // Line 2 is fine, line 3 is over the 8 MiB line limit, line 4 is fine. Line 3 is
    // 'a2,' (3 bytes) + '"' + 10,485,760 x + '"' + ',2024-01-01' (11) = 10,485,776 bytes.
    const long = await refusal(
      fileWith(`${HEADER}a1,Fine,2024-01-01\na2,"${huge}",2024-01-01\na3,Fine,2024-01-01\n`),
    );
    expect(long.code).toBe('invalid_rows');
    expect(rowsOf(long)).toEqual([
      [
        3,
        null,
        'line size over maximum: Maximum line size of 8388608 bytes exceeded. Actual Size:10485776 bytes.',
      ],
    ]);
    // The quote opened on line 3 is never closed: DuckDB reads on to the end and reports line 3.
    const open = await refusal(
      fileWith(`${HEADER}a1,Fine,2024-01-01\na2,"Beta,2024-01-01\na3,C,2024-01-01\n`),
    );
    expect(rowsOf(open)).toEqual([[3, 'name', 'unquoted value: Value with unterminated quote found.']]);
    // A header itself too long or not closed is line 1.
    const longHeader = await refusal(fileWith(`account_id,created_at,${huge}\na1,2024-01-01,x\n`));
    expect([longHeader.location.line, longHeader.message]).toEqual([
      1,
      'the header is longer than 8388608 bytes',
    ]);
    const openHeader = await refusal(fileWith('account_id,"created_at\na1,2024-01-01\n'));
    expect([openHeader.location.line, openHeader.message]).toEqual([
      1,
      'a quote in the header is not closed on its line',
    ]);
    expect(await stored()).toBe(0);
  });

  it('names the line where line ends change (DuckDB fails such a file without a line)', async () => {
    // Found by test/fuzz: line 1 ends with LF, line 3 with CRLF.
    const mixed = await refusal(fileWith(`${HEADER}a1,A,2024-01-01\na2,B,2024-01-01\r\na3,C,2024-01-01\n`));
    expect([mixed.code, mixed.location.line, mixed.describe()]).toEqual([
      'invalid_csv',
      3,
      `${mixed.location.file}:3: this line ends with CRLF but line 1 with LF; a CSV file must end every line the same way`,
    ]);
    // A line break inside a quoted field is data, and still a line: the mix is on line 4.
    const quoted = await refusal(
      fileWith(`${HEADER.replace('\n', '\r\n')}a1,"two\nlines",2024-01-01\r\na2,B,2024-01-01\n`),
    );
    expect(quoted.location.line).toBe(4);
    // A missing column is a fault of the header, line 1.
    const missing = await refusal(fileWith('account_id,name\na1,A\n'));
    expect([missing.code, missing.location.line]).toEqual(['missing_column', 1]);
    expect(missing.describe()).toMatch(/^\S+\.csv:1: lacks required column 'created_at' for table accounts/);
    expect(await stored()).toBe(0);
  });

  it('refuses a NUL in an extra column and inside JSON keys and values, on any line format', async () => {
    // Line 2: a NUL byte in the extra column zip. Line 3: traits JSON holding "x\u0000y".
    // Line 4: a NUL in a JSON key. Line 5: "\\u0000" is a backslash and text, no NUL: fine.
    const csv = fileWith(
      `${HEADER.trim()},zip,traits\na1,A,2024-01-01,1\u00002,\na2,B,2024-01-01,1,"{""k"":""x\\u0000y""}"\na3,C,2024-01-01,1,"{""k\\u0000"":1}"\na4,D,2024-01-01,1,"{""k"":""\\\\u0000""}"\n`,
    );
    const nul = 'contains a NUL character (\\u0000), which cannot be stored';
    const jsonNul = 'contains a NUL character (\\u0000) in a JSON key or value, which cannot be stored';
    expect(rowsOf(await refusal(csv))).toEqual([
      [2, 'zip', nul],
      [3, 'traits', jsonNul],
      [4, 'traits', jsonNul],
    ]);
    const ndjson = fileWith(
      [
        '{"account_id":"a1","created_at":"2024-01-01","crm":{"owner":{"x\\u0000":1}}}',
        '{"account_id":"a2","created_at":"2024-01-01","zip":"1\\u00002"}',
        '{"account_id":"a\\u0000","created_at":"2024-01-01"}',
        '{"account_id":"a4","created_at":"2024-01-01","zip":"\\\\u0000"}',
      ].join('\n'),
      'ndjson',
    );
    expect(rowsOf(await refusal(ndjson))).toEqual([
      [1, 'traits', jsonNul],
      [2, 'zip', nul],
      [3, 'account_id', nul],
    ]);
    const events = fileWith(
      'account_id,event,ts,properties\na1,login,2024-01-01,"{""path"":""/\\u0000""}"\n',
    );
    expect(rowsOf(await refusal(events, 'events'))).toEqual([[2, 'properties', jsonNul]]);
    expect(await stored()).toBe(0);
  });

  it('refuses the instants the ingestion API refuses: outside 1684-07-28 to 2255-06-05 UTC', async () => {
    // The API counts microseconds in a JavaScript number: exact up to 2^53 - 1 either way of
    // 1970, which is 2255-06-05T23:47:34.740991Z and 1684-07-28T00:12:25.259009Z.
    const file = fileWith(
      `${HEADER.trim()},renewal_at\na1,A,0000-01-01,\na2,B,99999-01-01,\na3,C,2024-01-01,2255-06-05T23:47:34.740991Z\na4,D,2024-01-01,2255-06-05T23:47:34.740992Z\na5,E,1684-07-28T00:12:25.259009Z,\na6,F,1684-07-28T00:12:25.259008Z,\n`,
    );
    const range = (column: string, found: string) =>
      `${column} must be between 1684-07-28T00:12:25.259009Z and 2255-06-05T23:47:34.740991Z, found "${found}"`;
    expect(rowsOf(await refusal(file))).toEqual([
      [2, 'created_at', range('created_at', '0000-01-01')],
      [3, 'created_at', range('created_at', '99999-01-01')],
      [5, 'renewal_at', range('renewal_at', '2255-06-05T23:47:34.740992Z')],
      [7, 'created_at', range('created_at', '1684-07-28T00:12:25.259008Z')],
    ]);
    expect(await stored()).toBe(0);
  });
});

describe('the CSV header', () => {
  it("names columns as DuckDB's sniffer does: trimmed, blanks numbered, repeats suffixed", async () => {
    const headers: [header: string, fields: number][] = [
      ['a,A,a', 3],
      [' a , b ', 2],
      ['"x,y",z', 2],
      ['a,,b,,,,,,,,,,c', 13],
      ['a,a,a_1', 3],
      ['"q""uote",plain', 2],
    ];
    for (const [header, fields] of headers) {
      const file = fileWith(`${header}\n${Array.from({ length: fields }, (_, i) => i).join(',')}\n`);
      const sniffed = (
        await store.query<{ column_name: string }>(
          testSql(
            `DESCRIBE SELECT * FROM read_csv('${file}', header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`,
          ),
        )
      ).map((r) => r.column_name);
      expect([header, await readCsvHeader(store, file, ',')]).toEqual([header, sniffed]);
    }
  });
});
