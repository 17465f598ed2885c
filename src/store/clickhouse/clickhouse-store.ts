import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { clickhouseDialect } from '../../dialect/clickhouse/clickhouse-dialect.js';
import type { Dialect } from '../../dialect/dialect.js';
import type { Sql } from '../../dialect/sql.js';
import { StrataError } from '../../errors.js';
import { TABLE_NAMES, TABLES } from '../../model/tables.js';
import type { ExportFormat, ImportRequest, ImportResult, Store, TableStats } from '../store.js';
import { importIntoClickHouse } from './clickhouse-import.js';
import { type ClickHouseConnection, HttpConnection, withoutCredentials } from './connection.js';
import { linesToArray } from './json-array.js';
import { CLICKHOUSE_MIGRATIONS, LATEST_CLICKHOUSE_VERSION, type Layout } from './schema.js';

export interface ClickHouseStoreOptions {
  /** HTTP(S) URL of the server Strata talks to; credentials may be in it (user:password@host). */
  readonly url: string;
  readonly database: string;
  /** Name of the cluster (in the servers' remote_servers) whose shards hold the data tables. */
  readonly cluster?: string;
  /**
   * HTTP URL of one server per shard (required with `cluster`): Strata creates the local
   * tables on each. Shards have one replica each (MergeTree, not ReplicatedMergeTree).
   */
  readonly shards?: readonly string[];
}

/** The cluster must be known to the server and have one listed URL per shard. */
async function checkCluster(admin: ClickHouseConnection, cluster: string, shards: readonly string[]) {
  const [row] = await admin.select<{ n: number }>(
    clickhouseDialect.sql`SELECT count(DISTINCT shard_num) AS n FROM system.clusters WHERE cluster = ${cluster}`
      .text,
  );
  const known = Number(row?.n ?? 0);
  if (known === 0) {
    throw new StrataError('unknown_cluster', `cluster '${cluster}' is not in the server's remote_servers`, {
      path: 'store.cluster',
    });
  }
  if (shards.length !== known) {
    throw new StrataError(
      'shards_mismatch',
      `cluster '${cluster}' has ${known} shard${known === 1 ? '' : 's'}; store.shards lists ${shards.length} URL${shards.length === 1 ? '' : 's'} (one HTTP URL per shard, in shard order)`,
      { path: 'store.shards' },
    );
  }
}

/** A workspace's ClickHouse database (single server or a cluster), migrated and ready. */
export class ClickHouseStore implements Store {
  readonly dialect: Dialect = clickhouseDialect;
  /** A query of 1,000 ids of up to 200 characters stays well under the server's max_query_size (256 KiB). */
  readonly keysPerQuery = 1000;
  readonly location: string;
  readonly sharded: boolean;
  private readonly layout: Layout;
  /** The server's version, as `SELECT version()` gives it. */
  readonly version: string;

  private constructor(
    private readonly options: ClickHouseStoreOptions,
    private readonly client: ClickHouseConnection,
    private readonly nodes: readonly ClickHouseConnection[],
    version: string,
  ) {
    this.version = version;
    this.location = `${withoutCredentials(options.url)}/${options.database}${options.cluster ? ` (cluster ${options.cluster})` : ''}`;
    this.sharded = Boolean(options.cluster);
    this.layout = { dialect: this.dialect, database: options.database, cluster: options.cluster ?? null };
  }

  static async open(options: ClickHouseStoreOptions): Promise<ClickHouseStore> {
    const admin = new HttpConnection(options.url);
    const nodeUrls = options.cluster ? (options.shards ?? []) : [];
    try {
      await admin.select(clickhouseDialect.sql`SELECT 1`.text);
    } catch (error) {
      await admin.close();
      throw new StrataError(
        'store_open_failed',
        `cannot reach ClickHouse at ${withoutCredentials(options.url)}: ${(error as Error).message}`,
      );
    }
    const sql = clickhouseDialect.sql;
    const createDatabase = sql`CREATE DATABASE IF NOT EXISTS ${sql.id(options.database)}`.text;
    try {
      if (options.cluster) await checkCluster(admin, options.cluster, nodeUrls);
      await admin.command(createDatabase);
      for (const url of nodeUrls) {
        const node = new HttpConnection(url);
        await node.command(createDatabase).finally(() => node.close());
      }
    } finally {
      await admin.close();
    }
    return ClickHouseStore.over(
      options,
      new HttpConnection(options.url, { database: options.database, cluster: Boolean(options.cluster) }),
      nodeUrls.map((url) => new HttpConnection(url, { database: options.database })),
    );
  }

  /** A store over given connections (the database exists and they use it), migrated. */
  static async over(
    options: ClickHouseStoreOptions,
    connection: ClickHouseConnection,
    shards: readonly ClickHouseConnection[] = [],
  ): Promise<ClickHouseStore> {
    const [row] = await connection.select<{ v: string }>('SELECT version() AS v');
    const store = new ClickHouseStore(options, connection, shards, row?.v ?? 'unknown');
    await store.migrate();
    return store;
  }

  private async migrate(): Promise<void> {
    const sql = this.dialect.sql;
    await this.execute(
      sql`CREATE TABLE IF NOT EXISTS strata_meta (key String, value String, at ${this.dialect.fn.columnType('timestamp')}) ENGINE = MergeTree ORDER BY key`,
    );
    const current = await this.schemaVersion();
    if (current > LATEST_CLICKHOUSE_VERSION) {
      throw new StrataError(
        'store_too_new',
        `${this.location} was written by a newer Strata (schema version ${current}); this Strata reads up to version ${LATEST_CLICKHOUSE_VERSION}. Upgrade Strata to open it.`,
      );
    }
    for (const migration of CLICKHOUSE_MIGRATIONS) {
      if (migration.version <= current) continue;
      for (const { statement, where, unlessColumn } of migration.statements(this.layout)) {
        const targets = where === 'this node' || !this.options.cluster ? [this.client] : this.nodes;
        for (const node of targets) {
          // ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: the node is asked first.
          if (unlessColumn && (await hasColumn(node, unlessColumn.table, unlessColumn.column))) continue;
          await node.command(statement.text);
        }
      }
      await this.execute(
        sql`INSERT INTO strata_meta VALUES ('schema_version', ${String(migration.version)}, ${new Date()})`,
      );
    }
  }

  /** Runs DDL on every shard of the cluster. */
  async onEveryNode(sql: Sql): Promise<void> {
    for (const node of this.nodes) await node.command(sql.text);
  }

  /** Waits until no mutation of `table` is pending, on this node and every shard. */
  async waitForMutations(table: string): Promise<void> {
    const sql = this.dialect
      .sql`SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND table = ${table} AND is_done = 0`;
    const pending = async (connection: ClickHouseConnection) =>
      Number((await connection.select<{ n: number }>(sql.text))[0]?.n ?? 0);
    for (const client of [this.client, ...this.nodes]) {
      while ((await pending(client)) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async schemaVersion(): Promise<number> {
    const rows = await this.query<{ value: string | null }>(
      this.dialect.sql`SELECT argMax(value, at) AS value FROM strata_meta WHERE key = 'schema_version'`,
    );
    return Number(rows[0]?.value || 0);
  }

  async query<Row extends Record<string, unknown>>(sql: Sql): Promise<Row[]> {
    return this.client.select<Row>(sql.text);
  }

  async queryColumns(sql: Sql): Promise<{ keys: string[]; columns: Float64Array[] }> {
    const rows = await this.query<Record<string, unknown>>(sql);
    const names = Object.keys(rows[0] ?? {});
    return {
      keys: rows.map((row) => String(row[names[0] ?? ''])),
      columns: names.slice(1).map((name) =>
        Float64Array.from(rows, (row) => {
          const v = row[name];
          return v === null || v === undefined ? Number.NaN : Number(v);
        }),
      ),
    };
  }

  async execute(sql: Sql): Promise<void> {
    await this.client.command(sql.text);
  }

  /** Runs a long statement, reporting rows read against ClickHouse's estimate from system.processes. */
  async withProgress(sql: Sql, onProgress?: (fraction: number) => void): Promise<void> {
    if (!onProgress) return this.execute(sql);
    const queryId = randomUUID();
    let polling = true;
    const poll = async () => {
      while (polling) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        if (!polling) break;
        const rows = await this.query<{ read: number; total: number }>(
          this.dialect
            .sql`SELECT read_rows AS read, total_rows_approx AS total FROM system.processes WHERE query_id = ${queryId}`,
        ).catch(() => []);
        const row = rows[0];
        if (row && row.total > 0) onProgress(Math.min(1, row.read / row.total));
      }
    };
    const polled = poll();
    try {
      await this.client.command(sql.text, queryId);
      onProgress(1);
    } finally {
      polling = false;
      await polled;
    }
  }

  createTableAs(name: string, select: Sql, onProgress?: (fraction: number) => void): Promise<void> {
    const sql = this.dialect.sql;
    return this.withProgress(
      sql`CREATE TABLE ${sql.id(name)} ENGINE = MergeTree ORDER BY account_id AS ${select}`,
      onProgress,
    );
  }

  /** A Memory table on this node (the HTTP interface has no session for TEMPORARY tables). */
  createScratch(name: string, select: Sql, onProgress?: (fraction: number) => void): Promise<void> {
    const sql = this.dialect.sql;
    return this.withProgress(sql`CREATE TABLE ${sql.id(name)} ENGINE = Memory AS ${select}`, onProgress);
  }

  async exportFile(select: Sql, path: string, format: ExportFormat = 'csv'): Promise<number> {
    const name = { csv: 'CSVWithNames', json: 'JSONEachRow', ndjson: 'JSONEachRow', parquet: 'Parquet' }[
      format
    ];
    try {
      // 18.16 has no JSON array output (output_format_json_array_of_rows is 21.x): lines, then wrapped.
      if (format === 'json') {
        const lines = `${path}.${randomUUID().slice(0, 8)}.ndjson`;
        await this.client.exportFile(select.text, lines, name);
        await linesToArray(lines, path).finally(() => rm(lines, { force: true }));
      } else await this.client.exportFile(select.text, path, name);
    } catch (error) {
      // 18.16 predates Parquet output (ClickHouse 19.x).
      if (format === 'parquet' && /Unknown format/i.test((error as Error).message))
        throw new StrataError(
          'unsupported',
          `this ClickHouse server cannot write Parquet: export as csv or json`,
        );
      throw error;
    }
    const [row] = await this.query<{ n: number }>(
      this.dialect.sql`SELECT count() AS n FROM (${select}) exported`,
    );
    return Number(row?.n ?? 0);
  }

  async dropScratch(name: string | Sql): Promise<void> {
    const sql = this.dialect.sql;
    await this.execute(sql`DROP TABLE IF EXISTS ${typeof name === 'string' ? sql.id(name) : name}`);
  }

  /** A mutation only when some row matches: each one rewrites the table's parts. */
  async deleteRows(table: string, condition: Sql): Promise<void> {
    const sql = this.dialect.sql;
    const [found] = await this.query<{ n: number }>(
      sql`SELECT count() AS n FROM ${sql.id(table)} WHERE ${condition}`,
    );
    if (!found?.n) return;
    await this.execute(sql`ALTER TABLE ${sql.id(table)} DELETE WHERE ${condition}`);
    await this.waitForMutations(table);
  }

  /**
   * ClickHouse has no transactions. Callers make their writes safe without one: a run's
   * table is complete before the strata_runs row that makes it visible is inserted (one
   * INSERT of one row is atomic), and an import lands its rows with one INSERT ... SELECT
   * from a staging table whose re-run is idempotent.
   */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  importFile(request: ImportRequest): Promise<ImportResult> {
    return importIntoClickHouse(this, request);
  }

  async lastCursor(source: string): Promise<string | null> {
    const sql = this.dialect.sql;
    const rows = await this.query<{ cursor_value: string }>(
      sql`SELECT cursor_value FROM strata_imports WHERE source = ${source} AND cursor_value IS NOT NULL ORDER BY imported_at DESC LIMIT 1`,
    );
    return rows[0]?.cursor_value ?? null;
  }

  /** Literals through the dialect's `literal`: the server keeps no temporary table between HTTP requests. */
  withKeys<T>(keys: readonly string[], work: (keys: Sql) => Promise<T>): Promise<T> {
    const sql = this.dialect.sql;
    // An empty IN list is a syntax error; NULL matches nothing.
    return work(keys.length === 0 ? sql`(NULL)` : sql`(${sql.join(keys.map((key) => sql.value(key)))})`);
  }

  /** Through the importer (it compares with every stored event, by key). */
  async appendEvents(file: string): Promise<number> {
    return (await this.importFile({ table: 'events', file, format: 'ndjson' })).inserted;
  }

  /** Appends a CSV file (ClickHouse's CSV dialect) to `table`. */
  insertCsvFile(table: string, path: string): Promise<void> {
    return this.client.insertCsvFile(this.dialect.quoteIdentifier(table), path);
  }

  get layoutInfo(): Layout {
    return this.layout;
  }

  async stats(): Promise<TableStats[]> {
    const sql = this.dialect.sql;
    // Seconds, as the DuckDB store reports: '2024-06-07T00:00:00Z'.
    const iso = (expression: Sql) =>
      sql`concat(substring(${this.dialect.fn.isoTimestamp(expression)}, 1, 19), 'Z')`;
    const parts = TABLE_NAMES.map((name) => {
      const time = TABLES[name].timeColumn;
      // An empty table's min() is 1970 in ClickHouse: say NULL as the DuckDB store does.
      const bound = (fn: Sql) =>
        time ? sql`if(count() = 0, NULL, ${iso(sql`${fn}(${sql.id(time)})`)})` : sql`NULL`;
      return sql`SELECT ${name} AS table_name, count() AS rows, ${bound(sql`min`)} AS from_time, ${bound(sql`max`)} AS to_time FROM ${sql.id(name)}`;
    });
    const rows = await this.query<{
      table_name: string;
      rows: number;
      from_time: string | null;
      to_time: string | null;
    }>(sql.join(parts, sql` UNION ALL `));
    return TABLE_NAMES.map((name) => {
      const row = rows.find((r) => r.table_name === name);
      return { table: name, rows: row?.rows ?? 0, from: row?.from_time ?? null, to: row?.to_time ?? null };
    });
  }

  async close(): Promise<void> {
    await this.client.close();
    for (const node of this.nodes) await node.close();
  }
}

/** Whether a node's table (in the connection's database) has the column already. */
async function hasColumn(node: ClickHouseConnection, table: string, column: string): Promise<boolean> {
  const sql = clickhouseDialect.sql;
  const rows = await node.select<{ n: number }>(
    sql`SELECT count() AS n FROM system.columns WHERE database = currentDatabase() AND table = ${table} AND name = ${column}`
      .text,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}
