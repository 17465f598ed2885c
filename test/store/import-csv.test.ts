import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const dir = tempDir();
let store: DuckDBStore;

beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'strata.duckdb'));
});
afterAll(() => store.close());

const accounts = () =>
  store.query<Record<string, unknown>>(
    sql`SELECT account_id, name, created_at, employees, mrr, renewal_at, traits FROM accounts ORDER BY account_id`,
  );

describe('CSV import', () => {
  it('maps columns, coerces types, converts offsets to UTC and keeps extra columns in traits', async () => {
    const result = await store.importFile({
      table: 'accounts',
      file: join(fixtures, 'accounts.csv'),
      map: { employees: 'employee_count' },
    });
    expect(result).toMatchObject({ rowsRead: 3, inserted: 3, updated: 0, unchanged: 0, skipped: 0 });
    expect(result.extraColumns).toEqual(['csm_owner', 'zip']);
    expect(await accounts()).toEqual([
      {
        account_id: 'acc_1',
        name: 'Acme Health',
        created_at: '2024-01-15T09:30:00.000Z',
        employees: 1200,
        mrr: 4000,
        renewal_at: '2025-01-15T00:00:00.000Z',
        // The zip code keeps its leading zero: CSV extras stay text.
        traits: '{"csm_owner":"dana","zip":"02139"}',
      },
      {
        account_id: 'acc_2',
        name: 'Globex',
        // 12:00 at +02:00 is 10:00 UTC.
        created_at: '2024-02-01T10:00:00.000Z',
        employees: 45,
        mrr: 99.5,
        renewal_at: null,
        traits: '{"csm_owner":"li"}',
      },
      {
        account_id: 'acc_3',
        name: 'Initech, Inc.',
        created_at: '2024-03-10T00:00:00.000Z',
        employees: 300,
        mrr: 800,
        renewal_at: '2025-03-10T00:00:00.000Z',
        traits: '{"zip":"10001"}',
      },
    ]);
  });

  it('is idempotent: the same file again changes nothing; a changed row replaces the old value', async () => {
    const again = await store.importFile({
      table: 'accounts',
      file: join(fixtures, 'accounts.csv'),
      map: { employees: 'employee_count' },
    });
    expect(again).toMatchObject({ rowsRead: 3, inserted: 0, updated: 0, unchanged: 3 });
    const changed = join(dir, 'accounts-changed.csv');
    writeFileSync(
      changed,
      'account_id,created_at,mrr\nacc_2,2024-02-01T10:00:00Z,199\nacc_9,2024-07-01,10\n',
    );
    const result = await store.importFile({ table: 'accounts', file: changed });
    expect(result).toMatchObject({ rowsRead: 2, inserted: 1, updated: 1, unchanged: 0 });
    expect((await accounts()).map((a) => [a.account_id, a.mrr])).toEqual([
      ['acc_1', 4000],
      ['acc_2', 199],
      ['acc_3', 800],
      ['acc_9', 10],
    ]);
  });

  it('reports every invalid row with file, line, column and reason, and writes nothing', async () => {
    const file = join(fixtures, 'accounts_bad.csv');
    const before = await accounts();
    const error = (await store
      .importFile({ table: 'accounts', file })
      .catch((e: unknown) => e)) as StrataError;
    expect(error).toBeInstanceOf(StrataError);
    expect(error.code).toBe('invalid_rows');
    expect(error.message).toContain('6 invalid rows of 8; nothing from this file was imported');
    const rows = (error.details as { errors: { line: number; column: string | null; reason: string }[] })
      .errors;
    expect(rows.map((r) => [r.line, r.column])).toEqual([
      [3, 'employees'],
      [4, 'created_at'],
      [5, null],
      [6, null],
      [7, 'account_id'],
      [8, 'employees'],
    ]);
    expect(rows[0]?.reason).toBe('expected a whole number, found "lots"');
    expect(rows[1]?.reason).toMatch(/^expected an ISO-8601 date or timestamp .*found "yesterday"$/);
    expect(rows[2]?.reason).toMatch(/too many columns/);
    expect(rows[3]?.reason).toMatch(/duplicate key \(account_id\) = acc_1/);
    expect(rows[4]?.reason).toBe('missing value');
    expect(rows[5]?.reason).toBe('employees must be at least 0, found -5');
    expect(await accounts()).toEqual(before);
    expect(
      await store.query(testSql(`SELECT count(*) AS n FROM strata_imports WHERE file = '${file}'`)),
    ).toEqual([{ n: 0 }]);
  });

  it('refuses a NUL in any text column, naming its line and column, as the ingestion API does', async () => {
    // Line 3's id and line 4's name hold a NUL byte; line 2 is fine; nothing is imported.
    const file = join(dir, 'nul.csv');
    writeFileSync(
      file,
      'account_id,name,created_at\nacc_n1,Fine,2024-01-01\nacc\u0000n2,B,2024-01-02\nacc_n3,C\u0000,2024-01-03\n',
    );
    const error = (await store
      .importFile({ table: 'accounts', file })
      .catch((e: unknown) => e)) as StrataError;
    expect(error).toBeInstanceOf(StrataError);
    const rows = (error.details as { errors: { line: number; column: string | null; reason: string }[] })
      .errors;
    expect(rows.map((r) => [r.line, r.column, r.reason])).toEqual([
      [3, 'account_id', 'contains a NUL character (\\u0000), which cannot be stored'],
      [4, 'name', 'contains a NUL character (\\u0000), which cannot be stored'],
    ]);
    expect(await store.query(sql`SELECT count(*) AS n FROM accounts WHERE account_id = 'acc_n1'`)).toEqual([
      { n: 0 },
    ]);
  });

  it('with skipInvalid imports the valid rows and counts the rest', async () => {
    const file = join(dir, 'bad-copy.csv');
    copyFileSync(join(fixtures, 'accounts_bad.csv'), file);
    const result = await store.importFile({ table: 'accounts', file, skipInvalid: true });
    // Valid: acc_1 (line 2, its first occurrence) and acc_8; acc_1 already exists with other values.
    expect(result).toMatchObject({ rowsRead: 8, skipped: 6, inserted: 1, updated: 1 });
    const rows = await store.query<{ account_id: string; name: string; employees: number }>(
      sql`SELECT account_id, name, employees FROM accounts WHERE account_id IN ('acc_1', 'acc_8') ORDER BY 1`,
    );
    expect(rows).toEqual([
      { account_id: 'acc_1', name: 'Acme', employees: 1200 },
      { account_id: 'acc_8', name: 'Fine', employees: 20 },
    ]);
  });

  it('names a missing required column and suggests the mapping', async () => {
    const error = (await store
      .importFile({ table: 'accounts', file: join(fixtures, 'accounts_missing_column.csv') })
      .catch((e: unknown) => e)) as StrataError;
    expect(error.code).toBe('missing_column');
    expect(error.message).toMatch(/lacks required column 'created_at' for table accounts/);
    expect(error.message).toMatch(/--map created_at=<column>/);
  });

  it('suggests the nearest name for a mistyped --map', async () => {
    const error = (await store
      .importFile({
        table: 'accounts',
        file: join(fixtures, 'accounts.csv'),
        map: { employes: 'employee_count' },
      })
      .catch((e: unknown) => e)) as StrataError;
    expect(error.code).toBe('unknown_column');
    expect(error.message).toMatch(/'employes' is not a column of accounts - did you mean 'employees'\?/);
  });

  it('reads ISO-8601 timestamps in their common forms, as UTC', async () => {
    await store.importFile({ table: 'accounts', file: join(fixtures, 'timestamps.csv') });
    const rows = await store.query<{ account_id: string; created_at: string }>(
      sql`SELECT account_id, created_at FROM accounts WHERE account_id LIKE 't%' ORDER BY 1`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.account_id, r.created_at]))).toEqual({
      t1: '2024-01-05T10:00:00.000Z',
      t2: '2024-01-05T04:30:00.123Z', // 10:00 at +05:30
      t3: '2024-01-05T00:00:00.000Z',
      t4: '2024-01-05T10:00:00.000Z',
      t5: '2024-01-05T18:00:00.000Z', // 10:00 at -08:00
      t6: '2024-01-05T10:00:00.000Z', // basic format
      t7: '2024-01-05T05:00:00.000Z', // 10:00 at +05
      t8: '2024-01-05T10:00:00.000Z',
      // A row with an offset must not shift later rows written without one.
      t9: '2024-01-05T04:30:00.000Z', // basic format at +05:30
      t10: '2024-01-05T10:00:00.000Z',
      t11: '2024-01-05T08:00:00.000Z', // minutes only, at +02:00
      t12: '2024-01-05T10:00:00.000Z',
      t13: '2024-01-05T08:00:00.000Z', // a space before +0200
      t14: '2024-01-05T11:00:00.500Z', // and before -01:00, with a fraction
    });
  });

  it('fails clearly on a file that does not exist', async () => {
    await expect(store.importFile({ table: 'accounts', file: join(dir, 'nope.csv') })).rejects.toThrow(
      /nope\.csv: no such file/,
    );
  });
});

describe('CSV import of awkward names', () => {
  it('takes quotes in file names, column names and values as data, never as SQL', async () => {
    const odd = join(dir, 'o\'brien "co".csv');
    writeFileSync(
      odd,
      `account_id,created_at,"it's ""odd""",x'); DROP TABLE accounts; --\nacc_q,2024-01-01,"a'b","c""d"\n`,
    );
    const result = await store.importFile({ table: 'accounts', file: odd });
    expect(result).toMatchObject({ inserted: 1 });
    const [row] = await store.query<{ traits: string }>(
      sql`SELECT traits FROM accounts WHERE account_id = 'acc_q'`,
    );
    expect(JSON.parse(row?.traits ?? '{}')).toEqual({
      'it\'s "odd"': "a'b",
      "x'); DROP TABLE accounts; --": 'c"d',
    });
    expect((await store.query<{ n: number }>(sql`SELECT count(*) AS n FROM accounts`))[0]?.n).toBeGreaterThan(
      1,
    );
  });
});

describe('account hierarchies at import', () => {
  // Its own store: the cycles below are refused against exactly the accounts written here.
  let tree: DuckDBStore;
  beforeAll(async () => {
    tree = await DuckDBStore.open(join(dir, 'hierarchy.duckdb'));
  });
  afterAll(() => tree.close());
  const importCsv = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return tree.importFile({ table: 'accounts', file }).catch((e: unknown) => e as StrataError);
  };
  const parents = () =>
    tree.query<{ account_id: string; parent_account_id: string | null }>(
      sql`SELECT account_id, parent_account_id FROM accounts ORDER BY account_id`,
    );

  it('stores parent_account_id, a parent not imported yet included', async () => {
    // g <- p <- c1, c2; g's own parent `holding` is in no file yet, which is allowed.
    const result = await importCsv(
      'tree.csv',
      'account_id,created_at,parent_account_id\ng,2024-01-01,holding\np,2024-01-01,g\nc1,2024-01-01,p\nc2,2024-01-01,p\n',
    );
    expect(result).toMatchObject({ inserted: 4 });
    expect(await parents()).toEqual([
      { account_id: 'c1', parent_account_id: 'p' },
      { account_id: 'c2', parent_account_id: 'p' },
      { account_id: 'g', parent_account_id: 'holding' },
      { account_id: 'p', parent_account_id: 'g' },
    ]);
  });

  it('refuses a cycle within one file, a cycle through a stored account and a self-parent, writing nothing', async () => {
    const before = await parents();
    const cases = [
      // A cycle is shown from its smallest account id. x -> y -> x, both in the file.
      [
        'pair.csv',
        'account_id,created_at,parent_account_id\nx,2024-01-01,y\ny,2024-01-01,x\n',
        'x -> y -> x',
      ],
      // g becomes the child of c1, stored under p, stored under g: c1 -> p -> g -> c1.
      ['stored.csv', 'account_id,created_at,parent_account_id\ng,2024-01-01,c1\n', 'c1 -> p -> g -> c1'],
      ['self.csv', 'account_id,created_at,parent_account_id\ns,2024-01-01,s\n', 's -> s'],
    ] as const;
    for (const [name, text, cycle] of cases) {
      const error = await importCsv(name, text);
      expect(error).toBeInstanceOf(StrataError);
      expect((error as StrataError).code).toBe('hierarchy_cycle');
      expect((error as StrataError).message).toBe(
        `${join(dir, name)}: parent_account_id would make a cycle: ${cycle}; an account cannot be its own ancestor, and nothing from this file was imported`,
      );
      expect(await parents()).toEqual(before);
    }
  });

  it('refuses a chain of more than 16 parents, which roll-ups could not walk', async () => {
    // a0 -> a1 -> ... -> a17: a0 has 17 ancestors; a1 has 16, the most allowed.
    const rows = Array.from({ length: 18 }, (_, i) => `a${i},2024-01-01,${i < 17 ? `a${i + 1}` : ''}`);
    const error = (await importCsv(
      'deep.csv',
      `account_id,created_at,parent_account_id\n${rows.join('\n')}\n`,
    )) as StrataError;
    expect(error.code).toBe('hierarchy_too_deep');
    expect(error.message).toContain('a chain of more than 16 parents above a0;');
    const dryRun = tree.importFile({ table: 'accounts', file: join(dir, 'deep.csv'), dryRun: true });
    await expect(dryRun).rejects.toMatchObject({ code: 'hierarchy_too_deep' });
    const ok = await importCsv(
      'deep-ok.csv',
      `account_id,created_at,parent_account_id\n${rows.slice(1).join('\n')}\n`,
    );
    expect(ok).toMatchObject({ inserted: 17 });
  });
});
