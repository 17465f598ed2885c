import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TABLES, type Table } from '../../model/tables.js';
import { DuckDBStore } from '../duckdb/duckdb-store.js';
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
  const scratch = await DuckDBStore.open(join(scratchDir, 'scratch.duckdb'));
  const q = store.dialect.quoteIdentifier;
  const lit = store.dialect.literal;
  const stage = `strata_stage_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  try {
    const report = (fraction: number) => request.onProgress?.(fraction);
    // Validation: throws (writing nothing) unless the file is valid or skipInvalid is set.
    const validated = await scratch.importFile({ ...request, onProgress: (f) => report(f / 2) });
    const valid = validated.inserted;

    const columns = table.columns.map((c) => q(c.name)).join(', ');
    const definitions = table.columns.map((c) => {
      const type = store.dialect.columnType(c.type);
      return `${q(c.name)} ${c.required ? type : `Nullable(${type})`}`;
    });
    await store.execute(`CREATE TABLE ${q(stage)} (${definitions.join(', ')}) ENGINE = Memory`);
    for (let offset = 0; offset < valid; offset += BATCH_ROWS) {
      const file = join(scratchDir, `batch-${offset}.csv`);
      await scratch.exportForClickHouse(table, file, offset, BATCH_ROWS);
      await store.insertCsvFile(stage, file);
      rmSync(file);
      report(0.5 + (0.5 * Math.min(valid, offset + BATCH_ROWS)) / Math.max(valid, 1));
    }

    const target = q(table.name);
    const key = table.key.length === 1 ? q(table.key[0] ?? '') : `(${table.key.map(q).join(', ')})`;
    const keyColumns = table.key.map(q).join(', ');
    // Stored rows sharing a key with the file; the inner IN keeps the lookup to those keys
    // (GLOBAL: on a cluster the staging table exists only on this node, not on the shards).
    const storedKeys = `SELECT ${keyColumns} FROM ${target} WHERE ${key} GLOBAL IN (SELECT ${keyColumns} FROM ${q(stage)})`;
    const count = async (sql: string) => (await store.query<{ n: number }>(sql))[0]?.n ?? 0;
    let inserted: number;
    let updated = 0;
    if (table.onDuplicateKey === 'keep') {
      const known = await count(`SELECT count() AS n FROM ${q(stage)} WHERE ${key} IN (${storedKeys})`);
      await store.execute(
        `INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${q(stage)} WHERE ${key} NOT IN (${storedKeys})`,
      );
      inserted = valid - known;
    } else {
      // Rows whose every value matches a stored row are unchanged; the others replace their key.
      const signature = `cityHash64(arrayStringConcat([${table.columns.map((c) => `ifNull(toString(${q(c.name)}), '\\\\N')`).join(', ')}], '\\x1f'))`;
      const same = `${signature} IN (SELECT ${signature} FROM ${target} WHERE ${key} GLOBAL IN (SELECT ${keyColumns} FROM ${q(stage)}))`;
      const changed = await store.query<Record<string, unknown>>(
        `SELECT ${keyColumns}, ${key} IN (${storedKeys}) AS stored FROM ${q(stage)} WHERE NOT (${same})`,
      );
      const replaced = changed.filter((row) => Number(row.stored) === 1);
      await deleteKeys(store, table, replaced);
      updated = replaced.length;
      await store.execute(
        `INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${q(stage)} WHERE NOT (${same})`,
      );
      inserted = changed.length - updated;
    }
    const unchanged = valid - inserted - updated;
    await store.execute(
      `INSERT INTO strata_imports VALUES (${lit(new Date())}, ${lit(table.name)}, ${lit(request.file)}, ${lit(validated.rowsRead)},
        ${lit(inserted)}, ${lit(updated)}, ${lit(unchanged)}, ${lit(validated.skipped)})`,
    );
    return { ...validated, inserted, updated, unchanged, seconds: (performance.now() - started) / 1000 };
  } finally {
    await store.execute(`DROP TABLE IF EXISTS ${q(stage)}`).catch(() => undefined);
    await scratch.close();
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

/** Deletes stored rows of the given keys (ALTER ... DELETE mutations, waited for), shard by shard on a cluster. */
async function deleteKeys(store: ClickHouseStore, table: Table, rows: readonly Record<string, unknown>[]) {
  const q = store.dialect.quoteIdentifier;
  const lit = store.dialect.literal;
  const layout = store.layoutInfo;
  const local = localTable(layout, table.name);
  const keyValue = (row: Record<string, unknown>, column: string) => {
    const value = row[column];
    // Timestamps come back as their stored microseconds: a number like any other.
    return lit(value as string | number);
  };
  for (let i = 0; i < rows.length; i += KEYS_PER_MUTATION) {
    const batch = rows.slice(i, i + KEYS_PER_MUTATION);
    const keys = batch.map((row) =>
      table.key.length === 1
        ? keyValue(row, table.key[0] ?? '')
        : `(${table.key.map((k) => keyValue(row, k)).join(', ')})`,
    );
    const key = table.key.length === 1 ? q(table.key[0] ?? '') : `(${table.key.map(q).join(', ')})`;
    const sql = `ALTER TABLE ${q(local)} DELETE WHERE ${key} IN (${keys.join(', ')})`;
    if (layout.cluster) await store.onEveryNode(sql);
    else await store.execute(sql);
  }
  if (rows.length > 0) await store.waitForMutations(local);
}
