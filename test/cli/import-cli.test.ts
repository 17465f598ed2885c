import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../src/store/duckdb/migrations.js';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { EXPECTED_REPORT, IDENTITY_FIXTURES } from '../identity/identity-fixture.js';

// The commands run in this process (helpers/in-process-cli.ts): their answers and printed text
// are the point, not the process around them, and a process start costs half a second.
const fixtures = join(import.meta.dirname, '..', 'fixtures');
const ws = join(tempDir(), 'ws');

describe('strata init / import / status', () => {
  it('creates a workspace, refuses to overwrite it, and imports a file with --map', async () => {
    expect((await cliInProcess(['init', '-w', ws])).code).toBe(0);
    const again = await cliInProcess(['init', '-w', ws]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; pass --force/);

    const run = await cliInProcess([
      'import',
      'accounts',
      join(fixtures, 'accounts.csv'),
      '--map',
      'employees=employee_count',
      '-w',
      ws,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const [result] = run.json<{ imports: { inserted: number; extraColumns: string[] }[] }>().imports;
    expect(result?.inserted).toBe(3);
    expect(result?.extraColumns).toEqual(['csm_owner', 'zip']);
  });

  it('prints each invalid row as file:line [column]: reason and exits 1', async () => {
    const file = join(fixtures, 'accounts_bad.csv');
    const run = await cliInProcess(['import', 'accounts', file, '-w', ws]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: ${file}: 6 invalid rows of 8; nothing from this file was imported`);
    expect(run.stderr).toContain(`${file}:3 [employees]: expected a whole number, found "lots"`);
    expect(run.stderr).toContain(`${file}:7 [account_id]: missing value`);
    expect(run.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace without --debug
  });

  it('gives errors as JSON with --json', async () => {
    const run = await cliInProcess(['import', 'acounts', join(fixtures, 'accounts.csv'), '-w', ws, '--json']);
    expect(run.code).toBe(1);
    expect(run.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'unknown_table',
      message: expect.stringContaining("did you mean 'accounts'"),
    });
  });

  it('reports rows and date ranges per table', async () => {
    await cliInProcess([
      'import',
      'events',
      join(fixtures, 'events.ndjson'),
      '--map',
      'event_id=messageId',
      '-w',
      ws,
    ]);
    const run = await cliInProcess(['status', '-w', ws, '--json']);
    expect(run.code).toBe(0);
    const tables = run.json<{
      schemaVersion: number;
      tables: { table: string; rows: number; from: string | null; to: string | null }[];
    }>();
    expect(tables.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(tables.tables.find((t) => t.table === 'accounts')?.rows).toBe(3);
    expect(tables.tables.find((t) => t.table === 'events')).toEqual({
      table: 'events',
      rows: 3,
      from: '2024-05-01T08:05:00Z',
      to: '2024-05-02T08:00:00Z',
    });
    const text = await cliInProcess(['status', '-w', ws]);
    expect(text.stdout).toMatch(/events\s+3\s+2024-05-01\s+2024-05-02/);
  });
});

describe('strata import of strata.yaml sources', () => {
  const dir = join(tempDir(), 'sources');
  const yaml = (events: string) => `store: { engine: duckdb, path: .strata/strata.duckdb }
sources:
  accounts: { file: ${join(fixtures, 'accounts.csv')}, map: { employees: employee_count } }
  invoice_lines:
    table: events
    file: ${events}
    derive: { account_id: customer, event: "'invoice_line'", ts: day, amount: "qty * price" }
`;

  it('dry-runs every source, then names the sources committed before one that fails', async () => {
    mkdirSync(dir, { recursive: true });
    // Two identical lines (one sale twice) and one whose quantity is not a number.
    const lines = join(dir, 'lines.csv');
    writeFileSync(
      lines,
      'customer,qty,price,day\nacc_1,2,5,2024-05-01\nacc_1,2,5,2024-05-01\nacc_2,x,5,2024-05-02\n',
    );
    writeFileSync(join(dir, 'strata.yaml'), yaml(lines));

    const dry = await cliInProcess(['import', '--dry-run', '-w', dir, '--json']);
    expect(dry.code).toBe(0);
    expect(dry.json<{ imports: unknown[] }>().imports).toMatchObject([
      { source: 'accounts', table: 'accounts', rowsRead: 3, inserted: 3, dryRun: true, wouldRefuse: false },
      {
        source: 'invoice_lines',
        table: 'events',
        rowsRead: 3,
        inserted: 2,
        skipped: 1,
        wouldRefuse: true,
        errors: [
          {
            file: lines,
            line: 4,
            column: 'amount',
            reason: `derived column 'amount': expected a number in column 'qty', found "x"`,
          },
        ],
      },
    ]);
    const dryText = await cliInProcess(['import', '--dry-run', '-w', dir]);
    expect(dryText.stdout).toContain('Dry run: nothing was written.');
    expect(dryText.stdout).toContain(
      'source invoice_lines: 1 invalid row; the import would refuse this source',
    );
    expect(
      (await cliInProcess(['status', '-w', dir, '--json']))
        .json<{ tables: { table: string; rows: number }[] }>()
        .tables.every((t) => t.rows === 0),
    ).toBe(true);

    const run = await cliInProcess(['import', '-w', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `error: source invoice_lines: ${lines}: 1 invalid row of 3; nothing from this file was imported`,
    );
    expect(run.stderr).toContain('imported before it: accounts (3 rows written)');
    expect(run.stderr).toContain(`${lines}:4 [amount]: derived column 'amount'`);
    const json = (await cliInProcess(['import', '-w', dir, '--json'])).json<{
      error: { details?: unknown } & Record<string, unknown>;
    }>();
    expect(JSON.stringify(json.error)).toContain('"source":"invoice_lines"');

    // Fixed: the two identical lines are two sales.
    writeFileSync(
      lines,
      'customer,qty,price,day\nacc_1,2,5,2024-05-01\nacc_1,2,5,2024-05-01\nacc_2,3,5,2024-05-02\n',
    );
    const fixed = await cliInProcess(['import', '--source', 'invoice_lines', '-w', dir, '--json']);
    expect(fixed.json<{ imports: unknown[] }>().imports).toMatchObject([
      { source: 'invoice_lines', inserted: 3, skipped: 0 },
    ]);
    const unknown = await cliInProcess(['import', '--source', 'invoices', '-w', dir]);
    expect(unknown.stderr).toContain("no source 'invoices'");
  });

  it('reports the identity rules over imported users with identity report --json', async () => {
    const dir = join(tempDir(), 'identity');
    expect((await cliInProcess(['init', '-w', dir])).code).toBe(0);
    appendFileSync(join(dir, 'strata.yaml'), '\nidentity:\n  excludeDomains: [Agency.com]\n');
    for (const table of ['accounts', 'users'])
      expect(
        (await cliInProcess(['import', table, join(IDENTITY_FIXTURES, `${table}.csv`), '-w', dir])).code,
      ).toBe(0);
    const run = await cliInProcess(['identity', 'report', '-w', dir, '--json']);
    expect(run.code).toBe(0);
    expect(run.json()).toEqual(EXPECTED_REPORT);
    const text = (await cliInProcess(['identity', 'report', '-w', dir])).stdout;
    expect(text).toContain('10 users, 10 linked to an account (rules in order: explicit and domain)');
    expect(text).toContain('2 users in several accounts: u02 (2), u07 (2)');
  });
});
