import { join } from 'node:path';
import { expect } from 'vitest';
import {
  compileWorkspace,
  metricColumn,
  scannedTables,
  segmentColumn,
} from '../../src/compile/compile-workspace.js';
import type { Sql } from '../../src/dialect/sql.js';
import { rowsFor } from '../../src/engine/evaluate.js';
import { mergeAccounts, undoMerge } from '../../src/identity/account-merges.js';
import type { IdentityConfig } from '../../src/identity/identity-config.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';

/*
 * test/fixtures/identity: six accounts and ten users, worked by hand.
 * Accounts and their domains: acme acme.com + aliases acme.io, acme-corp.com (the `domains`
 * trait, written ACME-corp.com); globex globex.com; initech and initrode both shared.com;
 * partner agency.com (excluded by the workspace); gmailco gmail.com (a free-mail domain).
 * Users (explicit account, email):
 *   u01 acme     ann@acme.com        domain -> acme (the same account: named explicit)
 *   u02 globex   bob@Acme.IO         domain -> acme through an alias, upper case: two accounts
 *   u03 acme     cat@gmail.com       free_mail, though gmailco has gmail.com
 *   u04 globex   dan@mailinator.com  disposable (also on the free-mail list: disposable first)
 *   u05 partner  eve@agency.com      excluded, though partner has agency.com
 *   u06 partner  fay@eu.agency.com   excluded: a subdomain of an excluded domain
 *   u07 initech  gus@shared.com      domain -> initech (explicit already) and initrode: two accounts
 *   u08 globex   hal@unknown.org     unknown_domain
 *   u09 globex   (no email)          no_email
 *   u10 globex   ivy@globex.com      domain -> globex (explicit already)
 */
export const IDENTITY_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'identity');

export const IDENTITY_CONFIG: IdentityConfig = {
  rules: ['explicit', 'domain'],
  excludeDomains: ['agency.com'],
  accountIds: [],
};

/** Imports the fixture's accounts and users into an empty store. */
export async function importIdentityFixture(store: Store): Promise<void> {
  await store.importFile({ table: 'accounts', file: join(IDENTITY_FIXTURES, 'accounts.csv') });
  await store.importFile({ table: 'users', file: join(IDENTITY_FIXTURES, 'users.csv') });
}

/** Default rules: every explicit account (10 links), plus u02 -> acme and u07 -> initrode by domain. */
export const EXPECTED_LINKS = [
  ['u01', 'acme', 'explicit'],
  ['u02', 'acme', 'domain'],
  ['u02', 'globex', 'explicit'],
  ['u03', 'acme', 'explicit'],
  ['u04', 'globex', 'explicit'],
  ['u05', 'partner', 'explicit'],
  ['u06', 'partner', 'explicit'],
  ['u07', 'initech', 'explicit'],
  ['u07', 'initrode', 'domain'],
  ['u08', 'globex', 'explicit'],
  ['u09', 'globex', 'explicit'],
  ['u10', 'globex', 'explicit'],
].map(([user_id, account_id, rule]) => ({ user_id, account_id, rule }));

export const EXPECTED_MISSES = [
  ['u03', 'free_mail'],
  ['u04', 'disposable'],
  ['u05', 'excluded'],
  ['u06', 'excluded'],
  ['u08', 'unknown_domain'],
  ['u09', 'no_email'],
].map(([user_id, reason]) => ({ user_id, reason }));

/** The report under the default rules, from the lists above. */
export const EXPECTED_REPORT = {
  rules: ['explicit', 'domain'],
  users: 10,
  linkedUsers: 10,
  // The domain rule finds u01, u02, u07 and u10 on its own; it names only the links no
  // explicit account made first (u02 -> acme, u07 -> initrode).
  byRule: [
    { rule: 'explicit', matched: 10, users: 10, links: 10 },
    { rule: 'domain', matched: 4, users: 2, links: 2 },
  ],
  // Every user has an explicit account, so none of the domain rule's misses is in no account.
  domainMisses: [
    { reason: 'free_mail', count: 1, unlinked: 0, examples: ['u03'] },
    { reason: 'disposable', count: 1, unlinked: 0, examples: ['u04'] },
    { reason: 'excluded', count: 2, unlinked: 0, examples: ['u05', 'u06'] },
    { reason: 'unknown_domain', count: 1, unlinked: 0, examples: ['u08'] },
    { reason: 'no_email', count: 1, unlinked: 0, examples: ['u09'] },
  ],
  accountsWithSeveralDomains: { count: 1, examples: [{ accountId: 'acme', domains: 3 }] },
  usersInSeveralAccounts: {
    count: 2,
    examples: [
      { userId: 'u02', accounts: 2 },
      { userId: 'u07', accounts: 2 },
    ],
  },
};

/** Links of a store as sorted rows, read back with the relation's own SQL. */
export async function readLinks(store: Store, links: Sql) {
  const { sql } = store.dialect;
  return store.query(sql`SELECT user_id, account_id, rule FROM ${links} k ORDER BY user_id, account_id`);
}

/*
 * The fixture with activity: three users without an account (unlinked-users.csv) and seven
 * events (events.csv), some naming no account.
 *   u11 (none)  kim@acme.com    domain -> acme
 *   u12 (none)  leo@gmail.com   free_mail: in no account
 *   u13 (none)  max@shared.com  domain -> initech and initrode
 *   e1 u11 no account -> acme          e5 u02 no account -> globex (explicit) and acme (domain)
 *   e2 u12 no account -> nowhere       e6 u02 names globex -> globex only
 *   e3 u13 no account -> initech, initrode
 *   e4 u13 names initech -> initech only (not initrode)
 *   e7 no user, names acme -> acme
 *   e8 names cus_A1, the Stripe customer id acme holds (stripe_customer_id) -> acme (invoice_paid)
 *   e9 names globex -> globex (invoice_paid); e10 names cus_ZZ, which no account holds -> nowhere
 * Seats (users linked): acme u01 u02 u03 u11 = 4; globex u02 u04 u08 u09 u10 = 5;
 * initech u07 u13 = 2; initrode u07 u13 = 2; partner u05 u06 = 2; gmailco 0.
 * Sessions: acme e1 e5 e7 = 3; globex e5 e6 = 2; initech e3 e4 = 2; initrode e3 = 1; others 0.
 */
export const ACTIVITY_WORKSPACE = `
identity:
  excludeDomains: [agency.com]
  accountIds: [stripe_customer_id]
metrics:
  sessions: { count: { event: session_start } }
  invoices: { count: { event: invoice_paid } }
segments:
  active: { where: { metric: sessions, gte: 2 } }
  crowded: { where: { metric: seats, gte: 3 } }
`;
export const ACTIVITY_AS_OF = new Date('2024-04-01T00:00:00Z');
export const EXPECTED_ACTIVITY = [
  { account_id: 'acme', seats: 4, sessions: 3, invoices: 1, active: true },
  { account_id: 'globex', seats: 5, sessions: 2, invoices: 1, active: true },
  { account_id: 'gmailco', seats: 0, sessions: 0, invoices: 0, active: false },
  { account_id: 'initech', seats: 2, sessions: 2, invoices: 0, active: true },
  { account_id: 'initrode', seats: 2, sessions: 1, invoices: 0, active: false },
  { account_id: 'partner', seats: 2, sessions: 0, invoices: 0, active: false },
];

/** Imports the fixture, its users without an account and its events into an empty store. */
export async function importActivityFixture(store: Store): Promise<void> {
  await importIdentityFixture(store);
  await store.importFile({ table: 'users', file: join(IDENTITY_FIXTURES, 'unlinked-users.csv') });
  await store.importFile({ table: 'events', file: join(IDENTITY_FIXTURES, 'events.csv') });
}

/**
 * Seats, sessions and the segment of every account, evaluated by the product's compiled query
 * over the rows a run reads (src/engine's `rowsFor`). The workspace is evaluated again without
 * its seats segment: no users are read then, so the users' links are worked out only for the
 * events without an account, and every account's sessions, invoices and segment must be the
 * same (the caller checks the first evaluation against hand-worked numbers). Once per store:
 * a ClickHouse evaluation costs about a second.
 */
export async function readActivity(store: Store, dir: string) {
  const withSeats = await evaluateActivity(store, dir, true);
  const withoutSeats = await evaluateActivity(store, dir, false);
  expect(withoutSeats).toEqual(withSeats.map(({ seats: _, ...rest }) => rest));
  return withSeats;
}

async function evaluateActivity(store: Store, dir: string, seats: boolean) {
  const { sql } = store.dialect;
  const text = seats ? ACTIVITY_WORKSPACE : ACTIVITY_WORKSPACE.replace(/^ {2}crowded: .*\n/m, '');
  const workspace = loadWorkspace(dir, { text });
  const input = {
    metrics: workspace.metrics,
    segments: workspace.segments,
    asOf: ACTIVITY_AS_OF,
    metricOutputs: seats ? ['seats', 'sessions', 'invoices'] : ['sessions', 'invoices'],
  };
  // Only the workspace that counts seats reads the users.
  expect([...scannedTables(store.dialect, input)].sort()).toEqual(seats ? ['events', 'users'] : ['events']);
  const compiled = compileWorkspace(store.dialect, {
    ...input,
    rows: await rowsFor(store, workspace, input),
  });
  const seatsColumn = seats ? sql`${sql.id(metricColumn('seats'))} AS seats, ` : sql.empty;
  const rows = await store.query<Record<string, unknown>>(
    sql`SELECT account_id, ${seatsColumn}${sql.id(metricColumn('sessions'))} AS sessions,
      ${sql.id(metricColumn('invoices'))} AS invoices,
      ${sql.id(segmentColumn('active'))} AS active FROM (${compiled}) c ORDER BY account_id`,
  );
  // ClickHouse answers booleans as 1 / 0.
  return rows.map((r) => ({
    ...r,
    ...(seats ? { seats: Number(r.seats) } : {}),
    sessions: Number(r.sessions),
    invoices: Number(r.invoices),
    active: Boolean(Number(r.active)),
  }));
}

/**
 * After merging initrode into initech: u07 and u13 are linked to both, and e3 counts for both,
 * so each counts once for initech (seats 2, sessions e3 e4 = 2), not twice; initrode is gone.
 */
export const EXPECTED_ACTIVITY_MERGED = EXPECTED_ACTIVITY.filter((row) => row.account_id !== 'initrode');

/** Merges initrode into initech, checks the metrics, undoes it and checks them again. */
export async function checkMergeAndUndo(store: Store, dir: string) {
  const now = new Date('2026-12-07T00:00:00Z');
  await mergeAccounts(store, {
    survivor: 'initech',
    merged: 'initrode',
    by: 'test',
    reason: 'one company',
    now,
  });
  const merged = await evaluateActivity(store, dir, true);
  await undoMerge(store, { merged: 'initrode', by: 'test', reason: 'two after all', now });
  return { merged, undone: await evaluateActivity(store, dir, true) };
}
