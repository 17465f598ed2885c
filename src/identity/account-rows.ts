import type { AccountRows } from '../compile/scan-registry.js';
import type { Dialect } from '../dialect/dialect.js';
import type { Sql } from '../dialect/sql.js';
import { TABLES } from '../model/tables.js';
import type { Store } from '../store/store.js';
import type { IdentityConfig } from './identity-config.js';
import { identityRelations } from './identity-links.js';

/**
 * The users and events of each account as the identity rules link them (the relations
 * src/compile's scans read; `account_id` is the account a row counts for):
 * - A user counts for every account it is linked to (its own `account_id` by the explicit
 *   rule, the accounts of its email domain by the domain rule): once per account.
 * - An event that names its account (a group call's id, the file's `account_id`) counts for
 *   that account only; one with a blank account counts for every account its user is linked
 *   to, as the links are when read (an account created later gets its users' past events).
 * Each is the bare table when the rules cannot change it, so a store without such rows pays
 * nothing for them.
 */
export type { AccountRows };

/** The tables as they are, each row in its own `account_id`: when no rule can change that. */
export function storedRows(dialect: Dialect): AccountRows {
  const { sql } = dialect;
  return { users: sql.id('users'), events: sql.id('events'), acrossShards: false };
}

/** The users and events of the store's accounts under `config`'s rules. */
export async function accountRows(store: Store, config: IdentityConfig): Promise<AccountRows> {
  const { sql } = store.dialect;
  const blank = async (table: 'users' | 'events') =>
    (await store.query(sql`SELECT 1 AS one FROM ${sql.id(table)} WHERE account_id = '' LIMIT 1`)).length > 0;
  const byDomain = config.rules.includes('domain');
  const blankEvents = await blank('events');
  // Only the explicit rule and no blank user: every user is in its own account only.
  if (!byDomain && config.rules.includes('explicit') && !(await blank('users')) && !blankEvents)
    return storedRows(store.dialect);

  const { links } = await identityRelations(store, config);
  // The table's columns but its account, joined to the links of its user (one row per link).
  const linked = (table: 'users' | 'events', where: Sql) => {
    const names = TABLES[table].columns.map((c) => c.name);
    const inner = sql.join(names.filter((name) => name !== 'account_id').map((name) => sql.id(name)));
    // In the table's column order, for UNION ALL with the stored rows.
    const outer = sql.join(
      names.map((name) => (name === 'account_id' ? sql`linked_account AS account_id` : sql.id(name))),
    );
    return sql`SELECT ${outer} FROM (SELECT ${inner} FROM ${sql.id(table)} WHERE ${where}) t
      INNER JOIN (SELECT user_id, account_id AS linked_account FROM ${links} l) k USING (user_id)`;
  };
  const eventColumns = sql.join(TABLES.events.columns.map((c) => sql.id(c.name)));
  return {
    acrossShards: store.sharded,
    users: sql`(${linked('users', sql`1 = 1`)})`,
    events: blankEvents
      ? sql`(SELECT ${eventColumns} FROM events WHERE account_id <> '' UNION ALL ${linked('events', sql`account_id = ''`)})`
      : sql.id('events'),
  };
}
