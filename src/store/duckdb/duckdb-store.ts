import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../../dialect/sql.js';
import { StrataError } from '../../errors.js';
import { TABLE_NAMES, TABLES, type Table } from '../../model/tables.js';
import type { ExportFormat, ImportRequest, ImportResult, Store, TableStats } from '../store.js';
import { importIntoDuckDB } from './duckdb-import.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';

/** Turns DuckDB's JS values into plain JSON-friendly ones: bigints to numbers, timestamps to ISO text. */
function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plainValue);
  return value;
}

/**
 * DuckDB's own default is 80% of the machine's memory. A smaller cap lets it spill to
 * disk instead, and measured no slower: importing 10M events took 14 s at 2GB (2.6 GB
 * peak RSS) against 16 s uncapped (4.4 GB); see BENCHMARKS.md.
 */
export const DEFAULT_MEMORY_LIMIT = '2GB';

/**
 * Up to this many keys, `withKeys` writes literals: a temporary table costs three statements
 * more, slower than parsing a few hundred literals (50 keys: 4 ms literal, 7 ms a table; 5,000:
 * 22 ms literal, 10 ms a table).
 */
const INLINE_KEYS = 256;

export interface DuckDBStoreOptions {
  /** DuckDB memory_limit, e.g. '2GB'. */
  readonly memoryLimit?: string;
  /** Apply migrations only up to this version (tests build old files with it). */
  readonly migrateTo?: number;
}

/** A workspace's DuckDB database file, opened, upgraded to the current schema, ready to query. */
export class DuckDBStore implements Store {
  readonly sharded = false;
  readonly dialect = duckdbDialect;
  readonly keysPerQuery = Number.POSITIVE_INFINITY;
  /** Names the temporary key tables apart (calls may overlap on the one connection). */
  private keyTables = 0;

  private constructor(
    readonly location: string,
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /** Opens (creating if needed) the database at `path` and migrates it to the current schema. */
  static async open(path: string, options: DuckDBStoreOptions = {}): Promise<DuckDBStore> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
    } catch (error) {
      const message = (error as Error).message;
      if (/lock/i.test(message)) {
        throw new StrataError(
          'store_locked',
          `${path} is in use by another process (another strata command or server); stop it and retry`,
          { file: path },
        );
      }
      throw new StrataError('store_open_failed', `cannot open ${path}: ${message}`, { file: path });
    }
    const connection = await instance.connect();
    // Everything is UTC, so as-of boundaries do not move with the machine's time zone.
    await connection.run(duckdbDialect.sql`SET TimeZone = 'UTC'`.text);
    await connection.run(
      duckdbDialect.sql`SET memory_limit = ${options.memoryLimit ?? DEFAULT_MEMORY_LIMIT}`.text,
    );
    const store = new DuckDBStore(path, instance, connection);
    await store.migrate(options.migrateTo ?? LATEST_SCHEMA_VERSION);
    return store;
  }

  async schemaVersion(): Promise<number> {
    const rows = await this.query<{ value: string }>(
      this.dialect.sql`SELECT value FROM strata_meta WHERE key = 'schema_version'`,
    );
    return Number(rows[0]?.value ?? 0);
  }

  private async migrate(target: number): Promise<void> {
    const sql = this.dialect.sql;
    await this.execute(sql`CREATE TABLE IF NOT EXISTS strata_meta (key VARCHAR PRIMARY KEY, value VARCHAR)`);
    const current = await this.schemaVersion();
    if (current > LATEST_SCHEMA_VERSION) {
      throw new StrataError(
        'store_too_new',
        `${this.location} was written by a newer Strata (schema version ${current}); this Strata reads up to version ${LATEST_SCHEMA_VERSION}. Upgrade Strata to open it.`,
        { file: this.location },
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current || migration.version > target) continue;
      await this.transaction(async () => {
        for (const statement of migration.statements) await this.execute(statement);
        await migration.moveData?.(this);
        await this.execute(
          sql`INSERT OR REPLACE INTO strata_meta VALUES ('schema_version', ${String(migration.version)})`,
        );
      });
    }
  }

  /** Runs `work` in one transaction: all of it lands, or none of it. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    const sql = this.dialect.sql;
    await this.execute(sql`BEGIN TRANSACTION`);
    try {
      const result = await work();
      await this.execute(sql`COMMIT`);
      return result;
    } catch (error) {
      await this.execute(sql`ROLLBACK`);
      throw error;
    }
  }

  async query<Row extends Record<string, unknown>>(sql: Sql): Promise<Row[]> {
    const reader = await this.connection.runAndReadAll(sql.text);
    return reader.getRowObjectsJS().map((row) => {
      const plain: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(row)) plain[key] = plainValue(value);
      return plain as Row;
    });
  }

  async queryColumns(sql: Sql): Promise<{ keys: string[]; columns: Float64Array[] }> {
    const [keys = [], ...values] = (await this.connection.runAndReadAll(sql.text)).getColumnsJS();
    return {
      keys: keys.map(String),
      columns: values.map((column) =>
        Float64Array.from(column, (v) => (v === null || v === undefined ? Number.NaN : Number(v))),
      ),
    };
  }

  async withKeys<T>(keys: readonly string[], work: (keys: Sql) => Promise<T>): Promise<T> {
    const sql = this.dialect.sql;
    if (keys.length === 0) return work(sql`(SELECT NULL::VARCHAR WHERE false)`);
    if (keys.length <= INLINE_KEYS) return work(sql`(${sql.join(keys.map((key) => sql.value(key)))})`);
    const name = `strata_keys_${++this.keyTables}`;
    const table = sql.id(name);
    await this.execute(sql`CREATE TEMP TABLE ${table} (key VARCHAR)`);
    try {
      const appender = await this.connection.createAppender(name);
      try {
        for (const key of keys) {
          appender.appendVarchar(key);
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      return await work(sql`(SELECT key FROM ${table})`);
    } finally {
      // Inside a transaction that failed the drop fails too; the table is this connection's
      // only and its name is never used again, so the error to report is the work's.
      await this.execute(sql`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    }
  }

  async execute(sql: Sql): Promise<void> {
    await this.connection.run(sql.text);
  }

  createTableAs(name: string, select: Sql, onProgress?: (fraction: number) => void): Promise<void> {
    const sql = this.dialect.sql;
    return this.withProgress(sql`CREATE TABLE ${sql.id(name)} AS ${select}`, onProgress);
  }

  createScratch(name: string, select: Sql, onProgress?: (fraction: number) => void): Promise<void> {
    const sql = this.dialect.sql;
    return this.withProgress(sql`CREATE TEMP TABLE ${sql.id(name)} AS ${select}`, onProgress);
  }

  /**
   * Writes rows offset..offset+limit of a model table (in insertion order) to a CSV file in
   * ClickHouse's CSV dialect: no header, \N for NULL, text quoted, timestamps as microseconds
   * since the epoch (the ClickHouse store's timestamp type). ClickHouse imports use it.
   */
  async exportForClickHouse(table: Table, path: string, offset: number, limit: number): Promise<void> {
    const sql = this.dialect.sql;
    const columns = table.columns.map((c) =>
      c.type === 'timestamp' ? sql`epoch_us(${sql.id(c.name)}) AS ${sql.id(c.name)}` : sql.id(c.name),
    );
    const texts = table.columns
      .filter((c) => c.type === 'string' || c.type === 'json')
      .map((c) => sql.id(c.name));
    await this.execute(
      sql`COPY (SELECT ${sql.join(columns)} FROM ${sql.id(table.name)} ORDER BY rowid LIMIT ${limit} OFFSET ${offset})
       TO ${path} (FORMAT csv, HEADER false, NULLSTR '\\N'${texts.length > 0 ? sql`, FORCE_QUOTE (${sql.join(texts)})` : sql.empty})`,
    );
  }

  exportFile(select: Sql, path: string, format: ExportFormat = 'csv'): Promise<number> {
    const sql = this.dialect.sql;
    const options = {
      csv: sql`FORMAT csv, HEADER`,
      json: sql`FORMAT json, ARRAY true`,
      ndjson: sql`FORMAT json`,
      parquet: sql`FORMAT parquet`,
    }[format];
    return this.executeCount(sql`COPY (${select}) TO ${path} (${options})`);
  }

  async dropScratch(name: string | Sql): Promise<void> {
    const sql = this.dialect.sql;
    await this.execute(sql`DROP TABLE IF EXISTS ${typeof name === 'string' ? sql.id(name) : name}`);
  }

  async deleteRows(table: string, condition: Sql): Promise<void> {
    const sql = this.dialect.sql;
    await this.execute(sql`DELETE FROM ${sql.id(table)} WHERE ${condition}`);
  }

  appendEvents(file: string, withinDays: number): Promise<number> {
    const sql = this.dialect.sql;
    const { columns } = TABLES.events;
    const types = sql.join(columns.map((c) => sql`${sql.id(c.name)}: ${this.dialect.columnType(c.type)}`));
    const names = sql.join(columns.map((c) => sql.id(c.name)));
    const rows = sql`read_json(${file}, format = 'newline_delimited', columns = {${types}})`;
    // Only recent stored events are compared: zone maps skip the older row groups.
    return this.executeCount(
      sql`INSERT INTO events (${names}) SELECT ${names} FROM ${rows} v
       WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = v.event_id
         AND e.ts >= (SELECT min(ts) FROM ${rows}) - INTERVAL ${Math.ceil(withinDays)} DAY)`,
    );
  }

  /** Runs a statement and returns how many rows it inserted, updated, deleted or created. */
  async executeCount(sql: Sql): Promise<number> {
    const result = await this.connection.run(sql.text);
    return Number(result.rowsChanged);
  }

  /** Runs a long statement, reporting DuckDB's own progress estimate (0-1) about 5 times a second. */
  async withProgress(sql: Sql, onProgress?: (fraction: number) => void): Promise<void> {
    if (!onProgress) return this.execute(sql);
    // Progress is only tracked when the (unprinted) progress bar is enabled.
    await this.execute(
      this.dialect.sql`SET enable_progress_bar = true; SET enable_progress_bar_print = false`,
    );
    const timer = setInterval(() => {
      const { percentage } = this.connection.progress;
      if (percentage >= 0) onProgress(Math.min(1, percentage / 100));
    }, 200);
    try {
      await this.execute(sql);
      onProgress(1);
    } finally {
      clearInterval(timer);
    }
  }

  importFile(request: ImportRequest): Promise<ImportResult> {
    return importIntoDuckDB(this, request);
  }

  async lastCursor(source: string): Promise<string | null> {
    const sql = this.dialect.sql;
    const rows = await this.query<{ cursor_value: string }>(
      sql`SELECT cursor_value FROM strata_imports WHERE source = ${source} AND cursor_value IS NOT NULL ORDER BY imported_at DESC LIMIT 1`,
    );
    return rows[0]?.cursor_value ?? null;
  }

  async stats(): Promise<TableStats[]> {
    const sql = this.dialect.sql;
    const iso = (expression: Sql) => sql`strftime(${expression}, '%Y-%m-%dT%H:%M:%SZ')`;
    const parts = TABLE_NAMES.map((name) => {
      const time = TABLES[name].timeColumn;
      const from = time ? iso(sql`min(${sql.id(time)})`) : sql`NULL`;
      const to = time ? iso(sql`max(${sql.id(time)})`) : sql`NULL`;
      return sql`SELECT ${name} AS "table", count(*) AS rows, ${from} AS "from", ${to} AS "to" FROM ${sql.id(name)}`;
    });
    const rows = await this.query<{ table: string; rows: number; from: string | null; to: string | null }>(
      sql.join(parts, sql` UNION ALL `),
    );
    // UNION ALL gives no order; keep the model's.
    return TABLE_NAMES.map((name) => {
      const row = rows.find((r) => r.table === name);
      return { table: name, rows: row?.rows ?? 0, from: row?.from ?? null, to: row?.to ?? null };
    });
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
