import type { Dialect } from './dialect.js';
import type { Sql } from './sql.js';

/**
 * First characters that make a spreadsheet read a CSV cell as a formula (OWASP, "CSV
 * Injection"): `=cmd|' /C calc'!A0` in an account name would run when the export is opened.
 */
export const FORMULA_STARTS = ['=', '+', '-', '@', '\t', '\r'] as const;

/**
 * SQL for a text column as written to a CSV export: a cell starting with a formula
 * character gets a leading `'`, which spreadsheets show as text and do not evaluate. A cell
 * that is a number as a whole (-3.5, +2) stays as it is: a number cannot be a formula.
 * The first character is compared as a byte on ClickHouse and as a character on DuckDB;
 * every formula start is ASCII, so both agree.
 */
export function formulaSafe(dialect: Dialect, text: Sql): Sql {
  const sql = dialect.sql;
  const starts = sql.join(FORMULA_STARTS.map((c) => sql.value(c)));
  return sql`CASE WHEN substring(${text}, 1, 1) IN (${starts}) AND ${dialect.fn.toNumber(text)} IS NULL THEN concat(${"'"}, ${text}) ELSE ${text} END`;
}

/** The same rule for a cell written by JavaScript (the strategy matrix of `strata playbook`). */
export function formulaSafeText(cell: string): string {
  const number = cell.trim() !== '' && Number.isFinite(Number(cell));
  return (FORMULA_STARTS as readonly string[]).includes(cell.charAt(0)) && !number ? `'${cell}` : cell;
}
