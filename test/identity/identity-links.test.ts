import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StrataError } from '../../src/errors.js';
import { mergeAccounts, undoMerge } from '../../src/identity/account-merges.js';
import { exclusionOf } from '../../src/identity/excluded-domains.js';
import { identitySchema } from '../../src/identity/identity-config.js';
import { identityRelations } from '../../src/identity/identity-links.js';
import { identityReport } from '../../src/identity/identity-report.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  checkMergeAndUndo,
  EXPECTED_ACTIVITY,
  EXPECTED_ACTIVITY_MERGED,
  EXPECTED_LINKS,
  EXPECTED_MISSES,
  EXPECTED_REPORT,
  IDENTITY_CONFIG,
  importActivityFixture,
  importIdentityFixture,
  readActivity,
  readLinks,
} from './identity-fixture.js';

const dir = tempDir();
let store: DuckDBStore;

beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'strata.duckdb'));
  await importIdentityFixture(store);
});
afterAll(() => store.close());

describe('identity: users linked to accounts by rules (DuckDB)', () => {
  it('links each user to every account a rule finds, the first rule naming a pair both find', async () => {
    const { links, misses } = await identityRelations(store, IDENTITY_CONFIG);
    expect(await readLinks(store, links)).toEqual(EXPECTED_LINKS);
    const { sql } = store.dialect;
    expect(await store.query(sql`SELECT user_id, reason FROM ${misses} m ORDER BY user_id`)).toEqual(
      EXPECTED_MISSES,
    );
  });

  it('with the domain rule alone: only domain links, and the users it misses are in no account', async () => {
    // u01 acme, u02 acme, u07 initech and initrode, u10 globex: 5 links of 4 users.
    const config = { ...IDENTITY_CONFIG, rules: ['domain' as const] };
    const { links } = await identityRelations(store, config);
    expect(await readLinks(store, links)).toEqual(
      [
        ['u01', 'acme'],
        ['u02', 'acme'],
        ['u07', 'initech'],
        ['u07', 'initrode'],
        ['u10', 'globex'],
      ].map(([user_id, account_id]) => ({ user_id, account_id, rule: 'domain' })),
    );
    const report = await identityReport(store, config);
    expect(report.byRule).toEqual([{ rule: 'domain', matched: 4, users: 4, links: 5 }]);
    expect(report.linkedUsers).toBe(4);
    expect(report.domainMisses.map((m) => [m.reason, m.count, m.unlinked])).toEqual([
      ['free_mail', 1, 1],
      ['disposable', 1, 1],
      ['excluded', 2, 2],
      ['unknown_domain', 1, 1],
      ['no_email', 1, 1],
    ]);
    expect(report.usersInSeveralAccounts).toEqual({ count: 1, examples: [{ userId: 'u07', accounts: 2 }] });
  });

  it('without agency.com excluded, eve and fay (a subdomain) are no longer excluded', async () => {
    const config = { ...IDENTITY_CONFIG, excludeDomains: [] };
    const { links, misses } = await identityRelations(store, config);
    const { sql } = store.dialect;
    // eve@agency.com matches partner (already her explicit account); eu.agency.com matches no account.
    expect(await readLinks(store, links)).toEqual(EXPECTED_LINKS);
    expect(
      await store.query(
        sql`SELECT user_id, reason FROM ${misses} m WHERE user_id IN ('u05', 'u06') ORDER BY user_id`,
      ),
    ).toEqual([{ user_id: 'u06', reason: 'unknown_domain' }]);
  });

  it('reports the counts and first examples of each case', async () => {
    expect(await identityReport(store, IDENTITY_CONFIG)).toEqual(EXPECTED_REPORT);
  });

  it('classifies domains from the packages’ lists, subdomains included, the workspace’s list first', () => {
    const own = new Set(['acme.com']);
    expect(exclusionOf('gmail.com', own)).toBe('free_mail');
    expect(exclusionOf('mail.gmail.com', own)).toBe('free_mail');
    expect(exclusionOf('mailinator.com', own)).toBe('disposable');
    expect(exclusionOf('eu.acme.com', own)).toBe('excluded');
    expect(exclusionOf('acme.io', own)).toBeNull();
    // The last label alone is never a parent: "com" on a list would not exclude every .com.
    expect(exclusionOf('com', new Set(['com']))).toBeNull();
  });

  it('reads identity: with defaults, and refuses unknown rules, repeated rules and bad domains', () => {
    expect(identitySchema.parse({})).toEqual({
      rules: ['explicit', 'domain'],
      excludeDomains: [],
      accountIds: [],
    });
    expect(identitySchema.parse({ excludeDomains: [' Partner.COM '] }).excludeDomains).toEqual([
      'partner.com',
    ]);
    for (const bad of [
      { rules: ['email'] },
      { rules: ['domain', 'domain'] },
      { excludeDomains: ['@x.com'] },
      { accountIds: ['traits.stripe id'] },
    ])
      expect(identitySchema.safeParse(bad).success).toBe(false);
  });
});

describe('identity: who counts where in metrics (DuckDB)', () => {
  it('counts a user in every linked account, and an event without an account in each of its user’s', async () => {
    const activity = await DuckDBStore.open(join(dir, 'activity.duckdb'));
    try {
      await importActivityFixture(activity);
      expect(await readActivity(activity, dir)).toEqual(EXPECTED_ACTIVITY);
      expect(await checkMergeAndUndo(activity, dir)).toEqual({
        merged: EXPECTED_ACTIVITY_MERGED,
        undone: EXPECTED_ACTIVITY,
      });
      // The stored rows keep the account as given: blank where the file gave none.
      const { sql } = activity.dialect;
      expect(
        await activity.query(sql`SELECT event_id FROM events WHERE account_id = '' ORDER BY event_id`),
      ).toEqual(['e1', 'e2', 'e3', 'e5'].map((event_id) => ({ event_id })));
    } finally {
      await activity.close();
    }
  });

  it('refuses an event with neither an account nor a user, naming its line', async () => {
    const file = join(dir, 'orphan-events.csv');
    writeFileSync(
      file,
      'event_id,account_id,user_id,event,ts\nx1,acme,,login,2024-03-01\nx2,,,login,2024-03-01\n',
    );
    const orphan = await DuckDBStore.open(join(dir, 'orphan.duckdb'));
    try {
      const error = await orphan.importFile({ table: 'events', file }).catch((e: StrataError) => e);
      expect((error as StrataError & { details: { errors: unknown } }).details.errors).toEqual([
        {
          file,
          line: 3,
          column: 'account_id',
          reason: 'no account_id and no user_id: nothing links the row to an account',
        },
      ]);
      expect(await orphan.query(orphan.dialect.sql`SELECT count(*) AS n FROM events`)).toEqual([{ n: 0 }]);
    } finally {
      await orphan.close();
    }
  });
});

describe('identity: merges are bounded', () => {
  it('refuses a merge beyond the 200 that may hold at once, and accepts one again after an undo', async () => {
    const file = join(dir, 'many-accounts.csv');
    const ids = Array.from({ length: 202 }, (_, i) => `a${String(i).padStart(3, '0')}`);
    writeFileSync(file, `account_id,created_at\n${ids.map((id) => `${id},2024-01-01`).join('\n')}\n`);
    const many = await DuckDBStore.open(join(dir, 'many.duckdb'));
    try {
      await many.importFile({ table: 'accounts', file });
      const now = new Date('2026-12-07T00:00:00Z');
      const merge = (merged: string) =>
        mergeAccounts(many, { survivor: 'a000', merged, by: 't', reason: 'r', now });
      for (const id of ids.slice(1, 201)) await merge(id);
      await expect(merge('a201')).rejects.toThrow(/200 merges hold already, the most Strata applies \(200\)/);
      await undoMerge(many, { merged: 'a200', by: 't', reason: 'r', now });
      expect((await merge('a201')).mergedId).toBe('a201');
    } finally {
      await many.close();
    }
  });
});
