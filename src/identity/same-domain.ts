import type { Store } from '../store/store.js';
import { listMerges, survivorsOf } from './account-merges.js';

/** A merge the same-domain rule finds: `merged` into the oldest account with its domain. */
export interface PlannedMerge {
  readonly survivor: string;
  readonly merged: string;
  readonly domain: string;
}

/**
 * The merge rule "same domain": accounts (not merged away) whose `domain` column is the
 * same, lower case, are one company imported twice (a CRM duplicate, a rename that kept the
 * domain). Each group is merged into its oldest account (signup, then id); aliases in the
 * `domains` trait are left alone, as two companies may share an alias legitimately.
 */
export async function sameDomainMerges(store: Store): Promise<PlannedMerge[]> {
  const { sql } = store.dialect;
  const away = survivorsOf(await listMerges(store));
  const rows = await store.query<{ account_id: string; domain: string }>(
    sql`SELECT account_id, lower(domain) AS domain FROM accounts
      WHERE lower(domain) IN (SELECT d FROM (SELECT lower(domain) AS d, count(*) AS n FROM accounts
        WHERE ifNull(domain, '') <> '' GROUP BY lower(domain)) g WHERE n > 1)
      ORDER BY domain, created_at, account_id`,
  );
  const planned: PlannedMerge[] = [];
  const survivorOf = new Map<string, string>();
  for (const { account_id, domain } of rows) {
    if (away.has(account_id)) continue;
    const survivor = survivorOf.get(domain);
    if (survivor === undefined) survivorOf.set(domain, account_id);
    else planned.push({ survivor, merged: account_id, domain });
  }
  return planned;
}
