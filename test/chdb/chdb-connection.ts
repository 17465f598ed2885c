import { writeFileSync } from 'node:fs';
import { Session } from 'chdb';
import { clickhouseDialect } from '../../src/dialect/clickhouse/clickhouse-dialect.js';
import { type ClickHouseConnection, QUERY_SETTINGS } from '../../src/store/clickhouse/connection.js';

/**
 * The ClickHouse store's connection run in-process on current ClickHouse (chdb), so the
 * SQL written for 18.16 is checked on today's server too. chdb answers synchronously;
 * the promises only match the interface.
 */
export class ChdbConnection implements ClickHouseConnection {
  private readonly session: Session;

  constructor(path: string, database: string) {
    this.session = new Session(path);
    for (const [name, value] of Object.entries(QUERY_SETTINGS)) {
      this.session.query(`SET ${name} = ${clickhouseDialect.literal(value)}`);
    }
    this.session.query(`CREATE DATABASE IF NOT EXISTS ${clickhouseDialect.quoteIdentifier(database)}`);
    this.session.query(`USE ${clickhouseDialect.quoteIdentifier(database)}`);
  }

  async select<Row extends Record<string, unknown>>(sql: string): Promise<Row[]> {
    const text = this.session.query(sql, 'JSON');
    return text.trim() === '' ? [] : (JSON.parse(text) as { data: Row[] }).data;
  }

  async command(sql: string): Promise<void> {
    this.session.query(sql);
  }

  async exportFile(sql: string, path: string, format: string): Promise<void> {
    writeFileSync(path, this.session.query(sql, format));
  }

  /** Through the file() table function, with the table's own column types. */
  async insertCsvFile(table: string, path: string): Promise<void> {
    const columns = await this.select<{ name: string; type: string }>(`DESCRIBE TABLE ${table}`);
    const structure = columns.map((c) => `${clickhouseDialect.quoteIdentifier(c.name)} ${c.type}`).join(', ');
    const lit = clickhouseDialect.literal;
    this.session.query(`INSERT INTO ${table} SELECT * FROM file(${lit(path)}, 'CSV', ${lit(structure)})`);
  }

  async close(): Promise<void> {
    this.session.cleanup?.();
  }
}
