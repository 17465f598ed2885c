import type { Dialect } from '../dialect/dialect.js';
import { walkUp } from '../dialect/parent-walk.js';
import type { Sql } from '../dialect/sql.js';
import { MAX_HIERARCHY_DEPTH } from '../model/tables.js';

/*
 * An account's place in its hierarchy, for the dashboard's account page: its ancestors up to
 * the top and its direct children. Two queries whatever the depth: the walk up is the same
 * fixed chain of self-joins the import's cycle check and the roll-ups use (ClickHouse 18.16 has
 * no recursive CTE), which sees every ancestor because imports refuse chains deeper than
 * MAX_HIERARCHY_DEPTH; then the names of those ancestors and of the first children.
 */

interface Queryable {
  readonly dialect: Dialect;
  query<Row extends Record<string, unknown>>(sql: Sql): Promise<Row[]>;
}

/** An account as the tree names it. */
export interface TreeAccount {
  readonly account_id: string;
  readonly name: string | null;
}

export interface AccountTree {
  readonly account_id: string;
  /** From the top of the hierarchy down to the account's parent; empty for a top account. */
  readonly ancestors: readonly TreeAccount[];
  /** The first `limit` direct children by name (then id); `childCount` says how many there are. */
  readonly children: readonly TreeAccount[];
  readonly childCount: number;
}

/**
 * The tree around account `id` (its ancestors and at most `limit` of its children, 1-1000), or
 * null when no account has that id.
 */
export async function readAccountTree(store: Queryable, id: string, limit = 50): Promise<AccountTree | null> {
  const { sql } = store.dialect;
  const shown = Math.min(1000, Math.max(1, Math.floor(limit)));
  const links = sql`SELECT account_id, coalesce(parent_account_id, '') AS parent FROM accounts`;
  const tips = Array.from({ length: MAX_HIERARCHY_DEPTH }, (_, i) => `p${i + 1}`);
  // Every account starts a walk: a row comes back exactly when the account exists.
  const [walked] = await store.query<Record<string, string | number | bigint | null>>(
    sql`SELECT ${sql.join(tips.map((tip) => sql.id(tip)))},
        (SELECT count(*) FROM accounts WHERE parent_account_id = ${id}) AS children
      FROM (${walkUp(store.dialect, links, MAX_HIERARCHY_DEPTH, 'every account')}) AS walked
      WHERE start = ${id}`,
  );
  if (!walked) return null;
  const up: string[] = [];
  for (const tip of tips) {
    const parent = walked[tip];
    if (typeof parent !== 'string' || parent === '') break;
    up.push(parent);
  }
  const childCount = Number(walked.children ?? 0);
  if (up.length === 0 && childCount === 0) return { account_id: id, ancestors: [], children: [], childCount };

  const parts: Sql[] = [];
  if (up.length > 0)
    parts.push(
      sql`SELECT account_id, name, 'ancestor' AS role FROM accounts WHERE account_id IN (${sql.join(up.map((a) => sql.value(a)))})`,
    );
  if (childCount > 0)
    // Names first, accounts without one after them (both engines order NULLs last), then ids.
    parts.push(
      sql`SELECT account_id, name, 'child' AS role FROM (SELECT account_id, name FROM accounts
        WHERE parent_account_id = ${id} ORDER BY name, account_id LIMIT ${shown}) AS first_children`,
    );
  const named = await store.query<{ account_id: string; name: string | null; role: string }>(
    sql.join(parts, sql` UNION ALL `),
  );
  const names = new Map(named.filter((r) => r.role === 'ancestor').map((r) => [r.account_id, r.name]));
  const children = named
    .filter((r) => r.role === 'child')
    .map((r) => ({ account_id: r.account_id, name: r.name ?? null }))
    // UNION ALL keeps no order: sorted again as the query chose them.
    .sort((a, b) => compareNames(a, b));
  return {
    account_id: id,
    ancestors: up.reverse().map((a) => ({ account_id: a, name: names.get(a) ?? null })),
    children,
    childCount,
  };
}

/** By name (none last), then id: the order of the children query, in plain code-unit order as SQL compares. */
function compareNames(a: TreeAccount, b: TreeAccount): number {
  if (a.name !== b.name) {
    if (a.name === null) return 1;
    if (b.name === null) return -1;
    return a.name < b.name ? -1 : 1;
  }
  return a.account_id < b.account_id ? -1 : a.account_id > b.account_id ? 1 : 0;
}
