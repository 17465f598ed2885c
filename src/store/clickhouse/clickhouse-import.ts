import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sql } from '../../dialect/sql.js';
import { TABLES, type Table } from '../../model/tables.js';
import { refuseBrokenHierarchy } from '../account-hierarchy.js';
import type { ImportRequest, ImportResult } from '../store.js';
import type { ClickHouseStore } from './clickhouse-store.js';
import { localTable } from './schema.js';

/** Rows per INSERT into ClickHouse: one CSV file each. */
const BATCH_ROWS = 500_000;
/** Keys per ALTER ... DELETE when re-imported rows replace stored ones. */
const KEYS_PER_MUTATION = 5_000;

/**
 * Loads one file into a ClickHouse store. The file is read, converted and validated by
 * the same code as a DuckDB import, in a scratch DuckDB file (so errors name the same
 * file, line, column and reason, and an invalid file writes nothing), then sent to a
 * staging table in batches of CSV, and moved into the table with one INSERT ... SELECT
 * that skips keys already stored (re-importing the same file adds nothing).
 */
export async function importIntoClickHouse(
  store: ClickHouseStore,
  request: ImportRequest,
): Promise<ImportResult> {
  const started = performance.now();
  const table: Table = TABLES[request.table];
  const scratchDir = mkdtempSync(join(tmpdir(), 'strata-import-'));
  // Loaded only for an import: every other command on ClickHouse would pay ~200 ms at start-up
  // for DuckDB's native library.
  const { DuckDBStore } = await import('../duckdb/duckdb-store.js');
  const scratch = await DuckDBStore.open(join(scratchDir, 'scratch.duckdb'));
  const sql = store.dialect.sql;
  const q = (name: string) => sql.id(name);
  const stage = `strata_stage_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  try {
    const report = (fraction: number) => request.onProgress?.(fraction);
    // Validation: throws (writing nothing) unless the file is valid or skipInvalid is set. A dry
    // run takes the valid rows into the scratch file (only) to count what they would change.
    const dryRun = request.dryRun === true;
    const validated = await scratch.importFile({
      ...request,
      dryRun: false,
      ...(dryRun ? { skipInvalid: true } : {}),
      onProgress: (f) => report(f / 2),
    });
    const valid = validated.inserted;

    const columns = sql.join(table.columns.map((c) => q(c.name)));
    const definitions = table.columns.map((c) => {
      const type = store.dialect.fn.columnType(c.type);
      return sql`${q(c.name)} ${c.required ? type : sql`Nullable(${type})`}`;
    });
    await store.execute(sql`CREATE TABLE ${q(stage)} (${sql.join(definitions)}) ENGINE = Memory`);
    for (let offset = 0; offset < valid; offset += BATCH_ROWS) {
      const file = join(scratchDir, `batch-${offset}.csv`);
      await scratch.exportForClickHouse(table, file, offset, BATCH_ROWS);
      await store.insertCsvFile(stage, file);
      rmSync(file);
      report(0.5 + (0.5 * Math.min(valid, offset + BATCH_ROWS)) / Math.max(valid, 1));
    }

    const target = q(table.name);
    if (table.name === 'accounts') {
      // The scratch DuckDB saw only the file; the stored accounts live here (GLOBAL: on a cluster
      // the staging table is on this node only).
      const parent = sql`coalesce(parent_account_id, '') AS parent`;
      await refuseBrokenHierarchy(
        store,
        sql`SELECT account_id, ${parent} FROM ${q(stage)}
          UNION ALL SELECT account_id, ${parent} FROM ${target} WHERE account_id GLOBAL NOT IN (SELECT account_id FROM ${q(stage)})`,
        request.file,
      );
    }
    const keyColumns = sql.join(table.key.map(q));
    const key = table.key.length === 1 ? q(table.key[0] ?? '') : sql`(${keyColumns})`;
    // Stored rows sharing a key with the file; the inner IN keeps the lookup to those keys
    // (GLOBAL: on a cluster the staging table exists only on this node, not on the shards).
    const storedKeys = sql`SELECT ${keyColumns} FROM ${target} WHERE ${key} GLOBAL IN (SELECT ${keyColumns} FROM ${q(stage)})`;
    const count = async (query: Sql) => (await store.query<{ n: number }>(query))[0]?.n ?? 0;
    let inserted: number;
    let updated = 0;
    if (dryRun) {
      const known = await count(sql`SELECT count() AS n FROM ${q(stage)} WHERE ${key} IN (${storedKeys})`);
      const changed =
        table.onDuplicateKey === 'keep'
          ? null
          : await store.query<{ stored: number }>(
              sql`SELECT ${key} IN (${storedKeys}) AS stored FROM ${q(stage)} WHERE NOT (${sameRows(store, table, stage)})`,
            );
      inserted = changed ? changed.filter((row) => Number(row.stored) !== 1).length : valid - known;
      updated = changed ? changed.length - inserted : 0;
      return {
        ...validated,
        inserted,
        updated,
        unchanged: valid - inserted - updated,
        seconds: (performance.now() - started) / 1000,
        dryRun: true,
        wouldRefuse: validated.skipped > 0 && !request.skipInvalid,
      };
    }
    if (table.onDuplicateKey === 'keep') {
      const known = await count(sql`SELECT count() AS n FROM ${q(stage)} WHERE ${key} IN (${storedKeys})`);
      await store.execute(
        sql`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${q(stage)} WHERE ${key} NOT IN (${storedKeys})`,
      );
      inserted = valid - known;
    } else {
      const same = sameRows(store, table, stage);
      const changed = await store.query<Record<string, unknown>>(
        sql`SELECT ${keyColumns}, ${key} IN (${storedKeys}) AS stored FROM ${q(stage)} WHERE NOT (${same})`,
      );
      const replaced = changed.filter((row) => Number(row.stored) === 1);
      await deleteKeys(store, table, replaced);
      updated = replaced.length;
      await store.execute(
        sql`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${q(stage)} WHERE NOT (${same})`,
      );
      inserted = changed.length - updated;
    }
    const unchanged = valid - inserted - updated;
    await store.execute(
      sql`INSERT INTO strata_imports VALUES (${new Date()}, ${table.name}, ${request.origin?.label ?? request.file}, ${validated.rowsRead},
        ${inserted}, ${updated}, ${unchanged}, ${validated.skipped}, ${request.origin?.source ?? null}, ${request.origin?.cursor ?? null})`,
    );
    return { ...validated, inserted, updated, unchanged, seconds: (performance.now() - started) / 1000 };
  } finally {
    await store.execute(sql`DROP TABLE IF EXISTS ${q(stage)}`).catch(() => undefined);
    await scratch.close();
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

/** SQL true for a staged row whose every value matches a stored row: it is unchanged; the others replace their key. */
function sameRows(store: ClickHouseStore, table: Table, stage: string): Sql {
  const sql = store.dialect.sql;
  const q = (name: string) => sql.id(name);
  const keyColumns = sql.join(table.key.map(q));
  const key = table.key.length === 1 ? q(table.key[0] ?? '') : sql`(${keyColumns})`;
  const signature = sql`cityHash64(arrayStringConcat([${sql.join(
    table.columns.map((c) => sql`ifNull(toString(${q(c.name)}), '\\\\N')`),
  )}], '\\x1f'))`;
  return sql`${signature} IN (SELECT ${signature} FROM ${q(table.name)} WHERE ${key} GLOBAL IN (SELECT ${keyColumns} FROM ${q(stage)}))`;
}

/** Deletes stored rows of the given keys (ALTER ... DELETE mutations, waited for), shard by shard on a cluster. */
async function deleteKeys(store: ClickHouseStore, table: Table, rows: readonly Record<string, unknown>[]) {
  const sql = store.dialect.sql;
  const q = (name: string) => sql.id(name);
  const layout = store.layoutInfo;
  const local = localTable(layout, table.name);
  const keyValue = (row: Record<string, unknown>, column: string) => {
    const value = row[column];
    // Timestamps come back as their stored microseconds: a number like any other.
    return sql.value(value as string | number);
  };
  for (let i = 0; i < rows.length; i += KEYS_PER_MUTATION) {
    const batch = rows.slice(i, i + KEYS_PER_MUTATION);
    const keys = batch.map((row) =>
      table.key.length === 1
        ? keyValue(row, table.key[0] ?? '')
        : sql`(${sql.join(table.key.map((k) => keyValue(row, k)))})`,
    );
    const key = table.key.length === 1 ? q(table.key[0] ?? '') : sql`(${sql.join(table.key.map(q))})`;
    const statement = sql`ALTER TABLE ${q(local)} DELETE WHERE ${key} IN (${sql.join(keys)})`;
    if (layout.cluster) await store.onEveryNode(statement);
    else await store.execute(statement);
  }
  if (rows.length > 0) await store.waitForMutations(local);
}
