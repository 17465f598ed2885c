import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { didYouMean, StrataError } from '../../errors.js';
import { redactSecrets } from '../../redact.js';
import type { SourceConfig } from '../source-config.js';

type PostgresConfig = NonNullable<SourceConfig['postgres']>;

/** What one read of a Postgres source gave. */
export interface PostgresRead {
  /** `postgres:<table>` or `postgres:query`: what results and errors call the rows. */
  readonly label: string;
  /** The largest cursor value read, as Postgres writes it (text), or null (no cursor, or no row). */
  readonly cursor: string | null;
  /** The columns of the table or query, in order. */
  readonly columns: readonly string[];
}

export interface PostgresReadOptions {
  /** Read only rows whose cursor is at or after this value (the last one committed). */
  readonly after: string | null;
  /** Columns the source's `map:` reads: each must exist, checked before any row is read. */
  readonly mapped: readonly string[];
}

/** How long a server may take to accept the connection before the import gives up. */
const CONNECT_TIMEOUT_MS = 15_000;

/** The connection URL from the environment variable `url: env:NAME` names; never printed. */
function connectionUrl(name: string, config: PostgresConfig): string {
  const variable = config.url.slice('env:'.length);
  const url = process.env[variable];
  const path = `sources.${name}.postgres.url`;
  if (url === undefined || url.trim() === '')
    throw new StrataError(
      'missing_env',
      `source ${name}: the environment variable ${variable} is not set; it should hold the postgres://user:password@host:port/database URL of the database`,
      { path },
    );
  if (!/^postgres(ql)?:\/\//i.test(url.trim()))
    throw new StrataError(
      'invalid_source',
      `source ${name}: ${variable} does not hold a postgres:// URL (postgres://user:password@host:port/database)`,
      { path },
    );
  return url.trim();
}

/** `host:port/database` of a URL, for messages: no user, no password. */
function whereOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return redactSecrets(url);
  }
}

/** A schema-qualified name (`sales.customers`) as quoted identifiers: names are taken as written. */
function quotedName(client: pg.Client, name: string): string {
  return name
    .split('.')
    .map((part) => client.escapeIdentifier(part))
    .join('.');
}

/**
 * Reads a Postgres source into `file` (CSV with a header), streamed: COPY (SELECT ...) TO
 * STDOUT is piped to the file with backpressure, so the table is never held in memory. The
 * read and the largest cursor value come from one read-only REPEATABLE READ transaction (one
 * snapshot), so a row changed during the read is either read with a cursor at most the
 * recorded one, or left for the next import. Nothing is written anywhere but `file`.
 */
export async function readPostgres(
  name: string,
  config: PostgresConfig,
  file: string,
  options: PostgresReadOptions,
): Promise<PostgresRead> {
  const url = connectionUrl(name, config);
  const label = `postgres:${config.table ?? 'query'}`;
  const where = whereOf(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An error of an idle connection (the server going away) is reported by the next query instead.
  client.on('error', () => undefined);
  try {
    await client.connect().catch((error: Error) => {
      throw new StrataError(
        'postgres_connection',
        `source ${name}: cannot connect to PostgreSQL at ${where}: ${redactSecrets(error.message)}`,
        { path: `sources.${name}.postgres.url` },
      );
    });
    // Text as Strata reads it: ISO dates, instants in UTC.
    await client.query(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'`);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const base = config.table
      ? `SELECT * FROM ${quotedName(client, config.table)}`
      : `SELECT * FROM (${config.query?.trim().replace(/;\s*$/, '')}) AS strata_query`;
    const columns = await columnsOf(client, base, name, config, where);
    const cursor = config.cursor;
    const need = [
      ...(cursor ? [{ column: cursor, role: 'cursor' }] : []),
      ...options.mapped.map((column) => ({ column, role: 'map' })),
    ];
    for (const { column, role } of need)
      if (!columns.includes(column))
        throw new StrataError(
          'unknown_column',
          `source ${name}: ${config.table ? `table ${config.table}` : 'the query'} has no column '${column}' (${role === 'cursor' ? 'the cursor' : 'named in map:'})${didYouMean(column, columns)}; its columns: ${columns.join(', ')}`,
          { path: `sources.${name}.${role === 'cursor' ? 'postgres.cursor' : 'map'}`, column },
        );
    const c = cursor ? client.escapeIdentifier(cursor) : '';
    const after =
      cursor && options.after !== null ? ` WHERE ${c} >= ${client.escapeLiteral(options.after)}` : '';
    const select = `SELECT * FROM (${base}) AS strata_source${after}${cursor ? ` ORDER BY ${c}` : ''}`;
    // COPY takes no bound parameters: the one value in it is escaped by the client (escapeLiteral).
    const stream = client.query(copyTo(`COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER true)`));
    await pipeline(stream, createWriteStream(file));
    const last = cursor
      ? ((
          await client.query<{ last: string | null }>(
            `SELECT max(${c})::text AS last FROM (${base}) AS strata_source${after}`,
          )
        ).rows[0]?.last ?? null)
      : null;
    await client.query('COMMIT');
    return { label, cursor: last, columns };
  } catch (error) {
    if (error instanceof StrataError) throw error;
    throw new StrataError(
      'postgres_error',
      `source ${name}: PostgreSQL at ${where} refused the read: ${redactSecrets((error as Error).message)}`,
      { path: `sources.${name}.postgres` },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The columns of the table or query (a read of no rows); a missing table is named. */
async function columnsOf(
  client: pg.Client,
  base: string,
  name: string,
  config: PostgresConfig,
  where: string,
): Promise<string[]> {
  try {
    const result = await client.query(`SELECT * FROM (${base}) AS strata_source LIMIT 0`);
    return result.fields.map((field) => field.name);
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    if (code === '42P01' && config.table)
      throw new StrataError(
        'unknown_table',
        `source ${name}: no table or view '${config.table}' in the PostgreSQL database ${where} (names are case-sensitive; schema.table for another schema than public)`,
        { path: `sources.${name}.postgres.table` },
      );
    throw new StrataError(
      'postgres_error',
      `source ${name}: PostgreSQL at ${where} refused the ${config.table ? `read of table ${config.table}` : 'query'}: ${redactSecrets(message)}`,
      { path: `sources.${name}.postgres.${config.table ? 'table' : 'query'}` },
    );
  }
}
