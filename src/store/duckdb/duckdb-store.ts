import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb/duckdb-dialect.js';
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

export interface DuckDBStoreOptions {
  /** DuckDB memory_limit, e.g. '2GB'. */
  readonly memoryLimit?: string;
  /** Apply migrations only up to this version (tests build old files with it). */
  readonly migrateTo?: number;
}

/** A workspace's DuckDB database file, opened, upgraded to the current schema, ready to query. */
export class DuckDBStore implements Store {
  readonly dialect = duckdbDialect;

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
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run(
      `SET memory_limit = ${duckdbDialect.literal(options.memoryLimit ?? DEFAULT_MEMORY_LIMIT)}`,
    );
    const store = new DuckDBStore(path, instance, connection);
    await store.migrate(options.migrateTo ?? LATEST_SCHEMA_VERSION);
    return store;
  }

  async schemaVersion(): Promise<number> {
    const rows = await this.query<{ value: string }>(
      "SELECT value FROM strata_meta WHERE key = 'schema_version'",
    );
    return Number(rows[0]?.value ?? 0);
  }

  private async migrate(target: number): Promise<void> {
    await this.execute('CREATE TABLE IF NOT EXISTS strata_meta (key VARCHAR PRIMARY KEY, value VARCHAR)');
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
          `INSERT OR REPLACE INTO strata_meta VALUES ('schema_version', ${this.dialect.literal(String(migration.version))})`,
        );
      });
    }
  }

  /** Runs `work` in one transaction: all of it lands, or none of it. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.execute('BEGIN TRANSACTION');
    try {
      const result = await work();
      await this.execute('COMMIT');
      return result;
    } catch (error) {
      await this.execute('ROLLBACK');
      throw error;
    }
  }

  async query<Row extends Record<string, unknown>>(sql: string): Promise<Row[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS().map((row) => {
      const plain: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(row)) plain[key] = plainValue(value);
      return plain as Row;
    });
  }

  async queryColumns(sql: string): Promise<{ keys: string[]; columns: Float64Array[] }> {
    const [keys = [], ...values] = (await this.connection.runAndReadAll(sql)).getColumnsJS();
    return {
      keys: keys.map(String),
      columns: values.map((column) =>
        Float64Array.from(column, (v) => (v === null || v === undefined ? Number.NaN : Number(v))),
      ),
    };
  }

  async execute(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  async createTableAs(name: string, select: string): Promise<void> {
    await this.execute(`CREATE TABLE ${this.dialect.quoteIdentifier(name)} AS ${select}`);
  }

  createScratch(name: string, select: string, onProgress?: (fraction: number) => void): Promise<void> {
    return this.withProgress(
      `CREATE TEMP TABLE ${this.dialect.quoteIdentifier(name)} AS ${select}`,
      onProgress,
    );
  }

  /**
   * Writes rows offset..offset+limit of a model table (in insertion order) to a CSV file in
   * ClickHouse's CSV dialect: no header, \N for NULL, text quoted, timestamps as microseconds
   * since the epoch (the ClickHouse store's timestamp type). ClickHouse imports use it.
   */
  async exportForClickHouse(table: Table, path: string, offset: number, limit: number): Promise<void> {
    const q = this.dialect.quoteIdentifier;
    const lit = this.dialect.literal;
    const columns = table.columns.map((c) =>
      c.type === 'timestamp' ? `epoch_us(${q(c.name)}) AS ${q(c.name)}` : q(c.name),
    );
    const texts = table.columns.filter((c) => c.type === 'string' || c.type === 'json').map((c) => q(c.name));
    await this.execute(
      `COPY (SELECT ${columns.join(', ')} FROM ${q(table.name)} ORDER BY rowid LIMIT ${lit(limit)} OFFSET ${lit(offset)})
       TO ${lit(path)} (FORMAT csv, HEADER false, NULLSTR '\\N'${texts.length > 0 ? `, FORCE_QUOTE (${texts.join(', ')})` : ''})`,
    );
  }

  exportFile(select: string, path: string, format: ExportFormat = 'csv'): Promise<number> {
    const options = { csv: 'FORMAT csv, HEADER', json: 'FORMAT json', parquet: 'FORMAT parquet' }[format];
    return this.executeCount(`COPY (${select}) TO ${this.dialect.literal(path)} (${options})`);
  }

  async dropScratch(name: string): Promise<void> {
    await this.execute(
      `DROP TABLE IF EXISTS ${name.startsWith('"') ? name : this.dialect.quoteIdentifier(name)}`,
    );
  }

  async deleteRows(table: string, condition: string): Promise<void> {
    await this.execute(`DELETE FROM ${this.dialect.quoteIdentifier(table)} WHERE ${condition}`);
  }

  appendEvents(file: string, withinDays: number): Promise<number> {
    const q = this.dialect.quoteIdentifier;
    const { columns } = TABLES.events;
    const types = columns
      .map((c) => `${q(c.name)}: ${this.dialect.literal(this.dialect.columnType(c.type))}`)
      .join(', ');
    const names = columns.map((c) => q(c.name)).join(', ');
    const rows = `read_json(${this.dialect.literal(file)}, format = 'newline_delimited', columns = {${types}})`;
    // Only recent stored events are compared: zone maps skip the older row groups.
    return this.executeCount(
      `INSERT INTO events (${names}) SELECT ${names} FROM ${rows} v
       WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = v.event_id
         AND e.ts >= (SELECT min(ts) FROM ${rows}) - INTERVAL ${Math.ceil(withinDays)} DAY)`,
    );
  }

  /** Runs a statement and returns how many rows it inserted, updated, deleted or created. */
  async executeCount(sql: string): Promise<number> {
    const result = await this.connection.run(sql);
    return Number(result.rowsChanged);
  }

  /** Runs a long statement, reporting DuckDB's own progress estimate (0-1) about 5 times a second. */
  async withProgress(sql: string, onProgress?: (fraction: number) => void): Promise<void> {
    if (!onProgress) return this.execute(sql);
    // Progress is only tracked when the (unprinted) progress bar is enabled.
    await this.execute('SET enable_progress_bar = true; SET enable_progress_bar_print = false');
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

  async stats(): Promise<TableStats[]> {
    const q = (name: string) => this.dialect.quoteIdentifier(name);
    const iso = (expression: string) => `strftime(${expression}, '%Y-%m-%dT%H:%M:%SZ')`;
    const parts = TABLE_NAMES.map((name) => {
      const time = TABLES[name].timeColumn;
      const from = time ? iso(`min(${q(time)})`) : 'NULL';
      const to = time ? iso(`max(${q(time)})`) : 'NULL';
      return `SELECT ${this.dialect.literal(name)} AS "table", count(*) AS rows, ${from} AS "from", ${to} AS "to" FROM ${q(name)}`;
    });
    const rows = await this.query<{ table: string; rows: number; from: string | null; to: string | null }>(
      parts.join(' UNION ALL '),
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
