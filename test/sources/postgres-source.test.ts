import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { POSTGRES_PASSWORD, type PostgresServer, startPostgres } from '../helpers/postgres-server.js';
import { modulesLoaded, runCli } from '../helpers/run-cli.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Postgres sources through the built CLI against a real PostgreSQL server (started once for
 * this file; each test has its own schema in it and its own workspace). Expected rows are
 * written by hand beside the rows put into Postgres.
 */

let server: PostgresServer;
const root = tempDir();

beforeAll(async () => {
  server = await startPostgres();
  process.env.STRATA_TEST_PG = server.url;
  process.env.STRATA_TEST_PG_WRONG = server.url.replace(POSTGRES_PASSWORD, 'not-the-password');
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

/** A workspace whose strata.yaml holds `sources` (YAML text, indented under `sources:`). */
function workspace(name: string, sources: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'strata.yaml'),
    `store: { engine: duckdb, path: .strata/strata.duckdb }\nsources:\n${sources}\nsegments: {}\n`,
  );
  return dir;
}

async function readStore<T>(dir: string, work: (store: DuckDBStore) => Promise<T>): Promise<T> {
  const store = await DuckDBStore.open(join(dir, '.strata', 'strata.duckdb'));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

const accountsOf = (dir: string) =>
  readStore(dir, (store) =>
    store.query<{ account_id: string; name: string; employees: number; created_at: string; plan: string }>(
      sql`SELECT account_id, name, employees, strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') AS created_at, plan FROM accounts ORDER BY account_id`,
    ),
  );

interface Imported {
  source: string;
  file: string;
  rowsRead: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
}
const imports = (args: string[]) => {
  const run = runCli(['import', ...args, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return run.json<{ imports: Imported[] }>().imports;
};
const counts = (r: Imported | undefined) =>
  r && { read: r.rowsRead, inserted: r.inserted, updated: r.updated, unchanged: r.unchanged };

describe('a Postgres source', () => {
  it('imports a table, then only the rows changed since (by the cursor); a dry run writes nothing and keeps the cursor', async () => {
    await server.run(`CREATE SCHEMA crm;
      CREATE TABLE crm.customers (id text PRIMARY KEY, company text, headcount int, signed_up timestamptz,
        tier text, updated_at timestamptz NOT NULL);
      INSERT INTO crm.customers VALUES
        ('c1', 'Acme', 120, '2024-01-05 09:00+00', 'growth', '2024-06-01 10:00+00'),
        ('c2', 'Birch', 15, '2024-02-10 12:30+02', 'starter', '2024-06-02 10:00+00'),
        ('c3', 'Cedar, Inc.', NULL, '2024-03-01 00:00+00', 'enterprise', '2024-06-03 10:00+00');`);
    const ws = workspace(
      'incremental',
      `  accounts:
    postgres: { url: env:STRATA_TEST_PG, table: crm.customers, cursor: updated_at }
    map: { account_id: id, name: company, employees: headcount, created_at: signed_up, plan: tier }`,
    );
    const [first] = imports(['-w', ws]);
    expect(first?.file).toBe('postgres:crm.customers');
    expect(counts(first)).toEqual({ read: 3, inserted: 3, updated: 0, unchanged: 0 });
    expect(await accountsOf(ws)).toEqual([
      { account_id: 'c1', name: 'Acme', employees: 120, created_at: '2024-01-05T09:00:00Z', plan: 'growth' },
      // 12:30 at +02 is 10:30 UTC.
      { account_id: 'c2', name: 'Birch', employees: 15, created_at: '2024-02-10T10:30:00Z', plan: 'starter' },
      {
        account_id: 'c3',
        name: 'Cedar, Inc.',
        employees: null,
        created_at: '2024-03-01T00:00:00Z',
        plan: 'enterprise',
      },
    ]);

    // c2 changes, c4 is new; c3 carries the last cursor read (06-03), so it is read again, unchanged.
    await server.run(`UPDATE crm.customers SET tier = 'growth', updated_at = '2024-06-04 10:00+00' WHERE id = 'c2';
      INSERT INTO crm.customers VALUES ('c4', 'Dune', 40, '2024-04-01 00:00+00', 'starter', '2024-06-05 10:00+00');`);
    const expected = { read: 3, inserted: 1, updated: 1, unchanged: 1 };
    const dry = runCli(['import', '--dry-run', '-w', ws, '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(counts(dry.json<{ imports: Imported[] }>().imports[0])).toEqual(expected);
    expect((await accountsOf(ws)).length).toBe(3);
    // The same rows again: the dry run left the cursor where it was.
    const [second] = imports(['-w', ws]);
    expect(counts(second)).toEqual(expected);
    const after = await accountsOf(ws);
    expect(after.map((a) => [a.account_id, a.plan])).toEqual([
      ['c1', 'growth'],
      ['c2', 'growth'],
      ['c3', 'enterprise'],
      ['c4', 'starter'],
    ]);
    // Nothing changed since: only the row at the last cursor (c4) is read, and left as it is.
    expect(counts(imports(['-w', ws])[0])).toEqual({ read: 1, inserted: 0, updated: 0, unchanged: 1 });
    const log = await readStore(ws, (store) =>
      store.query<{ file: string; source: string; cursor_value: string }>(
        sql`SELECT file, source, cursor_value FROM strata_imports ORDER BY imported_at`,
      ),
    );
    expect(log).toEqual([
      { file: 'postgres:crm.customers', source: 'accounts', cursor_value: '2024-06-03 10:00:00+00' },
      { file: 'postgres:crm.customers', source: 'accounts', cursor_value: '2024-06-05 10:00:00+00' },
      { file: 'postgres:crm.customers', source: 'accounts', cursor_value: '2024-06-05 10:00:00+00' },
    ]);
  });

  it('imports a query with derived columns, and names the source and row of an invalid one', async () => {
    await server.run(`CREATE SCHEMA shop;
      CREATE TABLE shop.orders (account text, kind text, at timestamp, qty int, price numeric(10,2));
      INSERT INTO shop.orders VALUES
        ('a1', 'Purchase', '2024-05-01 08:00', 2, 9.50),
        ('a1', 'Purchase', '2024-05-02 08:00', 1, 100.00),
        ('a2', 'Refund', '2024-05-03 08:00', 3, 0.25),
        ('a3', 'Purchase', '2024-05-04 08:00', 1, 1.00);`);
    const ws = workspace(
      'query',
      `  orders:
    table: events
    postgres:
      url: env:STRATA_TEST_PG
      query: "SELECT account, kind, at, qty, price FROM shop.orders WHERE account IS DISTINCT FROM 'a3' ORDER BY at"
    map: { account_id: account, ts: at }
    derive: { event: "lower(kind)", revenue: "qty * price" }`,
    );
    const [result] = imports(['-w', ws]);
    expect(result?.file).toBe('postgres:query');
    expect(counts(result)).toEqual({ read: 3, inserted: 3, updated: 0, unchanged: 0 });
    const events = await readStore(ws, (store) =>
      store.query<{ account_id: string; event: string; revenue: number }>(
        sql`SELECT account_id, event, CAST(properties->>'revenue' AS DOUBLE) AS revenue FROM events ORDER BY ts`,
      ),
    );
    // 2 x 9.50, 1 x 100.00, 3 x 0.25
    expect(events).toEqual([
      { account_id: 'a1', event: 'purchase', revenue: 19 },
      { account_id: 'a1', event: 'purchase', revenue: 100 },
      { account_id: 'a2', event: 'refund', revenue: 0.75 },
    ]);

    // The second row read has no account: the error names the source's rows, not a temporary file.
    await server.run(`UPDATE shop.orders SET account = NULL WHERE at = '2024-05-02 08:00'`);
    const bad = runCli(['import', '-w', ws]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('postgres:query: 1 invalid row of 3');
    expect(bad.stderr).toContain(
      'postgres:query:2 [account]: no account_id and no user_id: nothing links the row to an account',
    );
    expect(bad.stderr).not.toMatch(/strata-postgres-|\.csv/);
  });

  it('says clearly what is wrong (variable, password, table, cursor) and writes nothing', async () => {
    await server.run(`CREATE SCHEMA bad; CREATE TABLE bad.customers (id text, company text, signed_up timestamptz);
      INSERT INTO bad.customers VALUES ('x1', 'X', '2024-01-01 00:00+00');`);
    const source = (postgres: string) =>
      `  accounts:\n    postgres: ${postgres}\n    map: { account_id: id, name: company, created_at: signed_up }`;
    const cases: [string, string, RegExp][] = [
      [
        'unset',
        '{ url: env:STRATA_TEST_PG_UNSET, table: bad.customers }',
        /source accounts: the environment variable STRATA_TEST_PG_UNSET is not set/,
      ],
      [
        'password',
        '{ url: env:STRATA_TEST_PG_WRONG, table: bad.customers }',
        /source accounts: cannot connect to PostgreSQL at 127\.0\.0\.1:\d+\/postgres: password authentication failed for user "strata_test"/,
      ],
      [
        'table',
        '{ url: env:STRATA_TEST_PG, table: bad.customer }',
        /source accounts: no table or view 'bad\.customer' in the PostgreSQL database/,
      ],
      [
        'cursor',
        '{ url: env:STRATA_TEST_PG, table: bad.customers, cursor: updated_at }',
        /source accounts: table bad\.customers has no column 'updated_at' \(the cursor\)/,
      ],
    ];
    for (const [name, postgres, message] of cases) {
      const ws = workspace(`error-${name}`, source(postgres));
      // A dry run reports the same error (as the source's outcome); checked once.
      for (const args of name === 'cursor' ? [[], ['--dry-run']] : [[]]) {
        const run = runCli(['import', ...args, '-w', ws]);
        expect(run.code === 0 ? run.stdout : run.stderr, name).toMatch(message);
        expect(`${run.stdout}${run.stderr}`).not.toContain(POSTGRES_PASSWORD);
        expect(`${run.stdout}${run.stderr}`).not.toContain('not-the-password');
      }
      const written = await readStore(ws, async (store) => [
        await store.query(sql`SELECT count(*) AS n FROM accounts`),
        await store.query(sql`SELECT count(*) AS n FROM strata_imports`),
      ]);
      expect(written, name).toEqual([[{ n: 0 }], [{ n: 0 }]]);
    }
  });
});

describe('a workspace without a Postgres source', () => {
  it('imports its files without loading the Postgres client', () => {
    const ws = join(root, 'files-only');
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, 'accounts.csv'), 'account_id,name,created_at\na1,A1,2024-01-01\n');
    writeFileSync(
      join(ws, 'strata.yaml'),
      'store: { engine: duckdb, path: .strata/strata.duckdb }\nsources:\n  accounts: { file: accounts.csv }\n',
    );
    const { modules, run } = modulesLoaded(['import', '-w', ws, '--json']);
    expect(run.json<{ imports: Imported[] }>().imports.map(counts)).toEqual([
      { read: 1, inserted: 1, updated: 0, unchanged: 0 },
    ]);
    // The client is loaded with the first Postgres source only (about 45 ms of every start).
    expect(modules.filter((path) => path.includes('/node_modules/pg'))).toEqual([]);
  });
});

describe("the README's whole workspace: HubSpot, Stripe and the product database", () => {
  /** The strata.yaml of the README's section, as written there. */
  function readmeWorkspace(): string {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const block = /<!-- end-to-end workspace -->\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!block) throw new Error('README: the end-to-end workspace block is missing');
    return block;
  }

  /** Epoch seconds of a UTC day (the Stripe API's time). */
  const unix = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;
  const subscription = (id: string, company: string, cents: number) => ({
    id,
    object: 'subscription',
    customer: `cus_${company}`,
    status: 'active',
    currency: 'usd',
    created: unix('2024-01-01'),
    start_date: unix('2024-01-01'),
    metadata: { hubspot_company_id: company },
    items: {
      object: 'list',
      data: [
        {
          price: {
            unit_amount: cents,
            currency: 'usd',
            nickname: 'Growth',
            recurring: { interval: 'month', interval_count: 1 },
          },
          quantity: 1,
        },
      ],
    },
  });
  const invoice = (id: string, company: string, status: string, cents: number, day: string) => ({
    id,
    object: 'invoice',
    customer: `cus_${company}`,
    status,
    currency: 'usd',
    number: `INV-${id}`,
    amount_due: cents,
    amount_paid: status === 'paid' ? cents : 0,
    created: unix(day),
    status_transitions: { finalized_at: unix(day), paid_at: status === 'paid' ? unix(day) : null },
    subscription_details: { metadata: { hubspot_company_id: company } },
  });

  it('imports the CRM, billing and usage into one set of accounts and segments them', async () => {
    const ws = join(root, 'whole');
    mkdirSync(join(ws, 'exports'), { recursive: true });
    writeFileSync(join(ws, 'strata.yaml'), readmeWorkspace());
    writeFileSync(
      join(ws, 'exports', 'hubspot-companies.csv'),
      'Record ID,Company name,Company Domain Name,Create Date,Number of Employees,Industry\n101,Acme Ltd,acme.example,2024-01-02 09:00,120,Software\n102,Globex,globex.example,2024-01-20 14:30,40,Retail\n103,Initech,initech.example,2024-02-01 08:00,300,Software\n104,Hooli,hooli.example,2024-03-01 08:00,12,Media\n',
    );
    writeFileSync(
      join(ws, 'exports', 'stripe-subscriptions.json'),
      JSON.stringify({
        object: 'list',
        data: [
          subscription('sub_1', '101', 15700),
          subscription('sub_2', '102', 4900),
          subscription('sub_3', '103', 4900),
        ],
      }),
    );
    writeFileSync(
      join(ws, 'exports', 'stripe-invoices.json'),
      JSON.stringify({
        object: 'list',
        data: [
          invoice('in_1', '101', 'paid', 15700, '2024-06-01'),
          // Paid in February: more than 90 days before the end of June.
          invoice('in_2', '102', 'paid', 4900, '2024-02-01'),
          invoice('in_3', '102', 'open', 4900, '2024-06-15'),
          invoice('in_4', '103', 'paid', 4900, '2024-05-20'),
        ],
      }),
    );
    await server.run(`CREATE TABLE public.product_events (id text PRIMARY KEY, company_id text, name text, occurred_at timestamptz NOT NULL);
      INSERT INTO public.product_events VALUES
        ('e1', '101', 'session_start', '2024-06-10 09:00+00'), ('e2', '101', 'session_start', '2024-06-20 09:00+00'),
        ('e3', '103', 'session_start', '2024-06-05 09:00+00'), ('e4', '103', 'session_start', '2024-06-12 09:00+00'),
        ('e5', '103', 'session_start', '2024-06-19 09:00+00'), ('e6', '103', 'session_start', '2024-06-30 09:00+00'),
        ('e7', '102', 'report_viewed', '2024-06-25 09:00+00');`);
    process.env.APP_DATABASE_URL = server.url;

    const dry = runCli(['import', '--dry-run', '-w', ws, '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const planned = dry.json<{ imports: { source: string; inserted: number; skipped: number }[] }>().imports;
    expect(planned.map((o) => [o.source, o.inserted, o.skipped])).toEqual([
      ['companies', 4, 0],
      ['invoices', 4, 0],
      ['product_events', 7, 0],
      ['subscriptions', 3, 0],
    ]);
    expect(imports(['-w', ws]).map((r) => [r.source, r.inserted])).toEqual([
      ['companies', 4],
      ['invoices', 4],
      ['product_events', 7],
      ['subscriptions', 3],
    ]);
    const members = (segment: string) =>
      runCli(['segments', 'members', segment, '-w', ws, '--json'])
        .json<{ members: { account_id: string }[] }>()
        .members.map((m) => m.account_id)
        .sort();
    // As of the newest data (2024-06-30): paid in the last 90 days are 101 (157.00 on 06-01) and
    // 103 (49.00 on 05-20); 102's paid invoice is from February and its June one is open.
    // Sessions in the last 30 days: 101 two, 103 four: 101 is paying but idle.
    expect(runCli(['run', '-w', ws]).code).toBe(0);
    expect(members('paying')).toEqual(['101', '103']);
    expect(members('paying_but_idle')).toEqual(['101']);

    // Two more sessions for 101 in the product database: the next import reads only rows at or
    // after the cursor (06-30: e6 again, unchanged, and the two new), and 101 is no longer idle.
    await server.run(`INSERT INTO public.product_events VALUES
      ('e8', '101', 'session_start', '2024-06-30 10:00+00'), ('e9', '101', 'session_start', '2024-06-30 11:00+00');`);
    const again = imports(['--source', 'product_events', '-w', ws]);
    expect(again.map((r) => [r.source, r.rowsRead, r.inserted])).toEqual([['product_events', 3, 2]]);
    expect(runCli(['run', '-w', ws]).code).toBe(0);
    expect(members('paying_but_idle')).toEqual([]);
  });
});
