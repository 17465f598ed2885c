import type { Sql } from '../dialect/sql.js';
import type { Store } from '../store/store.js';
import type { IdentityConfig, IdentityRule } from './identity-config.js';
import { identityRelations, type MissReason } from './identity-links.js';

/** How many examples each part of the report lists. */
export const REPORT_EXAMPLES = 3;

/** A count and its first examples (in id order, or by size then id). */
export interface Sampled<Example> {
  readonly count: number;
  readonly examples: readonly Example[];
}

/** What `strata identity report` shows; every count is aggregated in the database. */
export interface IdentityReport {
  readonly rules: readonly IdentityRule[];
  readonly users: number;
  /** Users with at least one link. */
  readonly linkedUsers: number;
  /**
   * Per rule: `matched`, the users it finds on its own (whatever the order; a user found by two
   * rules counts in both), and `users` / `links`, those it names: a link is named after the
   * first rule of the list that finds it, so a domain that confirms an explicit link names none.
   */
  readonly byRule: readonly {
    readonly rule: IdentityRule;
    readonly matched: number;
    readonly users: number;
    readonly links: number;
  }[];
  /** Users the domain rule linked to no account, by reason, with `unlinked` of them linked by no rule at all. */
  readonly domainMisses: readonly (Sampled<string> & {
    readonly reason: MissReason;
    readonly unlinked: number;
  })[];
  readonly accountsWithSeveralDomains: Sampled<{ readonly accountId: string; readonly domains: number }>;
  readonly usersInSeveralAccounts: Sampled<{ readonly userId: string; readonly accounts: number }>;
}

const REASONS: readonly MissReason[] = ['free_mail', 'disposable', 'excluded', 'unknown_domain', 'no_email'];

/** The identity report of `config` over the store's users and accounts. */
export async function identityReport(store: Store, config: IdentityConfig): Promise<IdentityReport> {
  const { sql } = store.dialect;
  const { links, matches, misses, accountDomains } = await identityRelations(store, config);
  const one = async (query: Sql) => Number((await store.query<{ n: number }>(query))[0]?.n ?? 0);

  const users = await one(sql`SELECT count(*) AS n FROM users`);
  const linkedUsers = await one(sql`SELECT count(DISTINCT user_id) AS n FROM ${links} k`);
  const ruleRows = await store.query<{ rule: string; users: number; links: number }>(
    sql`SELECT rule, count(DISTINCT user_id) AS users, count(*) AS links FROM ${links} k GROUP BY rule`,
  );
  const matchRows = await store.query<{ rule: string; users: number }>(
    sql`SELECT rule, count(DISTINCT user_id) AS users FROM ${matches} m GROUP BY rule`,
  );
  const byRule = config.rules.map((rule) => {
    const row = ruleRows.find((r) => r.rule === rule);
    const matched = Number(matchRows.find((r) => r.rule === rule)?.users ?? 0);
    return { rule, matched, users: Number(row?.users ?? 0), links: Number(row?.links ?? 0) };
  });

  const missRows = await store.query<{ reason: string; users: number; unlinked: number }>(
    sql`SELECT reason, count(*) AS users,
          sum(CASE WHEN user_id IN (SELECT user_id FROM ${links} k) THEN 0 ELSE 1 END) AS unlinked
        FROM ${misses} m GROUP BY reason`,
  );
  const domainMisses = [];
  for (const reason of REASONS) {
    const row = missRows.find((r) => r.reason === reason);
    if (row === undefined) continue;
    const examples = await store.query<{ user_id: string }>(
      sql`SELECT user_id FROM ${misses} m WHERE reason = ${reason} ORDER BY user_id LIMIT ${REPORT_EXAMPLES}`,
    );
    domainMisses.push({
      reason,
      count: Number(row.users),
      unlinked: Number(row.unlinked),
      examples: examples.map((e) => e.user_id),
    });
  }

  const several = sql`(SELECT account_id, count(*) AS domains FROM ${accountDomains} ad
      GROUP BY account_id HAVING count(*) > 1)`;
  const accountExamples = await store.query<{ account_id: string; domains: number }>(
    sql`SELECT account_id, domains FROM ${several} s ORDER BY domains DESC, account_id LIMIT ${REPORT_EXAMPLES}`,
  );
  const shared = sql`(SELECT user_id, count(*) AS accounts FROM ${links} k GROUP BY user_id HAVING count(*) > 1)`;
  const userExamples = await store.query<{ user_id: string; accounts: number }>(
    sql`SELECT user_id, accounts FROM ${shared} s ORDER BY accounts DESC, user_id LIMIT ${REPORT_EXAMPLES}`,
  );
  return {
    rules: config.rules,
    users,
    linkedUsers,
    byRule,
    domainMisses,
    accountsWithSeveralDomains: {
      count: await one(sql`SELECT count(*) AS n FROM ${several} s`),
      examples: accountExamples.map((r) => ({ accountId: r.account_id, domains: Number(r.domains) })),
    },
    usersInSeveralAccounts: {
      count: await one(sql`SELECT count(*) AS n FROM ${shared} s`),
      examples: userExamples.map((r) => ({ userId: r.user_id, accounts: Number(r.accounts) })),
    },
  };
}
