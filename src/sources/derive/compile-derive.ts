import { duckdbDialect } from '../../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../../dialect/sql.js';
import { didYouMean } from '../../errors.js';
import { coerce } from '../../store/duckdb/coerce.js';
import { type Expression, ExpressionError } from './expression.js';

/**
 * A derived column's expression compiled to one DuckDB expression over the staged file
 * (every import, ClickHouse's too, is read and checked by DuckDB first). Values are typed as
 * they are compiled; text read from a file becomes a number, a whole number, a time or a
 * true/false only through a conversion that is checked row by row, so a value that does not
 * fit (tenure "abc") makes its row invalid, reported with the file's line, instead of
 * quietly becoming empty.
 */

export type ValueType = 'text' | 'integer' | 'number' | 'boolean' | 'timestamp' | 'json' | 'null';

export interface Compiled {
  readonly sql: Sql;
  readonly type: ValueType;
  /** The file column this value is, when it is one as read: named by row errors. */
  readonly column?: string;
}

/** A file column as an expression sees it. */
export interface ColumnValue {
  readonly sql: Sql;
  readonly type: ValueType;
}

/** A conversion that must not lose a value: invalid when `input` has a value and `output` has none. */
interface Conversion {
  readonly input: Sql;
  readonly output: Sql;
  readonly expected: string;
  readonly column: string | undefined;
}

/** What compiling needs of a function (functions.ts defines them; kept apart to avoid an import cycle). */
export interface FunctionLike {
  readonly usage: string;
  readonly arity: readonly [min: number, max: number];
  compile(args: readonly Expression[], context: CompileContext): Compiled;
}

export interface CompileContext {
  /** Looks a file column up by name (exactly, else ignoring case). */
  readonly resolve: (name: string) => ColumnValue | undefined;
  /** The file's columns, for suggestions. */
  readonly columns: readonly string[];
  /** Inside `sumOf(list, ...)`: names are fields of the list's element, not file columns. */
  readonly element?: Sql;
  /** The functions expressions may call (functions.ts, and any a preset adds). */
  readonly functions: Readonly<Record<string, FunctionLike>>;
  /** Checked conversions; none are kept inside a list's element (they cannot be located). */
  readonly conversions: Conversion[] | null;
}

const sql = duckdbDialect.sql;

/** DuckDB's type for each value type, as the importer's coercions expect it. */
export const DUCKDB_TYPE: Readonly<Record<ValueType, string>> = {
  text: 'VARCHAR',
  integer: 'BIGINT',
  number: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  json: 'JSON',
  null: 'VARCHAR',
};

const WORDS: Readonly<Record<ValueType, string>> = {
  text: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  timestamp: 'a date or time',
  json: 'JSON',
  null: 'empty',
};

/**
 * A JSON value with JSON's null as empty, as a missing key is: so coalesce() passes over it
 * and `== null` holds (the Stripe API writes `"name": null` for a customer without one).
 */
export function jsonValue(value: Sql): Sql {
  return sql`(CASE WHEN json_type(${value}) <> 'NULL' THEN ${value} END)`;
}

/** JSON Pointer of a field path: '~' and '/' are its only escapes, and it reads keys and indexes alike. */
export function pointer(path: readonly (string | number)[]): string {
  return path.map((step) => `/${String(step).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

function checked(context: CompileContext, from: Compiled, output: Sql, to: ValueType): Compiled {
  context.conversions?.push({
    input: text(from).sql,
    output,
    expected: WORDS[to],
    column: from.column,
  });
  return { sql: output, type: to };
}

/** Text of any value; a whole number is written without a decimal point (17850.0 reads 17850). */
export function text(value: Compiled): Compiled {
  const v = value.sql;
  switch (value.type) {
    case 'text':
      return value;
    case 'integer':
      return { sql: sql`CAST(${v} AS VARCHAR)`, type: 'text' };
    case 'number':
      return {
        sql: sql`(CASE WHEN ${v} = trunc(${v}) AND abs(${v}) < 1e15 THEN CAST(CAST(${v} AS BIGINT) AS VARCHAR) ELSE CAST(${v} AS VARCHAR) END)`,
        type: 'text',
      };
    case 'boolean':
      return { sql: sql`(CASE WHEN ${v} THEN 'true' WHEN NOT ${v} THEN 'false' END)`, type: 'text' };
    case 'timestamp':
      return { sql: sql`strftime(${v}, '%Y-%m-%dT%H:%M:%S.%fZ')`, type: 'text' };
    case 'json':
      return { sql: sql`json_extract_string(${v}, '$')`, type: 'text' };
    case 'null':
      return { sql: sql`CAST(NULL AS VARCHAR)`, type: 'text' };
  }
}

/** `value` as `to`, checked row by row where the conversion can fail; a conversion that makes no sense is an error. */
export function convert(context: CompileContext, value: Compiled, to: ValueType): Compiled {
  if (value.type === to) return value;
  if (value.type === 'null') return { sql: NULL_OF[to], type: to };
  const v = value.sql;
  const readText = value.type === 'text' || value.type === 'json';
  const t = text(value).sql;
  switch (to) {
    case 'text':
      return text(value);
    case 'number':
      if (value.type === 'integer') return { sql: sql`CAST(${v} AS DOUBLE)`, type: 'number' };
      if (readText) return checked(context, value, sql`TRY_CAST(${t} AS DOUBLE)`, 'number');
      break;
    case 'integer': {
      const number = value.type === 'number' ? v : readText ? sql`TRY_CAST(${t} AS DOUBLE)` : null;
      if (number)
        return checked(
          context,
          value,
          sql`(CASE WHEN ${number} = floor(${number}) AND abs(${number}) < 9.0e15 THEN CAST(${number} AS BIGINT) END)`,
          'integer',
        );
      break;
    }
    case 'boolean':
      if (value.type === 'integer' || value.type === 'number')
        return { sql: sql`(${v} <> 0)`, type: 'boolean' };
      if (readText)
        return checked(
          context,
          value,
          sql`(CASE WHEN lower(${t}) IN ('true', 'yes', 'y', 't', '1') THEN TRUE WHEN lower(${t}) IN ('false', 'no', 'n', 'f', '0') THEN FALSE END)`,
          'boolean',
        );
      break;
    case 'timestamp':
      if (readText) return checked(context, value, coerce(t, 'VARCHAR', 'timestamp'), 'timestamp');
      break;
    case 'json':
      if (value.type === 'text')
        return checked(context, value, sql`(CASE WHEN json_valid(${v}) THEN CAST(${v} AS JSON) END)`, 'json');
      return { sql: sql`to_json(${v})`, type: 'json' };
    case 'null':
      break;
  }
  throw new ExpressionError(`cannot use ${WORDS[value.type]} as ${WORDS[to]}`);
}

const NULL_OF: Readonly<Record<ValueType, Sql>> = {
  text: sql`CAST(NULL AS VARCHAR)`,
  integer: sql`CAST(NULL AS BIGINT)`,
  number: sql`CAST(NULL AS DOUBLE)`,
  boolean: sql`CAST(NULL AS BOOLEAN)`,
  timestamp: sql`CAST(NULL AS TIMESTAMP)`,
  json: sql`CAST(NULL AS JSON)`,
  null: sql`CAST(NULL AS VARCHAR)`,
};

/**
 * The one type several values share (for if, coalesce, min, comparisons): text read from a
 * file takes the type of the typed values beside it (checked), whole numbers widen to
 * numbers, and values of two other types do not mix.
 */
export function commonType(values: readonly Compiled[]): ValueType {
  const types = new Set(values.map((v) => v.type).filter((t) => t !== 'null'));
  if (types.size === 0) return 'null';
  const typed = [...types].filter((t) => t !== 'text' && t !== 'json');
  if (typed.length === 0) return types.has('text') ? 'text' : 'json';
  if (typed.every((t) => t === 'integer' || t === 'number'))
    return typed.includes('number') ? 'number' : 'integer';
  if (typed.length === 1) return typed[0] ?? 'text';
  throw new ExpressionError(`mixes ${typed.map((t) => WORDS[t]).join(' and ')}`);
}

/** Compiles one expression; the checked conversions land in `context.conversions`. */
export function compileExpression(expression: Expression, context: CompileContext): Compiled {
  const next = (child: Expression) => compileExpression(child, context);
  switch (expression.kind) {
    case 'literal': {
      const value = expression.value;
      if (value === null) return { sql: sql`NULL`, type: 'null' };
      if (typeof value === 'boolean') return { sql: value ? sql`TRUE` : sql`FALSE`, type: 'boolean' };
      if (typeof value === 'number')
        return Number.isInteger(value)
          ? { sql: sql`CAST(${value} AS BIGINT)`, type: 'integer' }
          : { sql: sql`CAST(${value} AS DOUBLE)`, type: 'number' };
      return { sql: sql`CAST(${value} AS VARCHAR)`, type: 'text' };
    }
    case 'column':
      return column(expression.name, context);
    case 'field': {
      const of = next(expression.of);
      const json = convert(context, of, 'json');
      return { sql: jsonValue(sql`json_extract(${json.sql}, ${pointer(expression.path)})`), type: 'json' };
    }
    case 'call': {
      const functions = context.functions;
      const fn = Object.hasOwn(functions, expression.name) ? functions[expression.name] : undefined;
      if (!fn)
        throw new ExpressionError(
          `calls '${expression.name}', which is not a function Strata knows${didYouMean(expression.name, Object.keys(functions))}`,
        );
      const [min, max] = fn.arity;
      const count = expression.args.length;
      if (count < min || count > max)
        throw new ExpressionError(
          `calls ${expression.name} with ${count} argument${count === 1 ? '' : 's'}; it takes ${min === max ? min : max === Number.POSITIVE_INFINITY ? `${min} or more` : `${min} to ${max}`} (${fn.usage})`,
        );
      return fn.compile(expression.args, context);
    }
    case 'unary': {
      const argument = next(expression.argument);
      if (expression.operator === '!')
        return { sql: sql`(NOT ${convert(context, argument, 'boolean').sql})`, type: 'boolean' };
      const number = argument.type === 'integer' ? argument : convert(context, argument, 'number');
      return expression.operator === '-' ? { sql: sql`(-${number.sql})`, type: number.type } : number;
    }
    case 'binary':
      return binary(expression.operator, next(expression.left), next(expression.right), context);
    case 'conditional':
      return choose(context, next(expression.test), [
        next(expression.consequent),
        next(expression.otherwise),
      ]);
  }
}

function column(name: string, context: CompileContext): Compiled {
  if (context.element)
    return { sql: jsonValue(sql`json_extract(${context.element}, ${pointer([name])})`), type: 'json' };
  const value = context.resolve(name);
  if (!value)
    throw new ExpressionError(
      `names '${name}', which is not a column of the file${didYouMean(name, context.columns)} (columns: ${context.columns.join(', ')}); write col("...") for a name with spaces or punctuation`,
    );
  return { ...value, column: name };
}

/** `test ? a : b`, and if(): both branches take their common type. */
export function choose(
  context: CompileContext,
  test: Compiled,
  branches: readonly [Compiled, Compiled],
): Compiled {
  const type = commonType(branches);
  const [a, b] = branches.map((branch) => convert(context, branch, type));
  return {
    sql: sql`(CASE WHEN ${convert(context, test, 'boolean').sql} THEN ${a?.sql ?? sql`NULL`} ELSE ${b?.sql ?? sql`NULL`} END)`,
    type,
  };
}

function binary(operator: string, left: Compiled, right: Compiled, context: CompileContext): Compiled {
  if (operator === '&&' || operator === '||') {
    const [l, r] = [convert(context, left, 'boolean').sql, convert(context, right, 'boolean').sql];
    return { sql: operator === '&&' ? sql`(${l} AND ${r})` : sql`(${l} OR ${r})`, type: 'boolean' };
  }
  if (['==', '!=', '<', '<=', '>', '>='].includes(operator)) return compare(operator, left, right, context);
  if (left.type === 'timestamp' || right.type === 'timestamp')
    throw new ExpressionError(`does arithmetic on a date; use addDays, addMonths or daysBetween`);
  const whole = left.type === 'integer' && right.type === 'integer' && operator !== '/';
  const type = whole ? 'integer' : 'number';
  const l = convert(context, left, type).sql;
  const r = convert(context, right, type).sql;
  switch (operator) {
    case '+':
      return { sql: sql`(${l} + ${r})`, type };
    case '-':
      return { sql: sql`(${l} - ${r})`, type };
    case '*':
      return { sql: sql`(${l} * ${r})`, type };
    case '/':
      // Empty rather than DuckDB's Infinity: a ratio over nothing has no value.
      return { sql: sql`(CASE WHEN ${r} <> 0 THEN ${l} / ${r} END)`, type: 'number' };
    default:
      return { sql: sql`(CASE WHEN ${r} <> 0 THEN ${l} % ${r} END)`, type };
  }
}

function compare(operator: string, left: Compiled, right: Compiled, context: CompileContext): Compiled {
  if (left.type === 'null' || right.type === 'null') {
    const other = left.type === 'null' ? right : left;
    if (operator === '==') return { sql: sql`(${other.sql} IS NULL)`, type: 'boolean' };
    if (operator === '!=') return { sql: sql`(${other.sql} IS NOT NULL)`, type: 'boolean' };
    throw new ExpressionError(`compares with null using '${operator}'; only == and != do`);
  }
  const type = commonType([left, right]);
  const l = convert(context, left, type === 'json' ? 'text' : type).sql;
  const r = convert(context, right, type === 'json' ? 'text' : type).sql;
  const op =
    { '==': sql`=`, '!=': sql`<>`, '<': sql`<`, '<=': sql`<=`, '>': sql`>`, '>=': sql`>=` }[operator] ??
    sql`=`;
  return { sql: sql`(${l} ${op} ${r})`, type: 'boolean' };
}

/**
 * SQL naming the first checked conversion of a row that failed, as the reason shown for it
 * (NULL when every conversion held): one CASE evaluated in the staging pass.
 */
export function conversionErrors(conversions: readonly Conversion[], derived: string): Sql | null {
  if (conversions.length === 0) return null;
  const whens = conversions.map((c) => {
    const where = c.column ? ` in column '${c.column}'` : '';
    return sql`WHEN ${c.input} IS NOT NULL AND ${c.output} IS NULL THEN concat(${`derived column '${derived}': expected ${c.expected}${where}, found "`}, left(${c.input}, 60), '"')`;
  });
  return sql`(CASE ${sql.join(whens, sql` `)} END)`;
}
