import type { SqlValue } from './dialect.js';

/** Brands text as SQL; set by the class below and used only by this module and `rawSql`. */
let brand: (text: string) => Sql;

/**
 * A fragment of SQL text, already rendered for one dialect. Only this module makes one:
 * through a dialect's `sql` tag (values escaped by its `literal`, identifiers quoted), or
 * through `rawSql` for text the compiler and the dialects build themselves. Stores take
 * nothing else, so a value cannot reach a query without passing through `literal`.
 */
export class Sql {
  private constructor(readonly text: string) {}
  static {
    brand = (text) => new Sql(text);
  }
  /** Loud on purpose: a fragment pasted into a plain template string would skip the tag. */
  toString(): string {
    throw new Error('an Sql fragment goes into the sql tag, not into a template string');
  }
}

/** What a tag interpolates: a fragment passes as it is, anything else becomes a literal. */
export type SqlArg = Sql | SqlValue;

/** A dialect's tagged template for SQL, with helpers for identifiers and lists. */
export interface SqlTag {
  (strings: TemplateStringsArray, ...args: readonly SqlArg[]): Sql;
  /** An identifier (table, column, alias) quoted by the dialect; several make a dotted name (`r`.`b0`). */
  id(...names: readonly [string, ...string[]]): Sql;
  /** One value as a literal. */
  value(value: SqlValue): Sql;
  /** Fragments with `separator` between them (`, ` by default); none gives the empty fragment. */
  join(parts: readonly Sql[], separator?: Sql): Sql;
  /** The empty fragment. */
  readonly empty: Sql;
}

/**
 * Text the compiler or a dialect wrote itself (with `literal` and `quoteIdentifier`), as a
 * fragment. Outside src/compile and src/dialect use the tag: test/dialect/raw-sql-use.test.ts
 * fails when another folder imports this.
 */
export function rawSql(text: string): Sql {
  return brand(text);
}

/**
 * The tag of a dialect, from its escaping function and its identifier quoting. A fragment is
 * rendered for its dialect when it is made, not later by the store, so building a query costs
 * what string concatenation does and the compiler's large queries stay as fast.
 */
export function sqlTag(
  literal: (value: SqlValue) => string,
  quoteIdentifier: (name: string) => string,
): SqlTag {
  const render = (arg: SqlArg) => (arg instanceof Sql ? arg.text : literal(arg));
  const tag = (strings: TemplateStringsArray, ...args: readonly SqlArg[]): Sql => {
    let text = strings[0] ?? '';
    args.forEach((arg, i) => {
      text += render(arg) + (strings[i + 1] ?? '');
    });
    return brand(text);
  };
  const comma = brand(', ');
  return Object.assign(tag, {
    id: (...names: readonly [string, ...string[]]) => brand(names.map(quoteIdentifier).join('.')),
    value: (value: SqlValue) => brand(literal(value)),
    join: (parts: readonly Sql[], separator = comma) => brand(parts.map((p) => p.text).join(separator.text)),
    empty: brand(''),
  });
}
