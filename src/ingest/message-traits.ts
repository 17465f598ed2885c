import { parseInstant } from '../model/instant.js';
import { TABLES } from '../model/tables.js';

/*
 * How a message's traits become table columns: which traits fill which account and user
 * columns, the rest kept as JSON, rows without a prototype (a `__proto__` trait is data), and
 * when a changed trait is really a change (timestamps compared as instants).
 */

/** A table row as the importer takes it. */
export type Row = Record<string, unknown>;

/** Account columns a group call's traits may set, by the names clients send (camelCase or snake_case). */
export const ACCOUNT_FIELDS: Record<string, string> = {
  name: 'name',
  domain: 'domain',
  website: 'domain',
  createdAt: 'created_at',
  created_at: 'created_at',
  employees: 'employees',
  industry: 'industry',
  region: 'region',
  country: 'country',
  plan: 'plan',
  mrr: 'mrr',
  arr: 'arr',
  renewalAt: 'renewal_at',
  renewal_at: 'renewal_at',
};
export const USER_FIELDS: Record<string, string> = {
  email: 'email',
  role: 'role',
  createdAt: 'created_at',
  created_at: 'created_at',
};

/**
 * The column a trait fills, if any. An own-property lookup: a trait named `constructor` or
 * `toString` is a trait like any other, not the object's inherited function.
 */
export const fieldOf = (fields: Record<string, string>, key: string): string | undefined =>
  Object.hasOwn(fields, key) ? fields[key] : undefined;

/** A fresh row without a prototype, so a key such as `__proto__` is stored as the data it is. */
const emptyRow = (): Row => Object.create(null) as Row;

/** Splits traits into the table's own columns and the rest (kept as JSON traits). */
export function splitTraits(traits: Record<string, unknown>, fields: Record<string, string>) {
  const columns = emptyRow();
  const rest = emptyRow();
  for (const [key, value] of Object.entries(traits)) {
    const column = fieldOf(fields, key);
    if (column) columns[column] = key === 'website' && typeof value === 'string' ? hostOf(value) : value;
    else rest[key] = value;
  }
  return { columns, rest };
}

/** A row's own value for a key (never an inherited function). */
export const own = (row: Row | undefined, key: string): unknown =>
  row !== undefined && Object.hasOwn(row, key) ? row[key] : undefined;

function hostOf(url: string): string {
  try {
    return new URL(url.includes('://') ? url : `https://${url}`).hostname.replace(/^www\./, '');
  } catch {
    return url;
  }
}

export const asObject = (value: unknown): Row =>
  typeof value === 'string' ? (JSON.parse(value) as Row) : ((value ?? emptyRow()) as Row);

/** Timestamp columns of a table, which are read back to the microsecond (see `storedRows`). */
export const timestampColumns = (table: 'accounts' | 'users') =>
  TABLES[table].columns.filter((c) => c.type === 'timestamp').map((c) => c.name);

/** Whether a trait's new value is the stored one: timestamps as instants (an offset or 'Z' changes nothing). */
export function sameValue(column: string | undefined, old: unknown, value: unknown): boolean {
  if (column && (column === 'created_at' || column === 'renewal_at')) {
    const [a, b] = [parseInstant(String(old ?? '')), parseInstant(String(value ?? ''))];
    if (a !== null && b !== null) return a === b;
  }
  return String(old ?? '') === String(value ?? '');
}
