import { didYouMean, StrataError } from '../errors.js';
import type { Column, Table } from '../model/tables.js';

/** How the columns of one imported file land in a table. */
export interface ColumnMapping {
  /** Table column -> file column, for every table column the file provides. */
  readonly sources: ReadonlyMap<string, string>;
  /** Table columns the file does not provide (NULL, or derived for a synthetic key). */
  readonly missing: readonly Column[];
  /** File columns that are not table columns: they are kept in the table's traits / properties. */
  readonly extras: readonly string[];
}

/**
 * Matches a file's columns to a table: explicit `map` entries first, then equal names,
 * then names equal but for case. Fails, naming the file, on a map entry that names no
 * table column or no file column, and on a required column the file lacks.
 */
export function mapColumns(
  table: Table,
  fileColumns: readonly string[],
  map: Readonly<Record<string, string>>,
  file: string,
  /** The line of the file's header (1 for CSV), named by errors about its columns. */
  headerLine?: number,
): ColumnMapping {
  const line = headerLine === undefined ? {} : { line: headerLine };
  const tableColumns = table.columns.map((c) => c.name);
  for (const [target, source] of Object.entries(map)) {
    if (!tableColumns.includes(target)) {
      throw new StrataError(
        'unknown_column',
        `--map ${target}=${source}: '${target}' is not a column of ${table.name}${didYouMean(target, tableColumns)} (columns: ${tableColumns.join(', ')})`,
        { file, column: target },
      );
    }
    if (!fileColumns.includes(source)) {
      throw new StrataError(
        'unknown_column',
        `--map ${target}=${source}: ${file} has no column '${source}'${didYouMean(source, fileColumns)} (columns: ${fileColumns.join(', ')})`,
        { file, ...line, column: source },
      );
    }
  }
  const used = new Set(Object.values(map));
  const sources = new Map<string, string>();
  const missing: Column[] = [];
  for (const column of table.columns) {
    const mapped = map[column.name];
    const exact = fileColumns.find((c) => c === column.name && !used.has(c));
    const caseless = fileColumns.find((c) => c.toLowerCase() === column.name.toLowerCase() && !used.has(c));
    const source = mapped ?? exact ?? caseless;
    if (source === undefined) {
      missing.push(column);
      continue;
    }
    sources.set(column.name, source);
    used.add(source);
  }
  const derivable = new Set(table.derivedKeyFrom ? table.key : []);
  const lacking = missing.filter(
    (c) =>
      c.required &&
      c.blank === undefined &&
      !derivable.has(c.name) &&
      !(c.defaultRule && defaultReady(table, c, sources)),
  );
  if (lacking.length > 0) {
    const names = lacking.map((c) => `'${c.name}'`).join(', ');
    const hint = lacking.map((c) => didYouMean(c.name, fileColumns)).join('');
    throw new StrataError(
      'missing_column',
      `${file} lacks required column ${names} for table ${table.name}${hint} (columns found: ${fileColumns.join(', ')}); map a column to it (--map ${lacking[0]?.name}=<column>, or map: in strata.yaml) or compute it (derive: in strata.yaml)`,
      { file, ...line, column: lacking[0]?.name ?? '' },
    );
  }
  return { sources, missing, extras: fileColumns.filter((c) => !used.has(c)) };
}

/** The columns a default is worked out from (src/store/duckdb/column-defaults.ts), by table and column. */
export const DEFAULT_INPUTS: Readonly<Record<string, readonly string[]>> = {
  'subscriptions.status': ['ends_at'],
};

/** Whether a missing column's default can be worked out: the file gives every column it is read from. */
function defaultReady(table: Table, column: Column, sources: ReadonlyMap<string, string>): boolean {
  const inputs = DEFAULT_INPUTS[`${table.name}.${column.name}`];
  return inputs?.every((input) => sources.has(input)) ?? false;
}
