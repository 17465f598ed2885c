import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { checkSource } from '../../src/sources/check-source.js';
import { type DeriveEntry, derivedColumns } from '../../src/sources/derive/derive-columns.js';
import { FUNCTIONS } from '../../src/sources/derive/functions.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import type { ImportRequest } from '../../src/store/store.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Derived columns (`derive:`) through the real importer on a DuckDB file, with files shaped
 * like the public data sets a new user tried: a churn table with a tenure in months and a
 * Yes/No label but no signup date, and invoice lines without an id where identical lines are
 * separate sales. Every expected value is worked out by hand in the comments.
 */

const dir = tempDir();
let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'strata.duckdb'));
});
afterAll(() => store.close());

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const importWith = (request: Omit<ImportRequest, 'derive'>, derive: Record<string, DeriveEntry>) =>
  store.importFile({ ...request, derive: derivedColumns('test', derive) });

async function thrown(work: Promise<unknown>): Promise<StrataError> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StrataError);
  return error as StrataError;
}

describe('derived columns', () => {
  it('imports a churn table with a tenure in months and a Yes/No label, with no signup date', async () => {
    const churn = file(
      'churn.csv',
      'customerID,tenure,Churn,MonthlyCharges\n7590-VHVEG,1,No,29.85\n5575-GNVDE,34,No,56.95\n3668-QPYBK,2,Yes,53.85\n',
    );
    const result = await importWith(
      { table: 'accounts', file: churn, map: { account_id: 'customerID' } },
      {
        created_at: "addMonths(timestamp('2024-06-01'), -tenure)",
        churned: "Churn = 'Yes'",
        mrr: 'MonthlyCharges',
        plan: { value: 'monthly' },
      },
    );
    expect(result).toMatchObject({ rowsRead: 3, inserted: 3, skipped: 0 });
    const rows = await store.query<{
      account_id: string;
      created_at: string;
      mrr: number;
      plan: string;
      churned: boolean;
    }>(
      sql`SELECT account_id, created_at, mrr, plan, CAST(traits->>'churned' AS BOOLEAN) AS churned FROM accounts ORDER BY account_id`,
    );
    // 2024-06-01 less 2, 34 and 1 months.
    expect(rows).toEqual([
      {
        account_id: '3668-QPYBK',
        created_at: '2024-04-01T00:00:00.000Z',
        mrr: 53.85,
        plan: 'monthly',
        churned: true,
      },
      {
        account_id: '5575-GNVDE',
        created_at: '2021-08-01T00:00:00.000Z',
        mrr: 56.95,
        plan: 'monthly',
        churned: false,
      },
      {
        account_id: '7590-VHVEG',
        created_at: '2024-05-01T00:00:00.000Z',
        mrr: 29.85,
        plan: 'monthly',
        churned: false,
      },
    ]);
  });

  it('keeps every one of identical invoice lines without an id, with ids stable across re-imports', async () => {
    // Lines 2 and 3 are the same sale twice (same invoice, product, quantity and second): two sales.
    const lines = file(
      'transactions.csv',
      [
        'InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID',
        '536365,85123A,6,2010-12-01 08:26:00,2.55,17850.0',
        '536365,85123A,6,2010-12-01 08:26:00,2.55,17850.0',
        '536365,71053,6,2010-12-01 08:26:00,3.39,17850.0',
        '536366,22633,6,2010-12-01 08:28:00,1.85,17851.0',
        '536365,85123A,6,2010-12-01 08:26:00,2.55,17850.0',
        '',
      ].join('\n'),
    );
    const derive = {
      account_id: 'integer(CustomerID)',
      event: "'invoice_line'",
      ts: 'InvoiceDate',
      revenue: 'round(Quantity * UnitPrice, 2)',
    };
    const first = await importWith({ table: 'events', file: lines }, derive);
    expect(first).toMatchObject({ rowsRead: 5, inserted: 5, unchanged: 0, skipped: 0 });
    const again = await importWith({ table: 'events', file: lines }, derive);
    expect(again).toMatchObject({ rowsRead: 5, inserted: 0, unchanged: 5, skipped: 0 });
    const sales = await store.query<{ account_id: string; lines: number; ids: number; revenue: number }>(
      sql`SELECT account_id, count(*) AS lines, count(DISTINCT event_id) AS ids,
            round(sum(CAST(properties->>'revenue' AS DOUBLE)), 2) AS revenue
          FROM events WHERE event = 'invoice_line' GROUP BY account_id ORDER BY account_id`,
    );
    // 17850: three lines of 6 x 2.55 = 15.30 and one of 6 x 3.39 = 20.34: 66.24. The float
    // id 17850.0 is the whole number 17850.
    expect(sales).toEqual([
      { account_id: '17850', lines: 4, ids: 4, revenue: 66.24 },
      { account_id: '17851', lines: 1, ids: 1, revenue: 11.1 },
    ]);
  });

  it('computes each function as documented', async () => {
    const expressions: Record<string, string> = {
      per_year: "monthly(amount, 'year')", // 1200 / 12
      per_fortnight: "monthly(30, 'week', 2)", // 30 a fortnight: 30 x 52 / 12 / 2
      month_end: 'text(addMonths(when, 1))', // 2024 is a leap year
      half_day: 'text(addDays(when, 0.5))',
      days: "daysBetween(timestamp('2024-01-01'), when)", // 30 days and 10 hours
      part: "split(label, '-', 2)",
      whole: 'text(number(amount) / 100)', // 12.0 is written 12
      yes: 'boolean(flag)',
      pick: "if(amount > 1000, 'big', 'small')",
      ternary: "amount < 1000 ? 'small' : 'big'",
      first: "coalesce(col('missing_value'), label)",
      least: 'min(3, amount, 7.5)',
      total: 'sumOf(json(list).items, q * p)', // 2 x 3.5 + 1 x 10
      count: 'countOf(json(list).items)',
      field: 'json(list).items[1].p',
      from_unix: 'text(unixTime(1700000000))',
      joined: "concat(label, '/', amount, '/', yes_no)",
      rounded: 'round(2.5)',
      modulo: 'amount % 7', // 1200 = 171 x 7 + 3
      upper: 'upper(trim(label))',
      either: 'anyCol("Label", "label")', // the first name the file has (ignoring case)
      absent: 'coalesce(optionalCol("Address Country"), "none")', // the file has no such column
      // A JSON null is empty, as a missing key is: coalesce of two JSON fields passes over it.
      json_null: `coalesce(json('{"a": null}').a, json('{"b": 5}').b)`,
    };
    // A column the file does not have, used by coalesce above: empty in every row.
    const withEmpty = file(
      'one-empty.csv',
      `${'id,amount,interval,when,label,flag,list,missing_value,yes_no'}\n${'f1,1200,year,2024-01-31T10:00:00Z,a-b-c,Y,"{""items"":[{""q"":2,""p"":3.5},{""q"":1,""p"":10}]}",,no'}\n`,
    );
    const result = await importWith(
      { table: 'users', file: withEmpty, map: { user_id: 'id', account_id: 'label' } },
      expressions,
    );
    expect(result.skipped).toBe(0);
    const [row] = await store.query<{ traits: string }>(
      sql`SELECT CAST(traits AS VARCHAR) AS traits FROM users WHERE user_id = 'f1'`,
    );
    const traits = JSON.parse(row?.traits ?? '{}') as Record<string, unknown>;
    expect(traits).toMatchObject({
      per_year: 100,
      per_fortnight: 65,
      month_end: '2024-02-29T10:00:00.000000Z',
      half_day: '2024-01-31T22:00:00.000000Z',
      days: 30 + 10 / 24,
      part: 'b',
      whole: '12',
      yes: true,
      pick: 'big',
      ternary: 'big',
      first: 'a-b-c',
      least: 3,
      total: 17,
      count: 2,
      field: 10,
      from_unix: '2023-11-14T22:13:20.000000Z',
      joined: 'a-b-c/1200/no',
      rounded: 3,
      modulo: 3,
      upper: 'A-B-C',
      either: 'a-b-c',
      absent: 'none',
      json_null: 5,
    });
  });

  it('reports a value a derived column cannot convert at its line, and writes nothing', async () => {
    const bad = file('bad-tenure.csv', 'customerID,tenure\nc1,3\nc2,abc\nc3,4.5\n');
    const error = await thrown(
      importWith(
        { table: 'accounts', file: bad, map: { account_id: 'customerID' } },
        { created_at: "addMonths(timestamp('2024-06-01'), -tenure)" },
      ),
    );
    expect(error.code).toBe('invalid_rows');
    const rows = (error.details as { errors: { line: number; column: string; reason: string }[] }).errors;
    // Line 3: not a number; line 4: 4.5 months is not a whole number of months.
    expect(rows).toEqual([
      {
        file: bad,
        line: 3,
        column: 'created_at',
        reason: `derived column 'created_at': expected a number in column 'tenure', found "abc"`,
      },
      {
        file: bad,
        line: 4,
        column: 'created_at',
        reason: `derived column 'created_at': expected a whole number, found "-4.5"`,
      },
    ]);
    const stored = await store.query<{ n: number }>(
      sql`SELECT count(*) AS n FROM accounts WHERE account_id IN ('c1', 'c2', 'c3')`,
    );
    expect(stored[0]?.n).toBe(0);
  });

  it('refuses a bad expression before reading any row, naming the source, the column and the problem', async () => {
    const churn = join(dir, 'churn.csv');
    const unknown = await thrown(
      importWith(
        { table: 'accounts', file: churn, map: { account_id: 'customerID' } },
        { created_at: 'tenur * 2' },
      ),
    );
    expect(unknown.message).toMatch(
      /^sources\.test\.derive\.created_at: the expression names 'tenur', which is not a column of the file - did you mean 'tenure'\?/,
    );
    const mixed = await thrown(
      importWith(
        { table: 'accounts', file: churn, map: { account_id: 'customerID' } },
        { created_at: "timestamp('2024-01-01') + 1" },
      ),
    );
    expect(mixed.message).toContain('does arithmetic on a date; use addDays, addMonths or daysBetween');
    const boolean = await thrown(
      importWith(
        { table: 'accounts', file: churn, map: { account_id: 'customerID' } },
        { x: "(Churn = 'Yes') * 2" },
      ),
    );
    expect(boolean.message).toContain('cannot use true or false as a number');

    // Syntax and unknown functions are found when strata.yaml is loaded, before any file is opened.
    expect(
      checkSource('accounts', { file: 'a.csv', derive: { created_at: 'addMonth(x, 1)' } }),
    ).toMatchObject({
      path: ['derive', 'created_at'],
      message: expect.stringContaining("calls 'addMonth', which is not a function Strata knows"),
    });
    expect(checkSource('accounts', { file: 'a.csv', derive: { a: 'tenure *' } })?.message).toMatch(
      /^the expression cannot be read/,
    );
    expect(
      checkSource('accounts', { file: 'a.csv', derive: { a: "concat(x, '\\u0041')" } })?.message,
    ).toContain('has a \\u or \\x escape, which is not read');
    expect(checkSource('invoices', { file: 'a.csv' })?.message).toMatch(
      /^unknown table 'invoices'.*table: or preset:/,
    );
    expect(checkSource('invoices', { file: 'a.csv', table: 'events' })).toBeNull();
  });

  it('derives a subscription status from its end where the file has none', async () => {
    const periods = file(
      'periods.csv',
      'account_id,plan,mrr,starts_at,ends_at\ns1,pro,100,2024-01-01,2024-03-01\ns2,pro,100,2024-01-01,\n',
    );
    await store.importFile({ table: 'subscriptions', file: periods });
    const rows = await store.query<{ account_id: string; status: string }>(
      sql`SELECT account_id, status FROM subscriptions WHERE account_id IN ('s1', 's2') ORDER BY account_id`,
    );
    expect(rows).toEqual([
      { account_id: 's1', status: 'canceled' },
      { account_id: 's2', status: 'active' },
    ]);
  });

  it('reads a JSON list answer and dry-runs a change without writing it', async () => {
    const page = file(
      'customers.json',
      JSON.stringify(
        {
          object: 'list',
          data: [
            { id: 'cus_1', created: 1704067200, metadata: { tier: 'gold' } },
            { id: 'cus_2', created: 1706745600, metadata: {} },
          ],
          has_more: false,
        },
        null,
        2,
      ),
    );
    const derive = { account_id: 'id', created_at: 'unixTime(created)', tier: 'metadata.tier' };
    const first = await importWith({ table: 'accounts', file: page, records: 'data' }, derive);
    expect(first).toMatchObject({ rowsRead: 2, inserted: 2 });
    const stored = await store.query<{ account_id: string; created_at: string; tier: string | null }>(
      sql`SELECT account_id, created_at, traits->>'tier' AS tier FROM accounts WHERE account_id LIKE 'cus_%' ORDER BY account_id`,
    );
    // 1704067200 s is 2024-01-01T00:00Z; 1706745600 s is 31 days later.
    expect(stored).toEqual([
      { account_id: 'cus_1', created_at: '2024-01-01T00:00:00.000Z', tier: 'gold' },
      { account_id: 'cus_2', created_at: '2024-02-01T00:00:00.000Z', tier: null },
    ]);

    // One customer changed, one new: the dry run says so, and the table is as it was.
    writeFileSync(
      page,
      JSON.stringify({
        data: [
          { id: 'cus_1', created: 1704067200, metadata: { tier: 'platinum' } },
          { id: 'cus_2', created: 1706745600, metadata: {} },
          { id: 'cus_3', created: 1706745600 },
        ],
      }),
    );
    const dry = await importWith({ table: 'accounts', file: page, records: 'data', dryRun: true }, derive);
    expect(dry).toMatchObject({
      dryRun: true,
      rowsRead: 3,
      inserted: 1,
      updated: 1,
      unchanged: 1,
      skipped: 0,
    });
    const after = await store.query<{ n: number; tier: string }>(
      sql`SELECT count(*) AS n, max(traits->>'tier') AS tier FROM accounts WHERE account_id LIKE 'cus_%'`,
    );
    expect(after).toEqual([{ n: 2, tier: 'gold' }]);

    const missing = await thrown(importWith({ table: 'accounts', file: page, records: 'results' }, derive));
    expect(missing.message).toMatch(/holds no list of records at 'results' \(its keys: data\)/);
  });

  it('documents every function in the README', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    for (const fn of Object.values(FUNCTIONS)) expect(readme).toContain(`| \`${fn.usage}\` | ${fn.doc} |`);
  });
});
