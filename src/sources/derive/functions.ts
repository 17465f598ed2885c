import { duckdbDialect } from '../../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../../dialect/sql.js';
import {
  type CompileContext,
  type Compiled,
  choose,
  commonType,
  compileExpression,
  convert,
  text,
  type ValueType,
} from './compile-derive.js';
import { type Expression, ExpressionError } from './expression.js';

/**
 * The functions a derived column may call: each has its usage (shown in errors and in the
 * README's table), how many arguments it takes, and how it compiles. Arguments arrive as
 * expressions, not compiled, so `sumOf` can read its second one per element of a list.
 */
export interface DeriveFunction {
  readonly usage: string;
  readonly doc: string;
  readonly arity: readonly [min: number, max: number];
  compile(args: readonly Expression[], context: CompileContext): Compiled;
}

const sql = duckdbDialect.sql;
const NULL = sql`NULL`;
const MANY = Number.POSITIVE_INFINITY;

/** A function of fixed-type arguments: each compiled, converted (checked), then written as SQL. */
function typed(
  usage: string,
  doc: string,
  types: readonly ValueType[],
  optional: number,
  result: ValueType,
  write: (args: Args, given: number) => Sql,
): DeriveFunction {
  return {
    usage,
    doc,
    arity: [types.length - optional, types.length],
    compile: (args, context) => {
      const compiled = args.map(
        (arg, i) => convert(context, compileExpression(arg, context), types[i] ?? 'text').sql,
      );
      const [a = NULL, b = NULL, c = NULL] = compiled;
      return { sql: write([a, b, c], compiled.length), type: result } satisfies Compiled;
    },
  };
}

/** The compiled arguments of a fixed-type function; those not given are NULL. */
type Args = readonly [Sql, Sql, Sql];

/** A conversion function: `number(x)` and friends, checked row by row like any conversion. */
function conversion(to: ValueType, doc: string): DeriveFunction {
  return {
    usage: `${to === 'timestamp' ? 'timestamp' : to}(x)`,
    doc,
    arity: [1, 1],
    compile: ([arg], context) => convert(context, compileExpression(arg as Expression, context), to),
  };
}

/** Months in one billing interval, for monthly(): Stripe's and the CRMs' interval names. */
const monthsPerInterval = (interval: Sql) =>
  sql`(CASE lower(${interval}) WHEN 'day' THEN 12.0 / 365 WHEN 'week' THEN 12.0 / 52 WHEN 'month' THEN 1.0 WHEN 'quarter' THEN 3.0 WHEN 'year' THEN 12.0 END)`;

export const FUNCTIONS: Readonly<Record<string, DeriveFunction>> = {
  col: {
    usage: 'col("Column name")',
    doc: 'the file column of that name, for names with spaces or punctuation',
    arity: [1, 1],
    compile: ([arg], context) => {
      if (arg?.kind !== 'literal' || typeof arg.value !== 'string')
        throw new ExpressionError('calls col() with something other than a quoted column name');
      return compileExpression({ kind: 'column', name: arg.value }, context);
    },
  },
  optionalCol: {
    usage: 'optionalCol("Column name")',
    doc: 'the file column of that name, or empty when the file has none (for columns an export holds only sometimes)',
    arity: [1, 1],
    compile: ([arg], context) => {
      const name = columnName(arg, 'optionalCol');
      if (!context.element && !context.resolve(name)) return { sql: NULL, type: 'null' };
      return compileExpression({ kind: 'column', name }, context);
    },
  },
  anyCol: {
    usage: 'anyCol("Name", "Other name", ...)',
    doc: 'the first of the named file columns the file has (for a column vendors label differently); an error naming them all when it has none',
    arity: [1, MANY],
    compile: (args, context) => {
      const names = args.map((arg) => columnName(arg, 'anyCol'));
      const found = context.element ? names[0] : names.find((name) => context.resolve(name));
      if (found === undefined)
        throw new ExpressionError(
          `names ${names.map((n) => `'${n}'`).join(' or ')}, none of which is a column of the file (columns: ${context.columns.join(', ')})`,
        );
      return compileExpression({ kind: 'column', name: found }, context);
    },
  },
  number: conversion('number', 'a number; text that is not one makes the row invalid'),
  integer: conversion('integer', 'a whole number (17850.0 is 17850; 12.5 makes the row invalid)'),
  text: conversion('text', 'text; whole numbers are written without a decimal point'),
  boolean: conversion('boolean', 'true for true/yes/y/t/1, false for false/no/n/f/0 (any case)'),
  timestamp: conversion('timestamp', 'a time (ISO 8601, a date, or with an offset; stored in UTC)'),
  json: conversion('json', 'JSON text read as JSON, so its fields can be read with a.b'),
  date: typed(
    'date(x)',
    'the day of a time (00:00 UTC)',
    ['timestamp'],
    0,
    'timestamp',
    ([x]) => sql`date_trunc('day', ${x})`,
  ),
  unixTime: typed(
    'unixTime(seconds)',
    'a time from seconds since 1970-01-01 UTC (the Stripe API writes times so)',
    ['number'],
    0,
    'timestamp',
    ([x]) =>
      sql`(CASE WHEN abs(${x}) < 9.0e12 THEN CAST(to_timestamp(${x}) AT TIME ZONE 'UTC' AS TIMESTAMP) END)`,
  ),
  lower: typed('lower(text)', 'lower case', ['text'], 0, 'text', ([x]) => sql`lower(${x})`),
  upper: typed('upper(text)', 'upper case', ['text'], 0, 'text', ([x]) => sql`upper(${x})`),
  trim: typed('trim(text)', 'without spaces at either end', ['text'], 0, 'text', ([x]) => sql`trim(${x})`),
  length: typed(
    'length(text)',
    'the number of characters',
    ['text'],
    0,
    'integer',
    ([x]) => sql`length(${x})`,
  ),
  replace: typed(
    'replace(text, find, with)',
    'every occurrence of find replaced',
    ['text', 'text', 'text'],
    0,
    'text',
    ([x, a, b]) => sql`replace(${x}, ${a}, ${b})`,
  ),
  substring: typed(
    'substring(text, start, length?)',
    'part of the text; the first character is 1',
    ['text', 'integer', 'integer'],
    1,
    'text',
    ([x, start, length], given) =>
      given === 3 ? sql`substring(${x}, ${start}, ${length})` : sql`substring(${x}, ${start})`,
  ),
  split: typed(
    'split(text, separator, n)',
    'the n-th part (from 1) of the text cut at each separator; empty when there are fewer parts',
    ['text', 'text', 'integer'],
    0,
    'text',
    ([x, separator, n]) => sql`nullif(split_part(${x}, ${separator}, ${n}), '')`,
  ),
  concat: {
    usage: 'concat(a, b, ...)',
    doc: 'the values as text, one after the other; empty values are left out',
    arity: [1, MANY],
    compile: (args, context) => ({
      sql: sql`concat(${sql.join(args.map((arg) => text(compileExpression(arg, context)).sql))})`,
      type: 'text',
    }),
  },
  if: {
    usage: 'if(condition, then, else)',
    doc: 'then where the condition holds, else otherwise (also written condition ? then : else)',
    arity: [3, 3],
    compile: ([test, a, b], context) =>
      choose(context, compileExpression(test as Expression, context), [
        compileExpression(a as Expression, context),
        compileExpression(b as Expression, context),
      ]),
  },
  coalesce: {
    usage: 'coalesce(a, b, ...)',
    doc: 'the first value that is not empty',
    arity: [1, MANY],
    compile: (args, context) => {
      const values = args.map((arg) => compileExpression(arg, context));
      const type = commonType(values);
      return { sql: sql`coalesce(${sql.join(values.map((v) => convert(context, v, type).sql))})`, type };
    },
  },
  round: typed(
    'round(x, digits?)',
    'rounded half away from zero, to whole units or to digits decimals',
    ['number', 'integer'],
    1,
    'number',
    ([x, digits], given) => (given === 2 ? sql`round(${x}, CAST(${digits} AS INTEGER))` : sql`round(${x})`),
  ),
  floor: typed(
    'floor(x)',
    'the whole number at or below',
    ['number'],
    0,
    'integer',
    ([x]) => sql`CAST(floor(${x}) AS BIGINT)`,
  ),
  ceil: typed(
    'ceil(x)',
    'the whole number at or above',
    ['number'],
    0,
    'integer',
    ([x]) => sql`CAST(ceil(${x}) AS BIGINT)`,
  ),
  abs: typed('abs(x)', 'without its sign', ['number'], 0, 'number', ([x]) => sql`abs(${x})`),
  min: {
    usage: 'min(a, b, ...)',
    doc: 'the smallest of the values (empty ones left out)',
    arity: [2, MANY],
    compile: (args, context) => extreme('least', args, context),
  },
  max: {
    usage: 'max(a, b, ...)',
    doc: 'the largest of the values (empty ones left out)',
    arity: [2, MANY],
    compile: (args, context) => extreme('greatest', args, context),
  },
  addDays: typed(
    'addDays(time, days)',
    'the time that many days later (earlier when negative; fractions are hours)',
    ['timestamp', 'number'],
    0,
    'timestamp',
    ([t, days]) => sql`(${t} + to_microseconds(CAST(round(${days} * 86400e6) AS BIGINT)))`,
  ),
  addMonths: typed(
    'addMonths(time, months)',
    'the same day that many whole months later (earlier when negative; Jan 31 + 1 is the end of February)',
    ['timestamp', 'integer'],
    0,
    'timestamp',
    ([t, months]) => sql`(${t} + to_months(CAST(${months} AS INTEGER)))`,
  ),
  daysBetween: typed(
    'daysBetween(from, to)',
    'days from one time to another, with fractions (negative when to is earlier)',
    ['timestamp', 'timestamp'],
    0,
    'number',
    ([a, b]) => sql`((epoch_us(${b}) - epoch_us(${a})) / 86400e6)`,
  ),
  monthly: {
    usage: 'monthly(amount, interval, count?)',
    doc: 'an amount billed every count intervals (day, week, month, quarter, year) per month: 1200 a year is 100',
    arity: [2, 3],
    compile: ([amount, interval, count], context) => {
      const a = convert(context, compileExpression(amount as Expression, context), 'number').sql;
      const i = convert(context, compileExpression(interval as Expression, context), 'text').sql;
      const n = count ? convert(context, compileExpression(count, context), 'number').sql : sql`1`;
      return {
        sql: sql`(${a} / ${monthsPerInterval(i)} / nullif(${n}, 0))`,
        type: 'number',
      };
    },
  },
  countOf: typed(
    'countOf(list)',
    'how many items a JSON list holds',
    ['json'],
    0,
    'integer',
    ([list]) => sql`CAST(json_array_length(${list}) AS BIGINT)`,
  ),
  sumOf: {
    usage: 'sumOf(list, expression)',
    doc: "the sum of the expression over a JSON list's items, names in it being the item's fields (items that give no number count as 0)",
    arity: [2, 2],
    compile: ([list, each], context) => {
      const items = convert(context, compileExpression(list as Expression, context), 'json').sql;
      const inner = compileExpression(each as Expression, {
        ...context,
        element: sql`__item`,
        conversions: null,
      });
      const value = convert({ ...context, conversions: null }, inner, 'number').sql;
      return {
        sql: sql`coalesce(list_sum(list_transform(CAST(json_extract(${items}, '$[*]') AS JSON[]), __item -> coalesce(${value}, 0))), 0)`,
        type: 'number',
      };
    },
  },
};

/** The quoted column name a col()-like function takes. */
function columnName(arg: Expression | undefined, fn: string): string {
  if (arg?.kind !== 'literal' || typeof arg.value !== 'string')
    throw new ExpressionError(`calls ${fn}() with something other than a quoted column name`);
  return arg.value;
}

function extreme(
  which: 'least' | 'greatest',
  args: readonly Expression[],
  context: CompileContext,
): Compiled {
  const values = args.map((arg) => compileExpression(arg, context));
  const type = commonType(values);
  const list = sql.join(values.map((v) => convert(context, v, type).sql));
  return { sql: which === 'least' ? sql`least(${list})` : sql`greatest(${list})`, type };
}

/** The names of the functions an expression calls, for checks made before any file is read. */
export function calledFunctions(expression: Expression, into: Set<string> = new Set()): Set<string> {
  switch (expression.kind) {
    case 'call':
      into.add(expression.name);
      for (const arg of expression.args) calledFunctions(arg, into);
      break;
    case 'field':
      calledFunctions(expression.of, into);
      break;
    case 'unary':
      calledFunctions(expression.argument, into);
      break;
    case 'binary':
      calledFunctions(expression.left, into);
      calledFunctions(expression.right, into);
      break;
    case 'conditional':
      calledFunctions(expression.test, into);
      calledFunctions(expression.consequent, into);
      calledFunctions(expression.otherwise, into);
      break;
    default:
      break;
  }
  return into;
}
