import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';

/**
 * How the ClickHouse store reaches a server. Over HTTP in production (`HttpConnection`);
 * tests also run the store in-process on current ClickHouse through chdb
 * (test/chdb/chdb-connection.ts), so SQL is checked on both old and new servers.
 */
export interface ClickHouseConnection {
  /** Rows of a query as objects, 64-bit integers as numbers. */
  select<Row extends Record<string, unknown>>(sql: string): Promise<Row[]>;
  /** Runs a statement; `queryId` lets system.processes report its progress. */
  command(sql: string, queryId?: string): Promise<void>;
  /** Streams the rows of a query to a CSV file with a header line. */
  /** Streams the result to a file in a ClickHouse output format (CSVWithNames, JSONEachRow, Parquet). */
  exportFile(sql: string, path: string, format: string): Promise<void>;
  /** Appends a CSV file (ClickHouse's CSV: \N is NULL) to `table` (quoted). */
  insertCsvFile(table: string, path: string): Promise<void>;
  close(): Promise<void>;
}

/** Settings of every query: SQL NULLs for outer-join misses, ALL joins, numbers as JSON numbers. */
export const QUERY_SETTINGS = {
  join_use_nulls: 1,
  join_default_strictness: 'ALL',
  output_format_json_quote_64bit_integers: 0,
  // A compiled workspace is one query: RFM cells and scores make its expression tree large.
  max_ast_elements: '2000000',
  max_expanded_ast_elements: '2000000',
} as const;

/** On a cluster, also: joins read local shards, inserts reach the shards before returning. */
export const CLUSTER_SETTINGS = {
  // A join's right side over a Distributed table reads the local shard: every table is
  // sharded by account_id, so the rows it needs are there.
  distributed_product_mode: 'local',
  insert_distributed_sync: 1,
} as const;

/** The URL without credentials, safe to print. */
export function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/$/, '');
}

/** A server's HTTP interface through the official client. */
export class HttpConnection implements ClickHouseConnection {
  private readonly client: ClickHouseClient;

  constructor(url: string, options: { database?: string; cluster?: boolean } = {}) {
    const parsed = new URL(url);
    const username = decodeURIComponent(parsed.username) || 'default';
    const password = decodeURIComponent(parsed.password);
    this.client = createClient({
      url: withoutCredentials(url),
      username,
      password,
      ...(options.database ? { database: options.database } : {}),
      request_timeout: 3_600_000,
      // Errors reach the caller as exceptions; the client's own console logging would repeat them.
      log: { level: ClickHouseLogLevel.OFF },
      clickhouse_settings: { ...QUERY_SETTINGS, ...(options.cluster ? CLUSTER_SETTINGS : {}) },
    });
  }

  async select<Row extends Record<string, unknown>>(sql: string): Promise<Row[]> {
    const result = await this.client.query({ query: sql, format: 'JSON' });
    return ((await result.json()) as { data: Row[] }).data;
  }

  async command(sql: string, queryId?: string): Promise<void> {
    await this.client.command({ query: sql, ...(queryId ? { query_id: queryId } : {}) });
  }

  async exportFile(sql: string, path: string, format: string): Promise<void> {
    const result = await this.client.exec({ query: `${sql} FORMAT ${format}` });
    await pipeline(result.stream, createWriteStream(path));
  }

  async insertCsvFile(table: string, path: string): Promise<void> {
    await this.client.insert({ table, values: createReadStream(path) as never, format: 'CSV' });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
