import type { Dialect } from './dialect.js';
import type { Sql } from './sql.js';

/**
 * The walk up a parent relation, for account hierarchies: ClickHouse 18.16 has no recursive
 * CTE, so the walk is a fixed number of self-joins, one per level, each the dialect's join on
 * account_id (the step's `account_id` is the previous level's tip). Shared by the import's
 * cycle check (src/store) and the roll-up metrics (src/compile).
 *
 * `links` is a relation of (account_id, parent), parent '' for none, one row per account. The
 * result has columns `start` (every account, or only those with a parent), `p1` (its parent)
 * to `p{depth}`, '' once the chain has ended, and `account_id` (= `p{depth}`).
 */
export function walkUp(d: Dialect, links: Sql, depth: number, from: 'every account' | 'with a parent'): Sql {
  const sql = d.sql;
  const tip = (k: number) => sql.id(`p${k}`);
  const where = from === 'with a parent' ? sql` WHERE parent <> ''` : sql.empty;
  // ClickHouse substitutes an alias wherever its name appears in the same SELECT, so no level
  // names a column `account_id` while reading one: `account_id AS start` would read the parent.
  let walk = sql`SELECT start, p1, p1 AS account_id
    FROM (SELECT account_id AS start, parent AS p1 FROM (${links}) AS links_0${where}) AS edges`;
  for (let k = 1; k < depth; k++) {
    const before = Array.from({ length: k }, (_, i) => tip(i + 1));
    // The step's column is named apart from its alias: ClickHouse reads `f(x) AS x` as a cyclic alias.
    const found = sql.id(`found_${k}`);
    const next = tip(k + 1);
    const step = sql`(SELECT account_id, parent AS ${found} FROM (${links}) AS ${sql.id(`links_${k}`)}) AS ${sql.id(`step_${k}`)}`;
    walk = sql`SELECT start, ${sql.join(before)}, coalesce(${found}, '') AS ${next}, coalesce(${found}, '') AS account_id
      FROM ${d.fn.joinOnAccount([sql`(${walk}) AS ${sql.id(`walk_${k}`)}`, step])}`;
  }
  return walk;
}
