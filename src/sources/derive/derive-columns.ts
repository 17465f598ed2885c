import { duckdbDialect } from '../../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../../dialect/sql.js';
import { StrataError } from '../../errors.js';
import type { DerivedColumn, DerivedColumns, FileColumn } from '../../store/store.js';
import {
  type ColumnValue,
  type CompileContext,
  type Compiled,
  compileExpression,
  conversionErrors,
  DUCKDB_TYPE,
  jsonValue,
} from './compile-derive.js';
import { type Expression, ExpressionError, parseExpression } from './expression.js';
import { calledFunctions, type DeriveFunction, FUNCTIONS } from './functions.js';

/**
 * `derive:` of a source: each entry an expression (a string), a constant (a number, true or
 * false), or `{ value: ... }` for a text constant. Parsed when strata.yaml is loaded (so a
 * typo is reported at its line), compiled when the file's columns are known (so a column
 * the file lacks is reported before anything is written).
 */
export type DeriveEntry = string | number | boolean | { readonly value: string | number | boolean | null };

const sql = duckdbDialect.sql;

/** A derive entry as an expression: a constant is a literal, a string is parsed. */
export function entryExpression(entry: DeriveEntry): Expression {
  if (typeof entry === 'string') return parseExpression(entry);
  if (typeof entry === 'object') return { kind: 'literal', value: entry.value };
  return { kind: 'literal', value: entry };
}

/**
 * Problems an expression has before any file is read (syntax, unknown functions), as words,
 * or null. Called by the workspace loader for each entry, with the functions in scope.
 */
export function checkDeriveEntry(
  entry: DeriveEntry,
  functions: Readonly<Record<string, DeriveFunction>> = FUNCTIONS,
): string | null {
  try {
    const expression = entryExpression(entry);
    for (const name of calledFunctions(expression))
      if (!Object.hasOwn(functions, name))
        throw new ExpressionError(
          `calls '${name}', which is not a function Strata knows (functions: ${Object.keys(functions).join(', ')})`,
        );
    return null;
  } catch (error) {
    if (error instanceof ExpressionError) return error.message;
    throw error;
  }
}

/** How an expression sees a file column of the given DuckDB type. */
function columnValue(column: FileColumn): ColumnValue {
  const type = column.type.toUpperCase();
  const v = column.value;
  if (type === 'VARCHAR') return { sql: sql`nullif(trim(${v}), '')`, type: 'text' };
  if (type === 'JSON') return { sql: jsonValue(v), type: 'json' };
  if (type === 'BOOLEAN') return { sql: v, type: 'boolean' };
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER)$/.test(type))
    return { sql: sql`CAST(${v} AS BIGINT)`, type: 'integer' };
  if (/^(HUGEINT|UBIGINT|FLOAT|DOUBLE|DECIMAL)/.test(type))
    return { sql: sql`CAST(${v} AS DOUBLE)`, type: 'number' };
  if (type.startsWith('TIMESTAMP WITH TIME ZONE'))
    return { sql: sql`timezone('UTC', ${v})`, type: 'timestamp' };
  if (type.startsWith('TIMESTAMP') || type === 'DATE')
    return { sql: sql`CAST(${v} AS TIMESTAMP)`, type: 'timestamp' };
  // Lists, structs and maps of a Parquet file: read as JSON, so their fields are a.b.
  return { sql: sql`to_json(${v})`, type: 'json' };
}

/** A compiled value as the column the importer maps. */
function asColumn(name: string, value: Compiled, error: Sql | null): DerivedColumn {
  // A bare NULL (optionalCol of a column the file lacks) is an INTEGER to DuckDB: typed as the
  // VARCHAR it is declared, so text SQL over the staged column (coalesce(x, '')) still binds.
  const typed = value.type === 'null' ? sql`CAST(NULL AS VARCHAR)` : value.sql;
  return { name, type: DUCKDB_TYPE[value.type], value: typed, error };
}

/**
 * The derived columns of one source, for the importer. `source` names the source in errors
 * (its key in strata.yaml); `functions` are those in scope (a preset may add its own).
 */
export function derivedColumns(
  source: string,
  entries: Readonly<Record<string, DeriveEntry>>,
  functions: Readonly<Record<string, DeriveFunction>> = FUNCTIONS,
): DerivedColumns {
  const parsed = Object.entries(entries).map(([name, entry]) => {
    try {
      return { name, expression: entryExpression(entry) };
    } catch (error) {
      throw wrap(error, source, name);
    }
  });
  return {
    compile(columns: readonly FileColumn[]): readonly DerivedColumn[] {
      const byName = new Map(columns.map((c) => [c.name, c]));
      const resolve = (name: string) => {
        const found = byName.get(name) ?? columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
        return found ? columnValue(found) : undefined;
      };
      const names = columns.map((c) => c.name);
      return parsed.map(({ name, expression }) => {
        const conversions: NonNullable<CompileContext['conversions']> = [];
        try {
          const value = compileExpression(expression, { resolve, columns: names, functions, conversions });
          return asColumn(name, value, conversionErrors(conversions, name));
        } catch (error) {
          throw wrap(error, source, name);
        }
      });
    },
  };
}

function wrap(error: unknown, source: string, column: string): unknown {
  if (!(error instanceof ExpressionError)) return error;
  return new StrataError(
    'invalid_derive',
    `sources.${source}.derive.${column}: the expression ${error.message}`,
    {
      path: `sources.${source}.derive.${column}`,
      column,
    },
  );
}
