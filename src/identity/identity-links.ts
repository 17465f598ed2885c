import { Sql } from '../dialect/sql.js';
import { withKeyChunks } from '../store/key-chunks.js';
import type { Store } from '../store/store.js';
import { cachedExclusionOf, type ExclusionReason } from './excluded-domains.js';
import type { IdentityConfig } from './identity-config.js';

/** Why the domain rule linked a user to no account. */
export type MissReason = ExclusionReason | 'unknown_domain' | 'no_email';

/**
 * The identity of a workspace as subqueries over its tables, computed when read, so they hold
 * after every import and every applied batch without a table to refresh:
 * - `links` (user_id, account_id, rule): every account a rule finds for a user, once per pair,
 *   named after the first rule of the list that finds it;
 * - `matches` (user_id, account_id, rule): what each rule finds on its own, whatever the order;
 * - `misses` (user_id, reason): the users the domain rule linked to no account, and why
 *   (none when the rules leave out `domain`);
 * - `accountDomains` (account_id, domain): each account's domain and aliases, lower case;
 * - `domainLinks` (user_id, account_id): the domain rule's links alone, once per pair;
 * - `emailDomain`: the domain of a row's `email` column ('' without one), and `isExcluded`,
 *   whether a domain is one the domain rule never matches (or '');
 * - `matchableDomains`: how many of the domains read were not excluded (with `linksOnly`:
 *   domains that link a user to an account other than its own; none, and the domain rule
 *   adds no link to the explicit ones).
 */
export interface IdentityRelations {
  readonly links: Sql;
  readonly domainLinks: Sql;
  readonly emailDomain: Sql;
  isExcluded(domain: Sql): Sql;
  readonly matchableDomains: number;
  readonly matches: Sql;
  readonly misses: Sql;
  readonly accountDomains: Sql;
}

/**
 * The identity relations of `config` over the store's users and accounts. The exclusion lists
 * hold about 135,000 domains, too many for every query (ClickHouse parses at most 256 KiB of
 * one), so the distinct email domains of the users are read first (one aggregated query) and
 * only those excluded, with their reason, reach the SQL as literal lists.
 */
export async function identityRelations(
  store: Store,
  config: IdentityConfig,
  /**
   * Only the links are needed (metrics, live ingestion), not the report's reasons: with the
   * explicit rule, only domains that find an account other than the user's own are
   * classified, as a domain link to the user's own account changes nothing. Every user has
   * its company's domain in most stores, so this is a handful of domains, not one per account.
   */
  options: {
    readonly linksOnly?: boolean;
    /**
     * Only these users' domains are classified: the relations hold for them alone (ids, or
     * a fragment from the store's `withKeys`).
     */
    readonly users?: readonly string[] | Sql;
    /** Only domains of these accounts are classified: the relations hold for them alone (likewise). */
    readonly accounts?: readonly string[] | Sql;
  } = {},
): Promise<IdentityRelations> {
  const { sql, fn } = store.dialect;
  // '' when there is no email or it has no '@': such a user has no domain to match.
  const userDomain = sql`CASE WHEN ifNull(email, '') LIKE '%@%' THEN lower(${fn.afterFirst(sql`email`, sql`'@'`)}) ELSE '' END`;
  const among = (column: string, ids: readonly string[] | Sql | undefined) =>
    ids === undefined ? sql.empty : sql` AND ${sql.id(column)} IN ${keyList(store, ids)}`;
  // Scoped to the users asked for, so a batch's few users do not link every user of the store
  // (400 ms at 1.65M users for each group-call pass of strata serve).
  const scope = among('user_id', options.users);
  const users = sql`(SELECT user_id, account_id AS user_account, ${userDomain} AS domain FROM users WHERE 1 = 1${scope})`;

  const excluded = new Map<ExclusionReason, string[]>([
    ['excluded', []],
    ['disposable', []],
    ['free_mail', []],
  ]);
  const own = new Set(config.excludeDomains);
  const accountDomains = accountDomainsOf(store, options.accounts);
  const candidates =
    options.linksOnly && config.rules.includes('explicit')
      ? sql`SELECT DISTINCT domain FROM ${users} u INNER JOIN (SELECT account_id AS domain_account, domain FROM ${accountDomains} ad) a
          USING (domain) WHERE domain <> '' AND domain_account <> ifNull(user_account, '')${among('user_id', options.users)}${among('domain_account', options.accounts)}`
      : sql`SELECT DISTINCT domain FROM ${users} u WHERE domain <> ''${among('user_id', options.users)}`;
  const domains = await store.query<{ domain: string }>(candidates);
  let matchableDomains = 0;
  for (const { domain } of domains) {
    const reason = cachedExclusionOf(domain, own);
    if (reason !== null) excluded.get(reason)?.push(domain);
    else matchableDomains++;
  }
  const inList = (reason: ExclusionReason, domain = sql`domain`) => {
    const list = excluded.get(reason) ?? [];
    return list.length === 0 ? sql`0 = 1` : sql`${domain} IN (${sql.join(list.sort().map(sql.value))})`;
  };
  const reasonOf = sql`CASE WHEN domain = '' THEN 'no_email' WHEN ${inList('excluded')} THEN 'excluded'
    WHEN ${inList('disposable')} THEN 'disposable' WHEN ${inList('free_mail')} THEN 'free_mail' ELSE '' END`;

  const matchable = sql`(SELECT user_id, domain FROM (SELECT user_id, domain, ${reasonOf} AS reason FROM ${users} u) r WHERE reason = '')`;
  const domainLinks = sql`(SELECT user_id, domain_account AS account_id FROM ${matchable} m
      INNER JOIN (SELECT account_id AS domain_account, domain FROM ${accountDomains} ad) j USING (domain))`;

  const found: Sql[] = config.rules.map((rule, rank) =>
    rule === 'explicit'
      ? sql`SELECT user_id, account_id, ${rank} AS rank, ${rule} AS rule FROM users WHERE ifNull(account_id, '') <> ''${scope}`
      : sql`SELECT user_id, account_id, ${rank} AS rank, ${rule} AS rule FROM ${domainLinks} dl`,
  );
  const matches = sql`(SELECT user_id, account_id, rule FROM (${sql.join(found, sql` UNION ALL `)}) m)`;
  // One link per (user, account), named after the first rule of the list that found it.
  const ruleOf = sql`CASE ${sql.join(
    config.rules.map((rule, rank) => sql`WHEN rank = ${rank} THEN ${rule}`),
    sql` `,
  )} END`;
  const links = sql`(SELECT user_id, account_id, ${ruleOf} AS rule FROM (
      SELECT user_id, account_id, min(rank) AS rank FROM (${sql.join(found, sql` UNION ALL `)}) f
      GROUP BY user_id, account_id) l)`;

  const misses = config.rules.includes('domain')
    ? sql`(SELECT user_id, CASE WHEN reason = '' THEN 'unknown_domain' ELSE reason END AS reason
        FROM (SELECT user_id, ${reasonOf} AS reason FROM ${users} u
              WHERE user_id NOT IN (SELECT user_id FROM ${domainLinks} dl)) r)`
    : sql`(SELECT user_id, '' AS reason FROM users WHERE 0 = 1)`;
  const isExcluded = (domain: Sql) =>
    sql`(${domain} = '' OR ${sql.join(
      (['excluded', 'disposable', 'free_mail'] as const).map((reason) => inList(reason, domain)),
      sql` OR `,
    )})`;
  return {
    links,
    matches,
    misses,
    accountDomains,
    domainLinks,
    emailDomain: userDomain,
    isExcluded,
    matchableDomains,
  };
}

/** The accounts each of `users` is linked to under `config` (read in chunks of the store's `keysPerQuery`). */
export async function linkedAccounts(
  store: Store,
  config: IdentityConfig,
  users: readonly string[],
): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  if (users.length === 0) return found;
  const { sql } = store.dialect;
  await withKeyChunks(store, users, async (_, keys) => {
    // The relations of this chunk's users alone: their links are all that is read.
    const { links } = await identityRelations(store, config, { linksOnly: true, users: keys });
    const rows = await store.query<{ user_id: string; account_id: string }>(
      sql`SELECT user_id, account_id FROM ${links} l WHERE user_id IN ${keys}`,
    );
    for (const { user_id, account_id } of rows)
      found.set(user_id, [...(found.get(user_id) ?? []), account_id]);
  });
  return found;
}

/**
 * Each account's domain and aliases, lower case: the `domain` column and the comma-separated
 * `domains` trait. ifNull: the same text type on both sides of UNION ALL, which ClickHouse
 * 18.16 requires.
 */
function accountDomainsOf(store: Store, among?: readonly string[] | Sql): Sql {
  const { sql, fn } = store.dialect;
  // Only some accounts' domains: read from those accounts' rows alone.
  const accounts = among
    ? sql`(SELECT * FROM accounts WHERE account_id IN ${keyList(store, among)}) scoped`
    : sql`accounts`;
  return sql`(SELECT DISTINCT account_id, domain FROM (
      SELECT account_id, ifNull(lower(domain), '') AS domain FROM ${accounts}
      UNION ALL
      SELECT account_id, lower(item) AS domain
        FROM (SELECT account_id, ${fn.explodeList(fn.jsonText(sql`traits`, 'domains'))} AS item FROM ${accounts}) a
    ) d WHERE domain <> '')`;
}

/** `ids` after IN: a fragment from `withKeys` as it is, a list as literals (`(NULL)` when empty: matches nothing). */
export function keyList(store: Store, ids: readonly string[] | Sql): Sql {
  const { sql } = store.dialect;
  if (ids instanceof Sql) return ids;
  return ids.length === 0 ? sql`(NULL)` : sql`(${sql.join(ids.map((id) => sql.value(id)))})`;
}
