import type { Dialect } from '../dialect/dialect.js';
import type { Sql } from '../dialect/sql.js';
import type { TableName } from '../model/tables.js';

/** What is known about one invalid row of an imported file. */
export interface RowError {
  readonly file: string;
  /** 1-based line in a text file (CSV header is line 1); row number in a Parquet file. */
  readonly line: number;
  /** The column of the file (its own name, before mapping), or null for a whole-row problem. */
  readonly column: string | null;
  readonly reason: string;
}

/** `json`: one JSON document holding a list of records (an API's list answer, or an array). */
export type FileFormat = 'csv' | 'parquet' | 'ndjson' | 'json';

/** A column of a file as the importer reads it, for derived columns to be computed from. */
export interface FileColumn {
  readonly name: string;
  /** DuckDB type as read (VARCHAR for CSV, JSON for NDJSON and JSON documents, native for Parquet). */
  readonly type: string;
  /** SQL for the value as read. */
  readonly value: Sql;
}

/** A column computed from a file's columns (src/sources/derive), taking part in mapping like a file column. */
export interface DerivedColumn {
  readonly name: string;
  /** DuckDB type of `value` (JSON for a field of a JSON value: read as text, kept as JSON in traits). */
  readonly type: string;
  readonly value: Sql;
  /** SQL text naming why a row's value could not be derived, NULL when it could. */
  readonly error: Sql | null;
}

/** Derived columns, compiled once the file's columns are known; a bad expression throws, naming source and column. */
export interface DerivedColumns {
  compile(columns: readonly FileColumn[]): readonly DerivedColumn[];
}

/** Formats of exported files: CSV with a header, a JSON array, JSON lines (NDJSON), Parquet. */
export type ExportFormat = 'csv' | 'json' | 'ndjson' | 'parquet';

export interface ImportRequest {
  readonly table: TableName;
  /** A file path or a glob of same-shaped files (`events/*.parquet`). */
  readonly file: string;
  /** Inferred from the extension when absent. */
  readonly format?: FileFormat;
  /** target column -> column in the file, for files whose names differ from the model. */
  readonly map?: Readonly<Record<string, string>>;
  /** Columns computed from the file's (strata.yaml `derive:`), replacing file columns of the same name. */
  readonly derive?: DerivedColumns;
  /** For a JSON document: the key holding the list of records (default: the document itself if it is a list, else `data`). */
  readonly records?: string;
  /** Work out what the import would do and write nothing (`strata import --dry-run`). */
  readonly dryRun?: boolean;
  /** Import the valid rows and count the rest, instead of rejecting the whole file. */
  readonly skipInvalid?: boolean;
  /** Called now and then with the share of the file read so far (0-1). */
  readonly onProgress?: (fraction: number) => void;
  /**
   * Where the file's rows came from when it is not the user's file (a Postgres source read
   * into a temporary CSV): kept in the import log with the rows, in the same transaction, so
   * the cursor an incremental source goes on from is the one of rows that were committed.
   */
  readonly origin?: ImportOrigin;
}

/** The source of strata.yaml an import read, as the import log keeps it. */
export interface ImportOrigin {
  /** The source's name in strata.yaml. */
  readonly source: string;
  /** What the log and results call the data instead of the temporary file (`postgres:customers`). */
  readonly label: string;
  /** The largest cursor value read (as text), or null when the source has no cursor or no row was read. */
  readonly cursor: string | null;
}

export interface ImportResult {
  readonly table: TableName;
  readonly file: string;
  /** Rows read from the file. */
  readonly rowsRead: number;
  /** New rows written to the table. */
  readonly inserted: number;
  /** Existing rows replaced by a newer value of the same key (tables holding latest state). */
  readonly updated: number;
  /** Rows already present with the same key and left as they were (idempotent re-import). */
  readonly unchanged: number;
  /** Invalid rows left out (only with skipInvalid; otherwise the import fails instead). */
  readonly skipped: number;
  /** The first invalid rows, in file order (at most 1000); `skipped` has the full count. */
  readonly errors: readonly RowError[];
  /** File columns that did not match a table column and were kept in traits / properties. */
  readonly extraColumns: readonly string[];
  readonly seconds: number;
  /** Set by a dry run: nothing was written, the counts say what an import would do. */
  readonly dryRun?: true;
  /** A dry run of a file with invalid rows and no skipInvalid: the import would refuse it. */
  readonly wouldRefuse?: boolean;
}

export interface TableStats {
  readonly table: TableName;
  readonly rows: number;
  /** Earliest and latest value of the table's time column (ISO, UTC), when it has one and rows. */
  readonly from: string | null;
  readonly to: string | null;
}

/**
 * One workspace's database. Stages (compile, engine, analytics) talk to it through
 * this interface and the dialect, never to an engine's client directly. SQL arrives only as
 * fragments (`Sql`, from the dialect's `sql` tag or the compiler), never as plain text.
 */
export interface Store {
  readonly dialect: Dialect;
  /** Where the data lives: a file path or a server URL (never with credentials). */
  readonly location: string;
  /** The data tables are spread over shards by account_id (a ClickHouse cluster). */
  readonly sharded: boolean;
  /** Runs a query and returns its rows as plain objects (numbers as JS numbers, timestamps as ISO text). */
  query<Row extends Record<string, unknown>>(sql: Sql): Promise<Row[]>;
  /**
   * Runs a query and returns its columns: the first as text, every other as doubles (NaN
   * for NULL). For reading a feature matrix without building one object per row.
   */
  queryColumns(sql: Sql): Promise<{ readonly keys: string[]; readonly columns: Float64Array[] }>;
  /**
   * Runs `work` with `keys` as a fragment to put after IN (`account_id IN ${keys}`), so a
   * statement filters on many ids without a list of literals to write and parse: DuckDB joins
   * a temporary table filled by its Appender (a short list stays literals, cheaper than the
   * table), dropped when `work` settles; ClickHouse (no temporary tables across its HTTP
   * requests) takes the list as literals through the dialect's `literal`, at most
   * `keysPerQuery` of them. No keys: a fragment that matches nothing.
   */
  withKeys<T>(keys: readonly string[], work: (keys: Sql) => Promise<T>): Promise<T>;
  /** The most keys one `withKeys` should be given (callers cut longer lists into chunks). */
  readonly keysPerQuery: number;
  /** Runs statements that return nothing. */
  execute(sql: Sql): Promise<void>;
  /** Runs a long statement, reporting the engine's progress estimate (0-1) now and then. */
  withProgress(sql: Sql, onProgress?: (fraction: number) => void): Promise<void>;
  /**
   * Creates table `name` (unquoted) holding the rows of `select`, in the engine's own
   * storage for a table read whole and joined on account_id; `onProgress` as `withProgress`.
   */
  createTableAs(name: string, select: Sql, onProgress?: (fraction: number) => void): Promise<void>;
  /** Creates a scratch table `name` (unquoted) of `select`'s rows, for this process only and never part of a snapshot. */
  createScratch(name: string, select: Sql, onProgress?: (fraction: number) => void): Promise<void>;
  /** Drops a scratch table (a plain name, or one quoted by `sql.id`); no error when it is gone already. */
  dropScratch(name: string | Sql): Promise<void>;
  /**
   * Deletes the rows of one of Strata's own tables (unquoted name) where `condition`
   * holds, and returns once they are gone (ClickHouse deletes by a mutation, waited for).
   */
  deleteRows(table: string, condition: Sql): Promise<void>;
  /**
   * Writes the rows of `select` to a file, streamed by the engine: CSV with a header, one JSON
   * array of objects, JSON lines (NDJSON, one object a line) or Parquet. Returns the rows written.
   */
  exportFile(select: Sql, path: string, format?: ExportFormat): Promise<number>;
  /** Runs `work` in one transaction: all of it lands, or none of it. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** Loads a file into a table: validated, atomic, idempotent on the table's key. */
  importFile(request: ImportRequest): Promise<ImportResult>;
  /**
   * Appends the rows of an NDJSON file of events that the caller has validated (the
   * ingestion API's), leaving out those whose event_id is stored among the events of the
   * last `withinDays` days before the file's earliest; returns how many were new. One
   * statement where the engine allows, without the importer's checks and report.
   */
  appendEvents(file: string, withinDays: number): Promise<number>;
  /**
   * The cursor value of the latest committed import of `source` (a strata.yaml source name)
   * that recorded one, or null: where an incremental source goes on from.
   */
  lastCursor(source: string): Promise<string | null>;
  /** Row counts and time ranges of every table. */
  stats(): Promise<TableStats[]>;
  /** The schema version this store is at. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
