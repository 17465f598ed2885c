import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { StrataError } from '../../src/errors.js';
import type { TableName } from '../../src/model/tables.js';
import { checkSource } from '../../src/sources/check-source.js';
import { derivedColumns } from '../../src/sources/derive/derive-columns.js';
import { FUNCTIONS } from '../../src/sources/derive/functions.js';
import { sourceRequest, sourceTable } from '../../src/sources/import-sources.js';
import { PRESETS } from '../../src/sources/presets/presets.js';
import type { SourceConfig } from '../../src/sources/source-config.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

// Samples written for these tests from the vendors' published field lists, values invented
// (test/fixtures/presets/). Every expected value below is worked by hand from the sample.
const samples = join(import.meta.dirname, '..', 'fixtures', 'presets');
const dir = tempDir();
let store: DuckDBStore;

beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'strata.duckdb'));
});
afterAll(() => store.close());

/** Imports one sample through the preset, as `strata import` does, into an emptied table. */
async function importSample(file: string, preset: string, own: Partial<SourceConfig> = {}) {
  const source = { file, preset, ...own } as SourceConfig;
  const table = sourceTable('billing', source) as TableName;
  await store.execute(testSql(`DELETE FROM ${table}`));
  const request = sourceRequest(
    { dir: samples, config: { sources: { billing: source } } },
    'billing',
    source,
    table,
  );
  return store.importFile(request);
}

const rows = (query: string) => store.query<Record<string, unknown>>(testSql(query));

const at = (iso: string) => `${iso}T00:00:00.000Z`;

describe('Stripe subscriptions', () => {
  const query = `SELECT account_id, plan, mrr, billing, starts_at, ends_at, status,
      traits->>'stripe_status' AS stripe_status, CAST(traits->>'list_mrr' AS DOUBLE) AS list_mrr
    FROM subscriptions ORDER BY account_id`;

  it('reads the API list: MRR summed over items, yearly, JPY, trialing and canceled', async () => {
    const result = await importSample('stripe-subscriptions.json', 'stripe/subscriptions');
    expect(result).toMatchObject({ rowsRead: 5, inserted: 5, skipped: 0 });
    const got = await rows(query);
    expect(got.map(({ mrr, list_mrr, ...rest }) => rest)).toEqual([
      // Two items: nickname of the first item's price is the plan.
      {
        account_id: 'cus_A',
        plan: 'Growth',
        billing: 'monthly',
        starts_at: at('2024-01-01'),
        ends_at: null,
        status: 'active',
        stripe_status: 'active',
      },
      // past_due is still active; no nickname, so the lookup key.
      {
        account_id: 'cus_B',
        plan: 'enterprise_yearly',
        billing: 'annual',
        starts_at: at('2024-02-01'),
        ends_at: null,
        status: 'active',
        stripe_status: 'past_due',
      },
      {
        account_id: 'cus_C',
        plan: 'Team JP',
        // Billed every 3 months: neither monthly nor annual.
        billing: 'every 3 months',
        starts_at: at('2024-03-01'),
        ends_at: null,
        status: 'trialing',
        stripe_status: 'trialing',
      },
      {
        account_id: 'cus_D',
        plan: 'Starter',
        billing: 'monthly',
        starts_at: at('2024-01-10'),
        ends_at: at('2024-06-01'),
        status: 'canceled',
        stripe_status: 'canceled',
      },
      // Active, set to cancel on 2025-01-01: that is its end; billed weekly (neither monthly nor annual).
      {
        account_id: 'cus_E',
        plan: 'Weekly',
        billing: 'week',
        starts_at: at('2024-04-01'),
        ends_at: at('2025-01-01'),
        status: 'active',
        stripe_status: 'active',
      },
    ]);
    const mrr = Object.fromEntries(got.map((r) => [r.account_id, [r.mrr, r.list_mrr]]));
    // 4900 usd cents x 3 seats = 147.00, plus 1000 cents x 1 = 10.00, both monthly.
    expect(mrr.cus_A).toEqual([157, 157]);
    // 120000 cents a year x 2 = 2400.00 a year = 200.00 a month.
    expect(mrr.cus_B).toEqual([200, 200]);
    // JPY has no minor unit: 5000 yen every 3 months = 1666.67 a month; 0 while trialing.
    expect(mrr.cus_C?.[0]).toBe(0);
    expect(mrr.cus_C?.[1]).toBeCloseTo(5000 / 3, 9);
    expect(mrr.cus_D).toEqual([29, 29]);
    // 999.5 eur cents a week (the decimal form) = 9.995 x 52 / 12 = 43.3117 a month.
    expect(mrr.cus_E?.[0]).toBeCloseTo((9.995 * 52) / 12, 9);
    const trial = await rows(
      `SELECT traits->>'trial_start' AS s, traits->>'trial_end' AS e, traits->>'currency' AS c FROM subscriptions WHERE account_id = 'cus_C'`,
    );
    expect(trial).toEqual([{ s: '2024-03-01 00:00:00', e: '2024-03-15 00:00:00', c: 'jpy' }]);
  });

  it('reads the Dashboard CSV: amounts in major units, unpaid active, cancel at period end', async () => {
    const result = await importSample('stripe-subscriptions.csv', 'stripe/subscriptions');
    expect(result).toMatchObject({ rowsRead: 5, inserted: 5, skipped: 0 });
    expect(await rows(query)).toEqual([
      // 49.00 x 3 = 147.
      {
        account_id: 'cus_A',
        plan: 'growth_monthly',
        mrr: 147,
        billing: 'monthly',
        starts_at: at('2024-01-01'),
        ends_at: null,
        status: 'active',
        stripe_status: 'active',
        list_mrr: 147,
      },
      // 1200.00 x 2 a year / 12 = 200.
      {
        account_id: 'cus_B',
        plan: 'enterprise_yearly',
        mrr: 200,
        billing: 'annual',
        starts_at: at('2024-02-01'),
        ends_at: null,
        status: 'active',
        stripe_status: 'unpaid',
        list_mrr: 200,
      },
      {
        account_id: 'cus_C',
        plan: 'team_jp',
        mrr: 0,
        billing: 'monthly',
        starts_at: at('2024-03-01'),
        ends_at: null,
        status: 'trialing',
        stripe_status: 'trialing',
        list_mrr: 5000,
      },
      {
        account_id: 'cus_D',
        plan: 'starter_monthly',
        mrr: 29,
        billing: 'monthly',
        starts_at: at('2024-01-10'),
        ends_at: at('2024-06-01'),
        status: 'canceled',
        stripe_status: 'canceled',
        list_mrr: 29,
      },
      // Cancel At Period End: it ends with the current period.
      {
        account_id: 'cus_E',
        plan: 'starter_monthly',
        mrr: 29,
        billing: 'monthly',
        starts_at: at('2024-04-01'),
        ends_at: at('2024-07-01'),
        status: 'active',
        stripe_status: 'active',
        list_mrr: 29,
      },
    ]);
  });
});

describe('Stripe customers and invoices', () => {
  it('reads customers from both exports, name falling back to the description', async () => {
    const expected = [
      { account_id: 'cus_A', name: 'Acme Ltd', created_at: at('2024-01-01'), country: 'GB' },
      { account_id: 'cus_B', name: 'Globex account', created_at: '2024-01-15T10:32:00.000Z', country: null },
    ];
    const query = 'SELECT account_id, name, created_at, country FROM accounts ORDER BY account_id';
    await importSample('stripe-customers.csv', 'stripe/customers');
    expect(await rows(query)).toEqual(expected);
    await importSample('stripe-customers.json', 'stripe/customers');
    expect(await rows(query)).toEqual(expected);
    // Every other field is kept in traits under its Stripe name.
    const traits = await rows(
      `SELECT traits->>'email' AS email, traits->>'delinquent' AS d FROM accounts WHERE account_id = 'cus_B'`,
    );
    expect(traits).toEqual([{ email: 'ap@globex.example', d: 'true' }]);
  });

  it('reads invoices as one event per invoice and status, amounts in major units', async () => {
    const query = `SELECT event_id, account_id, event, ts, CAST(properties->>'amount' AS DOUBLE) AS amount,
        properties->>'currency' AS currency FROM events ORDER BY event_id`;
    await importSample('stripe-invoices.json', 'stripe/invoices');
    expect(await rows(query)).toEqual([
      // Paid: at paid_at, 15700 cents = 157.00.
      {
        event_id: 'in_1:paid',
        account_id: 'cus_A',
        event: 'invoice_paid',
        ts: '2024-02-01T02:00:00.000Z',
        amount: 157,
        currency: 'usd',
      },
      // Open: at finalization, amount due; yen have no minor unit.
      {
        event_id: 'in_2:open',
        account_id: 'cus_C',
        event: 'invoice_open',
        ts: '2024-03-15T01:00:00.000Z',
        amount: 5000,
        currency: 'jpy',
      },
      {
        event_id: 'in_3:void',
        account_id: 'cus_D',
        event: 'invoice_void',
        ts: at('2024-05-03'),
        amount: 29,
        currency: 'usd',
      },
    ]);
    const number = await rows(`SELECT properties->>'number' AS n FROM events WHERE event_id = 'in_1:paid'`);
    expect(number).toEqual([{ n: 'ACME-0001' }]);
    await importSample('stripe-invoices.csv', 'stripe/invoices');
    const csv = await rows(
      `SELECT event_id, account_id, event, ts, CAST(properties->>'amount' AS DOUBLE) AS amount, properties->>'Currency' AS currency FROM events ORDER BY event_id`,
    );
    expect(csv).toEqual([
      {
        event_id: 'in_1:paid',
        account_id: 'cus_A',
        event: 'invoice_paid',
        ts: '2024-02-01T02:00:00.000Z',
        amount: 157,
        currency: 'usd',
      },
      {
        event_id: 'in_2:open',
        account_id: 'cus_C',
        event: 'invoice_open',
        ts: '2024-03-15T01:00:00.000Z',
        amount: 5000,
        currency: 'jpy',
      },
    ]);
  });
});

describe('HubSpot', () => {
  it('reads companies from the CSV export and the CRM API', async () => {
    const query =
      'SELECT account_id, name, domain, created_at, employees, industry FROM accounts ORDER BY account_id';
    await importSample('hubspot-companies.csv', 'hubspot/companies');
    expect(await rows(query)).toEqual([
      {
        account_id: '101',
        name: 'Acme Ltd',
        domain: 'acme.example',
        created_at: '2024-01-02T09:00:00.000Z',
        employees: 120,
        industry: 'Computer Software',
      },
      {
        account_id: '102',
        name: 'Globex',
        domain: 'globex.example',
        created_at: '2024-01-20T14:30:00.000Z',
        employees: null,
        industry: 'Retail',
      },
    ]);
    await importSample('hubspot-companies.json', 'hubspot/companies');
    expect(await rows(query)).toEqual([
      {
        account_id: '101',
        name: 'Acme Ltd',
        domain: 'acme.example',
        created_at: '2024-01-02T09:00:00.000Z',
        employees: 120,
        industry: 'COMPUTER_SOFTWARE',
      },
      // No createdate property: the record's createdAt.
      {
        account_id: '102',
        name: 'Globex',
        domain: 'globex.example',
        created_at: '2024-01-20T14:30:00.000Z',
        employees: null,
        industry: null,
      },
    ]);
  });

  it('reads the parent company as parent_account_id, an empty one as no parent', async () => {
    // hubspot-companies-parents.*: 101 is the group (empty Parent Company), 102 its European
    // arm (parent 101), 103 the French company under 102; the JSON adds 104 with "" as parent.
    // The samples above have no parent column at all, and their parents are all null.
    const query = 'SELECT account_id, parent_account_id FROM accounts ORDER BY account_id';
    await importSample('hubspot-companies.csv', 'hubspot/companies');
    expect((await rows(query)).map((r) => r.parent_account_id)).toEqual([null, null]);
    await importSample('hubspot-companies-parents.csv', 'hubspot/companies');
    expect(await rows(query)).toEqual([
      { account_id: '101', parent_account_id: null },
      { account_id: '102', parent_account_id: '101' },
      { account_id: '103', parent_account_id: '102' },
    ]);
    await importSample('hubspot-companies-parents.json', 'hubspot/companies');
    expect(await rows(query)).toEqual([
      { account_id: '101', parent_account_id: null },
      { account_id: '102', parent_account_id: '101' },
      { account_id: '103', parent_account_id: '102' },
      { account_id: '104', parent_account_id: null },
    ]);
  });

  it('links contacts to their company, from the export column or the API association', async () => {
    const query = 'SELECT user_id, account_id, email, created_at FROM users ORDER BY user_id';
    const expected = [
      {
        user_id: '201',
        account_id: '101',
        email: 'ada@acme.example',
        created_at: '2024-01-03T10:00:00.000Z',
      },
      {
        user_id: '202',
        account_id: '102',
        email: 'bo@globex.example',
        created_at: '2024-01-21T08:00:00.000Z',
      },
    ];
    await importSample('hubspot-contacts.csv', 'hubspot/contacts');
    expect(await rows(query)).toEqual(expected);
    await importSample('hubspot-contacts.json', 'hubspot/contacts');
    expect(await rows(query)).toEqual(expected);
  });

  it('reads deals as deal_open, deal_won and deal_lost events of the first associated company', async () => {
    const query = `SELECT event_id, account_id, event, ts, CAST(properties->>'amount' AS DOUBLE) AS amount, properties->>'stage' AS stage
      FROM events ORDER BY event_id`;
    await importSample('hubspot-deals.csv', 'hubspot/deals');
    expect(await rows(query)).toEqual([
      {
        event_id: '301:won',
        account_id: '101',
        event: 'deal_won',
        ts: at('2024-03-31'),
        amount: 12000,
        stage: 'Closed Won',
      },
      // Open: at creation; "102;101" is two companies, the first is the account.
      {
        event_id: '302:open',
        account_id: '102',
        event: 'deal_open',
        ts: '2024-02-10T11:00:00.000Z',
        amount: 5000,
        stage: 'Appointment Scheduled',
      },
      {
        event_id: '303:lost',
        account_id: '101',
        event: 'deal_lost',
        ts: at('2024-04-15'),
        amount: 800.5,
        stage: 'Closed Lost',
      },
    ]);
    await importSample('hubspot-deals.json', 'hubspot/deals');
    expect(await rows(query)).toEqual([
      {
        event_id: '301:won',
        account_id: '101',
        event: 'deal_won',
        ts: at('2024-03-31'),
        amount: 12000,
        stage: 'closedwon',
      },
      {
        event_id: '302:open',
        account_id: '102',
        event: 'deal_open',
        ts: '2024-02-10T11:00:00.000Z',
        amount: 5000,
        stage: 'appointmentscheduled',
      },
    ]);
  });
});

describe('Salesforce (Data Loader CSV)', () => {
  it('reads Account, Contact and Opportunity by their API field names', async () => {
    await importSample('salesforce-account.csv', 'salesforce/account');
    expect(
      await rows(
        'SELECT account_id, name, domain, created_at, employees, industry, country FROM accounts ORDER BY account_id',
      ),
    ).toEqual([
      // https://www.acme.example/about is acme.example.
      {
        account_id: '001A000001AAAAA',
        name: 'Acme Ltd',
        domain: 'acme.example',
        created_at: '2024-01-05T08:00:00.000Z',
        employees: 250,
        industry: 'Technology',
        country: 'GB',
      },
      {
        account_id: '001A000001BBBBB',
        name: 'Initech',
        domain: 'initech.example',
        created_at: '2024-02-10T16:20:00.000Z',
        employees: null,
        industry: 'Banking',
        country: 'US',
      },
    ]);
    await importSample('salesforce-contact.csv', 'salesforce/contact');
    expect(await rows('SELECT user_id, account_id, email FROM users ORDER BY user_id')).toEqual([
      { user_id: '003A000001CCCCC', account_id: '001A000001AAAAA', email: 'ada@acme.example' },
      { user_id: '003A000001DDDDD', account_id: '001A000001BBBBB', email: 'peter@initech.example' },
    ]);
    await importSample('salesforce-opportunity.csv', 'salesforce/opportunity');
    expect(
      await rows(
        `SELECT event_id, account_id, event, ts, CAST(properties->>'amount' AS DOUBLE) AS amount FROM events ORDER BY event_id`,
      ),
    ).toEqual([
      // IsWon: won at CloseDate (a date: midnight UTC).
      {
        event_id: '006A000001EEEEE:won',
        account_id: '001A000001AAAAA',
        event: 'deal_won',
        ts: at('2024-06-30'),
        amount: 24000,
      },
      // Neither closed nor won: open, at CreatedDate.
      {
        event_id: '006A000001FFFFF:open',
        account_id: '001A000001BBBBB',
        event: 'deal_open',
        ts: '2024-06-01T12:00:00.000Z',
        amount: 1500,
      },
      {
        event_id: '006A000001GGGGG:lost',
        account_id: '001A000001AAAAA',
        event: 'deal_lost',
        ts: at('2024-07-15'),
        amount: 3000,
      },
    ]);
  });
  it('reads ParentId as the parent Account when the export has it', async () => {
    // salesforce-account-parents.csv: Acme Labs (...BBBBB) has ParentId Acme Ltd (...AAAAA),
    // whose ParentId is empty; salesforce-account.csv has no ParentId column.
    const query = 'SELECT account_id, parent_account_id FROM accounts ORDER BY account_id';
    await importSample('salesforce-account.csv', 'salesforce/account');
    expect((await rows(query)).map((r) => r.parent_account_id)).toEqual([null, null]);
    await importSample('salesforce-account-parents.csv', 'salesforce/account');
    expect(await rows(query)).toEqual([
      { account_id: '001A000001AAAAA', parent_account_id: null },
      { account_id: '001A000001BBBBB', parent_account_id: '001A000001AAAAA' },
    ]);
  });
});

describe('Zendesk tickets', () => {
  const query =
    'SELECT ticket_id, account_id, created_at, resolved_at, priority, csat FROM tickets ORDER BY ticket_id';

  it('reads the CSV export: good is csat 5, bad 1, offered is no answer', async () => {
    await importSample('zendesk-tickets.csv', 'zendesk/tickets');
    expect(await rows(query)).toEqual([
      {
        ticket_id: '1',
        account_id: 'Acme Ltd',
        created_at: '2024-02-01T09:00:00.000Z',
        resolved_at: '2024-02-01T17:30:00.000Z',
        priority: 'high',
        csat: 5,
      },
      {
        ticket_id: '2',
        account_id: 'Globex',
        // Written with offsets: 10:00 at +01:00 is 09:00 UTC, 10:00 at -00:30 is 10:30 UTC.
        created_at: '2024-02-02T09:00:00.000Z',
        resolved_at: '2024-02-03T10:30:00.000Z',
        priority: 'low',
        csat: 1,
      },
      {
        ticket_id: '3',
        account_id: 'Acme Ltd',
        created_at: '2024-02-05T08:15:00.000Z',
        resolved_at: null,
        priority: 'normal',
        csat: null,
      },
    ]);
  });

  it('reads the API list, the solve time from the metric set', async () => {
    await importSample('zendesk-tickets.json', 'zendesk/tickets');
    expect(await rows(query)).toEqual([
      {
        ticket_id: '35436',
        account_id: '509974',
        created_at: '2024-02-01T09:00:00.000Z',
        resolved_at: '2024-02-01T15:45:00.000Z',
        priority: 'urgent',
        csat: 5,
      },
      {
        ticket_id: '35437',
        account_id: '509974',
        created_at: '2024-02-03T10:00:00.000Z',
        resolved_at: null,
        priority: null,
        csat: null,
      },
    ]);
  });
});

describe('a source using a preset', () => {
  it("wins with its own derive: and map: entries over the preset's", async () => {
    // The Stripe customer's metadata holds the CRM's account id: the usual way to join vendors.
    await importSample('stripe-customers.json', 'stripe/customers', {
      derive: { account_id: 'coalesce(metadata.strata_account, id)' },
    });
    expect(await rows('SELECT account_id, name FROM accounts ORDER BY account_id')).toEqual([
      { account_id: 'acme', name: 'Acme Ltd' },
      { account_id: 'cus_B', name: 'Globex account' },
    ]);
    await importSample('stripe-customers.csv', 'stripe/customers', { map: { name: 'Email' } });
    expect(await rows('SELECT account_id, name FROM accounts ORDER BY account_id')).toEqual([
      { account_id: 'cus_A', name: 'billing@acme.example' },
      { account_id: 'cus_B', name: 'ap@globex.example' },
    ]);
  });

  it('fails naming the source and the vendor column when the export lacks one', async () => {
    // The customers export has no "Customer ID": it is not a subscriptions export.
    const source = { file: 'stripe-customers.csv', preset: 'stripe/subscriptions' } as SourceConfig;
    const workspace = { dir: samples, config: { sources: { billing: source } } };
    const error = await store
      .importFile(sourceRequest(workspace, 'billing', source, 'subscriptions'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).code).toBe('invalid_derive');
    expect((error as StrataError).message).toMatch(/^sources\.billing\.derive\.account_id: .*'Customer ID'/);
    expect(await rows('SELECT count(*) AS n FROM subscriptions')).toEqual([{ n: 5 }]);
  });

  it('names every label it looks for when the export has none of them', async () => {
    // A contacts export without any associated-company column: no user could have an account.
    const file = join(dir, 'contacts-no-company.csv');
    writeFileSync(file, 'Record ID,Email,Create Date\n201,ada@acme.example,2024-01-03 10:00\n');
    const source = { file, preset: 'hubspot/contacts' } as SourceConfig;
    const workspace = { dir, config: { sources: { crm: source } } };
    const error = await store
      .importFile(sourceRequest(workspace, 'crm', source, 'users'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).message).toMatch(
      /^sources\.crm\.derive\.account_id: the expression names 'Associated Company IDs' or 'Associated Company ID' or 'Primary Associated Company ID' or 'Associated Company IDs \(Primary\)', none of which is a column of the file \(columns: Record ID, Email, Create Date\)/,
    );
  });

  it('is refused when the preset is unknown, with the known ones listed', () => {
    const problem = checkSource('billing', { file: 'x.csv', preset: 'stripe/customer' } as SourceConfig);
    expect(problem?.code).toBe('unknown_preset');
    expect(problem?.message).toContain("did you mean 'stripe/customers'");
  });
});

/** The header of a CSV sample, or the keys of a JSON sample's records. */
function sampleColumns(file: string, records: string | undefined): string[] {
  const text = readFileSync(join(samples, file), 'utf8');
  if (file.endsWith('.csv')) return (text.split('\n')[0] ?? '').split(',');
  const list = JSON.parse(text)[records ?? 'data'] as Record<string, unknown>[];
  return [...new Set(list.flatMap((record) => Object.keys(record)))];
}

describe('every preset', () => {
  const cases = Object.values(PRESETS).flatMap((preset) => {
    const name = preset.id.replace('/', '-');
    return [
      ...(preset.csv ? [{ preset, file: `${name}.csv`, mapping: preset.csv, records: undefined }] : []),
      ...(preset.json
        ? [{ preset, file: `${name}.json`, mapping: preset.json, records: preset.json.records }]
        : []),
    ];
  });

  it.each(cases)('$preset.id compiles against the header of $file', ({ preset, file, mapping, records }) => {
    const columns = sampleColumns(file, records).map((name) => ({
      name,
      type: file.endsWith('.csv') ? 'VARCHAR' : 'JSON',
      value: sql.id(name),
    }));
    const derived = derivedColumns(preset.id, mapping.derive, { ...FUNCTIONS, ...preset.functions }).compile(
      columns,
    );
    expect(derived.map((d) => d.name)).toEqual(Object.keys(mapping.derive));
    expect(preset.reference).toMatch(/^https:\/\//);
  });
});

/** The `derive:` blocks of docs/presets.md, by their title line (`# stripe/customers, CSV`). */
function documentedBlocks(): Map<string, Record<string, string>> {
  const text = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'presets.md'), 'utf8');
  const blocks = new Map<string, Record<string, string>>();
  for (const [, title, body] of text.matchAll(/```yaml\n# ([^\n]+)\n(derive:\n[\s\S]*?)```/g))
    blocks.set(title ?? '', (parse(body ?? '') as { derive: Record<string, string> }).derive);
  return blocks;
}

describe('the presets documentation', () => {
  it('shows every preset exactly as Strata applies it, and the README lists each', () => {
    const blocks = documentedBlocks();
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    for (const preset of Object.values(PRESETS)) {
      expect(readme).toContain(`| \`${preset.id}\` | ${preset.table} |`);
      if (preset.csv) expect(blocks.get(`${preset.id}, CSV`)).toEqual(preset.csv.derive);
      if (preset.json)
        expect(blocks.get(`${preset.id}, JSON (records: ${preset.json.records})`)).toEqual(
          preset.json.derive,
        );
    }
  });

  it('imports Intercom conversations with the documented derive: (rating 1-5 as it is)', async () => {
    const derive = documentedBlocks().get('intercom conversations, JSON (records: conversations)');
    expect(derive).toBeDefined();
    const source = {
      file: 'intercom-conversations.json',
      table: 'tickets',
      records: 'conversations',
      derive,
    } as SourceConfig;
    await store.execute(testSql('DELETE FROM tickets'));
    await store.importFile(
      sourceRequest(
        { dir: samples, config: { sources: { intercom: source } } },
        'intercom',
        source,
        'tickets',
      ),
    );
    expect(
      await rows(
        'SELECT ticket_id, account_id, created_at, resolved_at, priority, csat FROM tickets ORDER BY ticket_id',
      ),
    ).toEqual([
      {
        ticket_id: '1001',
        account_id: 'acme',
        created_at: '2024-02-01T09:00:00.000Z',
        resolved_at: '2024-02-01T12:00:00.000Z',
        priority: 'high',
        csat: 4,
      },
      {
        ticket_id: '1002',
        account_id: 'globex',
        created_at: '2024-02-02T10:00:00.000Z',
        resolved_at: null,
        priority: 'normal',
        csat: null,
      },
    ]);
  });
});
