import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { duckdbDialect } from '../../src/dialect/duckdb/duckdb-dialect.js';
import { StrataError } from '../../src/errors.js';
import { TABLE_NAMES, TABLES } from '../../src/model/tables.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { LATEST_SCHEMA_VERSION } from '../../src/store/duckdb/migrations.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir();

describe('DuckDB store schema', () => {
  it('creates every table of the data model with the model columns and types', async () => {
    const store = await DuckDBStore.open(join(dir, 'fresh', 'strata.duckdb'));
    expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    for (const name of TABLE_NAMES) {
      const columns = await store.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${name}' ORDER BY ordinal_position`,
      );
      expect(columns.map((c) => [c.column_name, c.data_type])).toEqual(
        TABLES[name].columns.map((c) => [c.name, duckdbDialect.columnType(c.type)]),
      );
    }
    await store.close();
  });

  it('upgrades a file written at schema version 1 and keeps its rows', async () => {
    const path = join(dir, 'old', 'strata.duckdb');
    const old = await DuckDBStore.open(path, { migrateTo: 1 });
    expect(await old.schemaVersion()).toBe(1);
    await old.execute(
      `INSERT INTO accounts (account_id, created_at) VALUES ('acc_1', TIMESTAMP '2024-01-01')`,
    );
    expect(
      await old.query(`SELECT table_name FROM information_schema.tables WHERE table_name = 'strata_imports'`),
    ).toEqual([]);
    await old.close();

    const upgraded = await DuckDBStore.open(path);
    expect(await upgraded.schemaVersion()).toBe(3);
    expect(await upgraded.query('SELECT count(*) AS n FROM strata_imports')).toEqual([{ n: 0 }]);
    expect(await upgraded.query('SELECT account_id FROM accounts')).toEqual([{ account_id: 'acc_1' }]);
    await upgraded.close();
  });

  it('refuses a file written by a newer Strata, with a message that says so', async () => {
    const path = join(dir, 'newer.duckdb');
    const store = await DuckDBStore.open(path);
    await store.execute(`UPDATE strata_meta SET value = '99' WHERE key = 'schema_version'`);
    await store.close();
    const error = await DuckDBStore.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).code).toBe('store_too_new');
    expect((error as StrataError).message).toMatch(/newer Strata \(schema version 99\).*up to version 3/);
  });

  it('leaves a file it cannot migrate unchanged (migrations are transactions)', async () => {
    const path = join(dir, 'broken.duckdb');
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    // A version-1 file where someone already created the table migration 2 adds: migration 2 fails.
    await connection.run(`CREATE TABLE strata_meta (key VARCHAR PRIMARY KEY, value VARCHAR)`);
    await connection.run(`INSERT INTO strata_meta VALUES ('schema_version', '1')`);
    await connection.run('CREATE TABLE strata_imports (x INTEGER)');
    connection.closeSync();
    instance.closeSync();
    await expect(DuckDBStore.open(path)).rejects.toThrow(/strata_imports/);
    const reopened = await DuckDBInstance.create(path);
    const check = await reopened.connect();
    const version = await check.runAndReadAll(`SELECT value FROM strata_meta`);
    expect(version.getRowsJS()).toEqual([['1']]);
    check.closeSync();
    reopened.closeSync();
  });
});
