import type { Dialect } from '../dialect/dialect.js';
import { rawSql, type Sql } from '../dialect/sql.js';
import type { RfmCellRange } from '../language/ast.js';

/**
 * SQL of RFM scoring, shared by the compiler (RFM metrics in segment conditions) and
 * `strata analyze rfm`: quintiles of rank positions among paying accounts, equal values
 * sharing a score. Accounts paying nothing are not scored: their cell is NON_PAYING.
 */

/** The cell of accounts whose monetary value is 0 or missing; they get no R, F or M score. */
export const NON_PAYING = 'Non-paying';

/**
 * Recency sort key (a double) of an account never active: later than any real one. Not a
 * whole number, which ClickHouse would read as UInt64, a type it does not mix with Float64.
 */
export const NEVER_ACTIVE = 1e15 + 0.5;

/**
 * Quintile 1-5 of a 1-based rank `position` (ties at the mean of their positions) among
 * `count` rows: position p is in quintile k when 1 + (n-1)(k-1)/5 < p <= 1 + (n-1)k/5. NULL (not
 * ranked: a non-paying account) stays NULL.
 */
export function quintileSql(position: string, count: string): string {
  const above = [1, 2, 3, 4].map(
    (k) => `CASE WHEN ${position} > 1 + ((${count} - 1) * ${k}) / 5 THEN 1 ELSE 0 END`,
  );
  return `CASE WHEN ${position} IS NULL THEN NULL ELSE (1 + ${above.join(' + ')}) END`;
}

/** 1 when a monetary value (NULL read as 0) is above 0, else 0: the pool RFM scores rank within. */
export function payingSql(monetary: string): string {
  return `CASE WHEN coalesce(${monetary}, 0) > 0 THEN 1 ELSE 0 END`;
}

/** FM: the mean of F and M rounded half up. */
export function fmSql(f: string, m: string): string {
  const sum = `(${f} + ${m})`;
  return `CASE WHEN ${sum} >= 9 THEN 5 WHEN ${sum} >= 7 THEN 4 WHEN ${sum} >= 5 THEN 3 WHEN ${sum} >= 3 THEN 2 ELSE 1 END`;
}

/** NON_PAYING when `paying` (payingSql) is 0, else the first cell whose score ranges hold, else 'Other'. */
export function cellSql(
  cells: readonly RfmCellRange[],
  scores: { r: string; f: string; m: string; fm: string; paying: string },
  literal: (value: string | number | boolean) => string,
): string {
  const within = (score: string, range: readonly [number, number] | undefined) =>
    range ? [`${score} BETWEEN ${literal(range[0])} AND ${literal(range[1])}`] : [];
  const whens = cells.map((c) => {
    const tests = [
      ...within(scores.r, c.r),
      ...within(scores.f, c.f),
      ...within(scores.m, c.m),
      ...within(scores.fm, c.fm),
    ];
    return `WHEN ${tests.join(' AND ') || literal(true)} THEN ${literal(c.name)}`;
  });
  return `CASE WHEN ${scores.paying} = 0 THEN ${literal(NON_PAYING)} ${whens.join(' ')} ELSE 'Other' END`;
}

/** The same scoring over fragments, for queries outside the compiler (`strata analyze rfm`). */
export const rfmFragments = {
  quintile: (position: Sql, count: Sql): Sql => rawSql(quintileSql(position.text, count.text)),
  paying: (monetary: Sql): Sql => rawSql(payingSql(monetary.text)),
  fm: (f: Sql, m: Sql): Sql => rawSql(fmSql(f.text, m.text)),
  cell: (
    dialect: Dialect,
    cells: readonly RfmCellRange[],
    scores: { r: Sql; f: Sql; m: Sql; fm: Sql; paying: Sql },
  ): Sql =>
    rawSql(
      cellSql(
        cells,
        {
          r: scores.r.text,
          f: scores.f.text,
          m: scores.m.text,
          fm: scores.fm.text,
          paying: scores.paying.text,
        },
        dialect.literal,
      ),
    ),
};
