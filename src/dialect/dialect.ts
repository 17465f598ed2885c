import type { ColumnType } from '../model/tables.js';

/** A value that may reach SQL; only a dialect's `literal` turns it into SQL text. */
export type SqlValue = string | number | bigint | boolean | Date | null;

/**
 * What differs between engines, kept small on purpose: quoting, the one escaping
 * function, type names. Query builders call these hooks and never write engine
 * syntax themselves.
 */
export interface Dialect {
  readonly name: 'duckdb' | 'clickhouse';
  /** Quotes an identifier (table, column, alias); rejects names that cannot be quoted safely. */
  quoteIdentifier(name: string): string;
  /** The single audited way a user value becomes SQL text. */
  literal(value: SqlValue): string;
  /** The engine's type for a logical column type. */
  columnType(type: ColumnType): string;
}
