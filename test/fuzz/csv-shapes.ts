import fc from 'fast-check';

/**
 * CSV files of hostile shapes for the import fuzz test: headers with quoted, repeated,
 * empty, unicode or very many names; rows with too many or too few fields, open quotes,
 * quoted newlines, NULs, long fields, JSON extras, and dates and numbers of every odd form;
 * CRLF or CR line ends, a BOM, bytes that are not UTF-8. A case is plain data (so fast-check
 * can shrink it) rendered to bytes by `renderCsv`.
 */

export type TableShape = 'accounts' | 'events';

/** Columns each table needs (a case may drop one, to reach the missing-column error). */
const REQUIRED: Record<TableShape, readonly string[]> = {
  accounts: ['account_id', 'created_at'],
  events: ['account_id', 'event', 'ts'],
};

/** Other columns: model columns of each table, and extras that land in traits / properties. */
const OPTIONAL: Record<TableShape, readonly string[]> = {
  accounts: ['name', 'domain', 'employees', 'mrr', 'plan', 'renewal_at', 'traits'],
  events: ['user_id', 'event_id', 'properties'],
};

const EXTRA_NAMES = [
  'zip',
  'a,b',
  'q"uote',
  '',
  ' spaced ',
  'é',
  '🚀',
  'dup',
  'DUP',
  'x'.repeat(300),
  'line\nbreak',
  '__proto__',
  'constructor',
  "it's",
  '=cmd',
] as const;

/** Text a field may hold, before quoting. */
const TEXTS = [
  '',
  'plain',
  'with, comma',
  'with "quotes"',
  'line\nbreak',
  'crlf\r\nbreak',
  'tab\there',
  'nul\u0000inside',
  '\u0000',
  'é ünïcödé 🚀',
  '\ufeffbom',
  '   ',
  "=cmd|' /C calc'!A0",
  '\\N',
  'NULL',
] as const;

const DATES = [
  '2024-01-01',
  '2024-01-01T10:00:00Z',
  '2024-01-01 10:00:00+05:30',
  '20240101T100000Z',
  '0000-01-01',
  '99999-01-01',
  '-0001-01-01',
  '2024-02-30',
  '2024-13-01',
  '2024-01-01T25:00',
  '2024-01-01T10:00:00+24:00',
  '1700000000',
  'now',
  '2255-06-05T23:47:34.740991Z',
  '2255-06-05T23:47:34.740992Z',
  '',
] as const;

const NUMBERS = [
  '0',
  '12',
  '12.0',
  '12.5',
  '-5',
  '-0',
  '1e309',
  '-1e309',
  'NaN',
  'Infinity',
  '0x10',
  '1_000',
  ' 12 ',
  '9007199254740993',
  '1,5',
  '',
] as const;

const JSONS = [
  '{}',
  '{"a":1}',
  '{"a":{"b":[1,2,{"c":"d"}]}}',
  '{"k":"x\\u0000y"}',
  '{"k\\u0000":1}',
  '{"k":"\\\\u0000"}',
  '{"emoji":"🚀"}',
  '[1,2]',
  '"text"',
  '{bad json',
  '{"a":1',
  'null',
  '',
] as const;

export type Field =
  | { readonly kind: 'text'; readonly pick: number }
  | { readonly kind: 'date'; readonly pick: number }
  | { readonly kind: 'number'; readonly pick: number }
  | { readonly kind: 'json'; readonly pick: number }
  | { readonly kind: 'id'; readonly pick: number }
  | { readonly kind: 'long'; readonly size: number }
  | { readonly kind: 'openQuote' };

export interface CsvCase {
  readonly table: TableShape;
  /** Index of a required column left out, or -1 for none. */
  readonly drop: number;
  readonly extras: readonly number[];
  /** A header of thousands of columns instead (the limit is 4,096). */
  readonly wide: number;
  readonly rows: readonly (readonly Field[])[];
  /** Fields a row has beyond (or, negative, short of) the header's count. */
  readonly ragged: readonly number[];
  readonly lineEnd: '\n' | '\r\n' | 'mixed' | '\r';
  readonly bom: boolean;
  readonly trailingNewline: boolean;
  /** Latin-1 bytes (é as 0xE9) somewhere: not UTF-8. */
  readonly latin1: boolean;
  /** The first long field is 9 MiB, over the 8 MiB line limit (rare: it costs some 50 ms). */
  readonly huge: boolean;
}

const field: fc.Arbitrary<Field> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('text' as const), pick: fc.nat({ max: TEXTS.length - 1 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('date' as const), pick: fc.nat({ max: DATES.length - 1 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('number' as const), pick: fc.nat({ max: NUMBERS.length - 1 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('json' as const), pick: fc.nat({ max: JSONS.length - 1 }) }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('id' as const), pick: fc.nat({ max: 5 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('long' as const), size: fc.integer({ min: 1, max: 4096 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('openQuote' as const) }) },
);

export const csvCaseArb: fc.Arbitrary<CsvCase> = fc.record({
  table: fc.constantFrom<TableShape>('accounts', 'accounts', 'events'),
  drop: fc.oneof({ weight: 9, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat({ max: 2 }) }),
  extras: fc.array(fc.nat({ max: OPTIONAL.events.length + EXTRA_NAMES.length + 4 }), { maxLength: 8 }),
  wide: fc.oneof(
    { weight: 19, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constantFrom(4094, 5000) },
  ),
  rows: fc.array(fc.array(field, { minLength: 12, maxLength: 12 }), { maxLength: 12 }),
  ragged: fc.array(
    fc.oneof(
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) },
    ),
    {
      minLength: 12,
      maxLength: 12,
    },
  ),
  lineEnd: fc.constantFrom<CsvCase['lineEnd']>('\n', '\n', '\r\n', 'mixed', '\r'),
  bom: fc.boolean(),
  trailingNewline: fc.boolean(),
  latin1: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  huge: fc.oneof({ weight: 49, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

/** A field as CSV: quoted when it must be (or always, for some), quotes doubled. */
function quote(text: string, always: boolean): string {
  return always || /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The text of a field for `column`. */
function value(fieldCase: Field, column: string, prefix: string): string {
  switch (fieldCase.kind) {
    case 'text':
      return TEXTS[fieldCase.pick] ?? '';
    case 'date':
      return DATES[fieldCase.pick] ?? '';
    case 'number':
      return NUMBERS[fieldCase.pick] ?? '';
    case 'json':
      return JSONS[fieldCase.pick] ?? '';
    case 'id':
      // An id where ids go, a valid date where dates go.
      return column === 'created_at' || column === 'ts'
        ? (DATES[fieldCase.pick % 4] ?? '')
        : `${prefix}${fieldCase.pick}`;
    case 'long':
      return 'x'.repeat(fieldCase.size);
    case 'openQuote':
      return '';
  }
}

/** The header's column names. */
export function headerOf(shape: CsvCase): string[] {
  if (shape.wide > 0)
    return [...REQUIRED[shape.table], ...Array.from({ length: shape.wide }, (_, i) => `c${i}`)];
  const required = REQUIRED[shape.table].filter((_, i) => i !== shape.drop);
  const pool = [...OPTIONAL[shape.table], ...EXTRA_NAMES];
  return [...required, ...shape.extras.map((i) => pool[i % pool.length] ?? 'zip')];
}

/** The file's bytes; every account id starts with `prefix`, so a run can look for its rows. */
export function renderCsv(shape: CsvCase, prefix: string): Buffer {
  const header = headerOf(shape);
  let huge = shape.huge;
  const lines = [header.map((name) => quote(name, false)).join(',')];
  shape.rows.forEach((row, r) => {
    const count = Math.max(0, header.length + (shape.ragged[r] ?? 0));
    const fields = Array.from({ length: count }, (_, c) => {
      const column = header[c] ?? '';
      // Two rows in three have a valid key and time, so that the other fields are checked too.
      const required = REQUIRED[shape.table].includes(column) && r % 3 !== 2;
      const fieldCase: Field = required
        ? { kind: 'id', pick: r }
        : (row[c % row.length] ?? { kind: 'id', pick: 0 });
      if (fieldCase.kind === 'openQuote') return '"never closed';
      if (fieldCase.kind === 'long' && huge) {
        huge = false;
        return 'x'.repeat(9 * 1024 * 1024);
      }
      return quote(value(fieldCase, column, prefix), c % 4 === 3);
    });
    lines.push(fields.join(','));
  });
  const end = (i: number) => (shape.lineEnd === 'mixed' ? (i % 2 ? '\r\n' : '\n') : shape.lineEnd);
  const text = lines
    .map((line, i) => (i < lines.length - 1 || shape.trailingNewline ? `${line}${end(i)}` : line))
    .join('');
  const withBom = shape.bom ? `\ufeff${text}` : text;
  // Latin-1 writes é as the byte 0xE9 (not UTF-8) and cuts wider characters to a byte.
  return Buffer.from(withBom, shape.latin1 ? 'latin1' : 'utf8');
}
