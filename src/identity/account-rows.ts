import type { AccountRows } from '../compile/scan-registry.js';
import type { Dialect } from '../dialect/dialect.js';
import type { Sql } from '../dialect/sql.js';
import { TABLES } from '../model/tables.js';
import type { Store } from '../store/store.js';
import { listMerges, survivorsOf } from './account-merges.js';
import type { IdentityConfig } from './identity-config.js';
import { identityRelations, keyList } from './identity-links.js';

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

/** The tables as they are, each row in its own `account_id`: when no rule or merge can change that. */
export function storedRows(dialect: Dialect): AccountRows {
  const { sql } = dialect;
  return {
    accounts: sql.id('accounts'),
    users: sql.id('users'),
    events: sql.id('events'),
    tickets: sql.id('tickets'),
    surveys: sql.id('surveys'),
    trait_history: sql.id('trait_history'),
    subscriptions: sql.id('subscriptions'),
    acrossShards: false,
  };
}

/**
 * The rows of the store's accounts under `config`'s rules and the merges that hold. With
 * `scope.accounts`, the relations are right for those accounts only (a trigger evaluating the
 * accounts a batch touched): domains other accounts hold are not looked at.
 */
export async function accountRows(
  store: Store,
  config: IdentityConfig,
  scope: {
    readonly accounts?: readonly string[];
    /**
     * The same accounts as a fragment from the store's `withKeys`, written in the SQL instead
     * of their literals (the caller keeps it alive while it reads the relations).
     */
    readonly keys?: Sql;
    /**
     * False when the caller reads no users: their links are then worked out only when events
     * need them (rows without an account), and the users relation is the table as stored.
     */
    readonly users?: boolean;
  } = {},
): Promise<AccountRows> {
  const survivors = survivorsOf(await listMerges(store));
  const linked = await linkedRows(store, config, survivors, scope.accounts, scope.keys, scope.users ?? true);
  const named = config.accountIds.length === 0 ? linked : idRows(store, linked, config.accountIds);
  if (survivors.size === 0) return named;
  return { ...mergedRows(store.dialect, named, survivors), acrossShards: store.sharded };
}

/**
 * Whether `table` has a row without an account. Once seen, remembered for the store (such rows
 * are not deleted), so live ingestion, which asks on every batch, stops scanning for them.
 */
const blankSeen = new WeakMap<Store, Set<string>>();
async function hasBlankAccounts(store: Store, table: 'users' | 'events'): Promise<boolean> {
  const seen = blankSeen.get(store) ?? new Set<string>();
  blankSeen.set(store, seen);
  if (seen.has(table)) return true;
  const { sql } = store.dialect;
  const found =
    (await store.query(sql`SELECT 1 AS one FROM ${sql.id(table)} WHERE account_id = '' LIMIT 1`)).length > 0;
  if (found) seen.add(table);
  return found;
}

/**
 * Every table with rows that name an account by its id in another system (a Stripe customer
 * id in `accounts.traits.stripe_customer_id`) under that account: one LEFT JOIN per table on
 * the ids the accounts hold. An id two accounts hold counts for both (no silent first-wins).
 */
function idRows(store: Store, rows: AccountRows, accountIds: readonly string[]): AccountRows {
  const { sql, fn } = store.dialect;
  const accountColumns = new Set(TABLES.accounts.columns.map((c) => c.name));
  const held = accountIds.map(
    (name) =>
      sql`SELECT account_id AS owner, ${accountColumns.has(name) ? fn.castText(sql.id(name)) : fn.jsonText(sql`traits`, name)} AS named FROM accounts`,
  );
  const ids = sql`(SELECT DISTINCT named, owner FROM (${sql.join(held, sql` UNION ALL `)}) h
    WHERE ifNull(named, '') <> '' AND named <> owner)`;
  const renamed = (table: Exclude<keyof AccountRows, 'acrossShards' | 'accounts'>) => {
    const names = TABLES[table].columns.map((c) => c.name);
    const columns = names.map((name) =>
      name === 'account_id' ? sql`coalesce(id_owner, row_account) AS account_id` : sql.id(name),
    );
    const rest = names.filter((name) => name !== 'account_id').map((name) => sql.id(name));
    return sql`(SELECT ${sql.join(columns)} FROM (SELECT account_id AS row_account, ${sql.join(rest)} FROM ${rows[table]} r) x
      LEFT JOIN (SELECT named AS row_account, owner AS id_owner FROM ${ids} i) o USING (row_account))`;
  };
  return {
    accounts: rows.accounts,
    users: renamed('users'),
    events: renamed('events'),
    tickets: renamed('tickets'),
    surveys: renamed('surveys'),
    trait_history: renamed('trait_history'),
    subscriptions: renamed('subscriptions'),
    acrossShards: store.sharded,
  };
}

/** `column` with each merged account replaced by its survivor: one CASE over literals. */
function survivorOf(dialect: Dialect, survivors: ReadonlyMap<string, string>, column: string): Sql {
  const { sql } = dialect;
  if (survivors.size === 0) return sql.id(column);
  return sql`CASE ${sql.id(column)} ${sql.join(
    [...survivors].map(([merged, survivor]) => sql`WHEN ${merged} THEN ${survivor}`),
    sql` `,
  )} ELSE ${sql.id(column)} END`;
}

/**
 * Users and events as the identity rules link them; the other tables as stored. A user linked
 * to a merged account and to its survivor counts once for the survivor (links are merged
 * before the join), so merging never counts a seat or an event twice.
 */
async function linkedRows(
  store: Store,
  config: IdentityConfig,
  survivors: ReadonlyMap<string, string>,
  accounts: readonly string[] | undefined,
  keys: Sql | undefined,
  withUsers: boolean,
): Promise<AccountRows> {
  const { sql } = store.dialect;
  const stored = storedRows(store.dialect);
  const blank = (table: 'users' | 'events') => hasBlankAccounts(store, table);
  const byDomain = config.rules.includes('domain');
  const blankEvents = await blank('events');
  // No users read and every event naming its account: the links change nothing read.
  if (!withUsers && !blankEvents) return stored;
  // Only the explicit rule and no blank user: every user is in its own account only.
  if (!byDomain && config.rules.includes('explicit') && !(await blank('users')) && !blankEvents)
    return stored;

  // In scope: the accounts asked for and those merged into them (their domains count too).
  const mergedIn = accounts ? [...survivors].filter(([, s]) => accounts.includes(s)).map(([m]) => m) : [];
  const scoped = accounts && (keys && mergedIn.length === 0 ? keys : [...accounts, ...mergedIn]);
  const { links, accountDomains, emailDomain, isExcluded, matchableDomains } = await identityRelations(
    store,
    config,
    {
      linksOnly: true,
      ...(scoped ? { accounts: scoped } : {}),
    },
  );
  const inScope = (column: string) =>
    accounts ? sql` AND ${sql.id(column)} IN ${keyList(store, keys ?? accounts)}` : sql.empty;
  const merged = (column: string) => survivorOf(store.dialect, survivors, column);
  // Links and account domains are unique pairs already: only a merge can make two the same.
  const distinct = survivors.size > 0 ? sql`DISTINCT ` : sql.empty;
  // The table's columns but its account, joined to the links of its user (one row per link).
  const linked = (table: 'users' | 'events', where: Sql) => {
    const names = TABLES[table].columns.map((c) => c.name);
    const inner = sql.join(names.filter((name) => name !== 'account_id').map((name) => sql.id(name)));
    // In the table's column order, for UNION ALL with the stored rows.
    const outer = sql.join(
      names.map((name) => (name === 'account_id' ? sql`linked_account AS account_id` : sql.id(name))),
    );
    return sql`SELECT ${outer} FROM (SELECT ${inner} FROM ${sql.id(table)} WHERE ${where}) t
      INNER JOIN (SELECT ${distinct}user_id, ${merged('account_id')} AS linked_account FROM ${links} l) k USING (user_id)`;
  };
  const userColumns = sql.join(TABLES.users.columns.map((c) => sql.id(c.name)));
  const eventColumns = sql.join(TABLES.events.columns.map((c) => sql.id(c.name)));
  // With both rules, a user is in its own account, plus each other account its domain finds,
  // found by one join of the users with the accounts' domains.
  const others = sql.join(
    TABLES.users.columns.map((c) =>
      c.name === 'account_id' ? sql`domain_account AS account_id` : sql.id(c.name),
    ),
  );
  const blankUsers = await blank('users');
  const users =
    byDomain && config.rules.includes('explicit') && matchableDomains === 0 && !blankUsers
      ? stored.users // no domain finds a user another account: the explicit links are all
      : byDomain && config.rules.includes('explicit')
        ? sql`(SELECT ${userColumns} FROM users WHERE account_id <> ''
          UNION ALL SELECT ${others} FROM (SELECT ${userColumns}, ${merged('account_id')} AS own_account, ${emailDomain} AS domain FROM users) u
            INNER JOIN (SELECT ${distinct}${merged('account_id')} AS domain_account, domain FROM ${accountDomains} ad) j USING (domain)
          WHERE domain_account <> own_account AND NOT ${isExcluded(sql`domain`)}${inScope('domain_account')})`
        : sql`(${linked('users', sql`1 = 1`)})`;
  const events = blankEvents
    ? sql`(SELECT ${eventColumns} FROM events WHERE account_id <> '' UNION ALL ${linked('events', sql`account_id = ''`)})`
    : stored.events;
  // Rows move between shards only when a link puts a row under another account.
  const moved = users !== stored.users || events !== stored.events;
  return { ...stored, acrossShards: store.sharded && moved, users, events };
}

/**
 * Every table with its merged accounts' rows under their survivor, and the accounts without
 * the merged ones (a child whose parent was merged hangs under the survivor). Merges are few
 * (a person types each, or a rule finds a handful): the map is one CASE over literals.
 */
function mergedRows(dialect: Dialect, rows: AccountRows, survivors: ReadonlyMap<string, string>) {
  const { sql } = dialect;
  const remapped = (table: Exclude<keyof AccountRows, 'acrossShards'>, from: Sql, where = sql.empty) => {
    const columns = TABLES[table].columns.map((c) =>
      c.name === 'account_id' || c.name === 'parent_account_id'
        ? sql`${survivorOf(dialect, survivors, c.name)} AS ${sql.id(c.name)}`
        : sql.id(c.name),
    );
    // Filtered inside: ClickHouse would read account_id in an outer WHERE as the CASE alias.
    return sql`(SELECT ${sql.join(columns)} FROM (SELECT * FROM ${from} kept${where}) merged_rows)`;
  };
  const gone = sql.join([...survivors.keys()].map((id) => sql.value(id)));
  return {
    accounts: remapped('accounts', rows.accounts, sql` WHERE account_id NOT IN (${gone})`),
    users: remapped('users', rows.users),
    events: remapped('events', rows.events),
    tickets: remapped('tickets', rows.tickets),
    surveys: remapped('surveys', rows.surveys),
    trait_history: remapped('trait_history', rows.trait_history),
    subscriptions: remapped('subscriptions', rows.subscriptions),
  };
}
