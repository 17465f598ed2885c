import type { Dialect } from '../dialect/dialect.js';
import { walkUp } from '../dialect/parent-walk.js';
import type { Sql } from '../dialect/sql.js';
import { StrataError } from '../errors.js';
import { listWords, plural } from '../format/words.js';
import { MAX_HIERARCHY_DEPTH } from '../model/tables.js';

/**
 * The check that keeps account hierarchies walkable: after an accounts import is staged and
 * before anything is written, the parent links the table would hold (the staged rows, and the
 * stored rows the file does not replace) must form no cycle and no chain of parents longer than
 * MAX_HIERARCHY_DEPTH. Roll-ups walk ancestors with that many self-joins (ClickHouse 18.16 has no
 * recursive CTE), so a longer chain would be summed short without a word.
 *
 * Both engines run this same SQL on their own tables (DuckDB in its import; ClickHouse on its
 * staging table after the scratch DuckDB validated the file, since only the cluster holds the
 * stored accounts), so a file is refused with the same error on either.
 */

interface Queryable {
  readonly dialect: Dialect;
  query<Row extends Record<string, unknown>>(sql: Sql): Promise<Row[]>;
}

/** Chains described in an error at most; the check itself covers every account. */
const MAX_REPORTED = 20;

/**
 * Throws a StrataError naming the accounts of every cycle (or, failing that, of a chain deeper
 * than MAX_HIERARCHY_DEPTH) that `links` would make. `links` is a relation of
 * (account_id, parent), parent '' when the account has none, one row per account.
 */
export async function refuseBrokenHierarchy(store: Queryable, links: Sql, file: string): Promise<void> {
  const sql = store.dialect.sql;
  // One level past the limit shows a chain that is too long (or a cycle longer than the limit).
  const levels = MAX_HIERARCHY_DEPTH + 1;
  const tip = (k: number) => `p${k}`;
  const tips = Array.from({ length: levels }, (_, i) => sql.id(tip(i + 1)));
  const onCycle = sql.join(
    tips.slice(0, MAX_HIERARCHY_DEPTH).map((p) => sql`start = ${p}`),
    sql` OR `,
  );
  const rows = await store.query<Record<string, string>>(
    sql`SELECT start, ${sql.join(tips)}, ${onCycle} AS cycle FROM (${walkUp(store.dialect, links, levels, 'with a parent')}) AS walked
      WHERE ${onCycle} OR ${tips[MAX_HIERARCHY_DEPTH] ?? sql.empty} <> '' ORDER BY cycle DESC, start LIMIT 1000`,
  );
  if (rows.length === 0) return;
  const chain = (row: Record<string, string>) => {
    const path = [row.start ?? ''];
    for (let k = 1; k <= levels && row[tip(k)]; k++) {
      path.push(row[tip(k)] ?? '');
      if (row[tip(k)] === row.start) break;
    }
    return path;
  };
  const cycles = rows.filter((row) => Number(row.cycle) === 1 || String(row.cycle) === 'true');
  if (cycles.length > 0) {
    // A cycle of n accounts is found from each of them; rows come by start, so the first
    // found starts at its smallest account id.
    const seen = new Map<string, string[]>();
    for (const row of cycles) {
      const path = chain(row);
      const key = [...path.slice(1)].sort().join('\u0000');
      if (!seen.has(key)) seen.set(key, path);
    }
    const paths = [...seen.values()];
    const shown = paths.slice(0, MAX_REPORTED).map((path) => path.join(' -> '));
    throw new StrataError(
      'hierarchy_cycle',
      `${file}: parent_account_id would make ${paths.length === 1 ? 'a cycle' : plural(paths.length, 'cycle')}: ${listWords(shown)}${paths.length > MAX_REPORTED ? ' (and more)' : ''}; an account cannot be its own ancestor, and nothing from this file was imported`,
      { file },
      { cycles: paths },
    );
  }
  const deep = rows.slice(0, MAX_REPORTED).map((row) => chain(row));
  throw new StrataError(
    'hierarchy_too_deep',
    `${file}: parent_account_id would make a chain of more than ${MAX_HIERARCHY_DEPTH} parents above ${listWords(deep.map((path) => path[0] ?? ''))}${rows.length > MAX_REPORTED ? ' (and more)' : ''}; nothing from this file was imported`,
    { file },
    { chains: deep },
  );
}
