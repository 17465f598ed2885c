import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { duckdbDialect } from '../../src/dialect/duckdb/duckdb-dialect.js';
import { StrataError } from '../../src/errors.js';
import { TABLE_NAMES, TABLES } from '../../src/model/tables.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { LATEST_SCHEMA_VERSION } from '../../src/store/duckdb/migrations.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir();

describe('DuckDB store schema', () => {
  it('creates every table of the data model with the model columns and types', async () => {
    const store = await DuckDBStore.open(join(dir, 'fresh', 'strata.duckdb'));
    expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    for (const name of TABLE_NAMES) {
      const columns = await store.query<{ column_name: string; data_type: string }>(
        testSql(
          `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${name}' ORDER BY ordinal_position`,
        ),
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
      sql`INSERT INTO accounts (account_id, created_at) VALUES ('acc_1', TIMESTAMP '2024-01-01')`,
    );
    expect(
      await old.query(
        sql`SELECT table_name FROM information_schema.tables WHERE table_name = 'strata_imports'`,
      ),
    ).toEqual([]);
    await old.close();

    const upgraded = await DuckDBStore.open(path);
    expect(await upgraded.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect(await upgraded.query(sql`SELECT count(*) AS n FROM strata_imports`)).toEqual([{ n: 0 }]);
    expect(await upgraded.query(sql`SELECT account_id FROM accounts`)).toEqual([{ account_id: 'acc_1' }]);
    await upgraded.close();
  });

  it('moves runs stored in the narrow v3 tables into one wide table per run (v4)', async () => {
    const path = join(dir, 'v3', 'strata.duckdb');
    const old = await DuckDBStore.open(path, { migrateTo: 3 });
    // Run 1 of a hand-made workspace: a1 in both segments, a2 in none, a3 in 'big' only.
    await old.execute(sql`
      INSERT INTO strata_runs VALUES (1, '2024-06-07', '2024-06-08', 'h1', 3, '["active","big"]',
        '{"tiers":{"order":["active","big"],"fallback":"other"}}');
      INSERT INTO strata_memberships VALUES (1, 'active', 'a1'), (1, 'big', 'a1'), (1, 'big', 'a3');
      INSERT INTO strata_assignments VALUES (1, 'tiers', 'a1', 'active'), (1, 'tiers', 'a2', 'other'),
        (1, 'tiers', 'a3', 'big');
      INSERT INTO strata_metric_values VALUES (1, 'a1', 'sessions', 4, NULL), (1, 'a2', 'sessions', 0, NULL),
        (1, 'a3', 'sessions', NULL, NULL), (1, 'a1', 'plan', NULL, 'pro'), (1, 'a2', 'plan', NULL, 'free'),
        (1, 'a3', 'plan', NULL, NULL);
    `);
    await old.close();

    const upgraded = await DuckDBStore.open(path);
    expect(await upgraded.query(sql`SELECT * FROM strata_run_1 ORDER BY account_id`)).toEqual([
      {
        account_id: 'a1',
        'segment:active': true,
        'segment:big': true,
        'scheme:tiers': 'active',
        'metric:sessions': 4,
        'metric:plan': 'pro',
      },
      {
        account_id: 'a2',
        'segment:active': false,
        'segment:big': false,
        'scheme:tiers': 'other',
        'metric:sessions': 0,
        'metric:plan': 'free',
      },
      {
        account_id: 'a3',
        'segment:active': false,
        'segment:big': true,
        'scheme:tiers': 'big',
        'metric:sessions': null,
        'metric:plan': null,
      },
    ]);
    const [run] = await upgraded.query<{ metrics: string; sizes: string }>(
      sql`SELECT metrics, sizes FROM strata_runs`,
    );
    expect(JSON.parse(run?.metrics ?? '')).toEqual(['sessions', 'plan']);
    expect(JSON.parse(run?.sizes ?? '')).toEqual({
      segments: { active: 1, big: 2 },
      schemes: { tiers: { active: 1, big: 1, other: 1 } },
    });
    expect(
      await upgraded.query(
        sql`SELECT table_name FROM information_schema.tables WHERE table_name = 'strata_memberships'`,
      ),
    ).toEqual([]);
    await upgraded.close();
  });

  it('refuses a file written by a newer Strata, with a message that says so', async () => {
    const path = join(dir, 'newer.duckdb');
    const store = await DuckDBStore.open(path);
    await store.execute(sql`UPDATE strata_meta SET value = '99' WHERE key = 'schema_version'`);
    await store.close();
    const error = await DuckDBStore.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).code).toBe('store_too_new');
    expect((error as StrataError).message).toMatch(
      new RegExp(`newer Strata \\(schema version 99\\).*up to version ${LATEST_SCHEMA_VERSION}`),
    );
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
