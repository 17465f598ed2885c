import { StrataError } from '../errors.js';
import { TABLES } from '../model/tables.js';
import type { Store } from '../store/store.js';
import { listMerges, survivorsOf } from './account-merges.js';

/** A merge a rule finds: `merged` into the oldest account holding the same `value`. */
export interface PlannedMerge {
  readonly survivor: string;
  readonly merged: string;
  readonly value: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The merge rule "same FIELD": accounts (not merged away) whose `field` (a column of accounts,
 * or a trait: `domain`, `hubspot_company_id`) holds the same value, lower case and trimmed,
 * are one company imported twice (a CRM duplicate, a rename that kept the domain, a billing
 * account and a CRM company with the same CRM id). Each group is merged into its oldest
 * account (signup, then id). Aliases in the `domains` trait are not compared: two companies
 * may share an alias legitimately.
 */
export async function sameValueMerges(store: Store, field: string): Promise<PlannedMerge[]> {
  if (!NAME.test(field) || field === 'account_id')
    throw new StrataError(
      'invalid_argument',
      `--same ${field}: expected a column or trait of accounts, such as domain`,
    );
  const { sql, fn } = store.dialect;
  const isColumn = TABLES.accounts.columns.some((c) => c.name === field);
  const raw = isColumn ? fn.castText(sql.id(field)) : fn.jsonText(sql`traits`, field);
  const away = survivorsOf(await listMerges(store));
  const rows = await store.query<{ account_id: string; value: string }>(
    sql`SELECT account_id, value FROM (SELECT account_id, created_at, lower(trim(ifNull(${raw}, ''))) AS value FROM accounts) v
      WHERE value <> '' AND value IN (SELECT value FROM (SELECT lower(trim(ifNull(${raw}, ''))) AS value, count(*) AS n
        FROM accounts GROUP BY lower(trim(ifNull(${raw}, '')))) g WHERE n > 1)
      ORDER BY value, created_at, account_id`,
  );
  const planned: PlannedMerge[] = [];
  const survivorOf = new Map<string, string>();
  for (const { account_id, value } of rows) {
    if (away.has(account_id)) continue;
    const survivor = survivorOf.get(value);
    if (survivor === undefined) survivorOf.set(value, account_id);
    else planned.push({ survivor, merged: account_id, value });
  }
  return planned;
}
