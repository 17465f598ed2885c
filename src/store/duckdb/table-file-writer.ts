/**
 * Streaming Parquet writer for the demo generator: rows of one table go through a
 * DuckDB appender into an in-memory scratch table and leave it as Parquet in bounded
 * parts (COPY ... TO), so memory stays flat however many rows pass through. The only
 * file of the generator that knows about DuckDB.
 *
 * Rows arrive in the column order of src/model/tables.ts: text (and JSON text) as
 * strings, timestamps as epoch milliseconds. Two measured tricks keep it near 1M
 * rows/s: all text values of a row travel packed in ONE VARCHAR (separated by U+001F,
 * NULL spelled U+001E) because each appended string costs ~0.3 us whatever its length,
 * and DuckDB splits them back in parallel during the COPY; numbers travel as DOUBLE
 * (cheap typed-array writes, no BigInt per value) and are cast on the way out.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  VARCHAR,
} from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../../dialect/sql.js';
import type { ColumnType, Table } from '../../model/tables.js';

export type Cell = string | number | null;

/** DuckDB type of each logical column type in the written Parquet files. */
export const PARQUET_TYPE: Readonly<Record<ColumnType, string>> = {
  string: 'VARCHAR',
  integer: 'BIGINT',
  double: 'DOUBLE',
  timestamp: 'TIMESTAMP',
  json: 'VARCHAR',
};

/** Rows per appended data chunk (DuckDB's vector size). */
const CHUNK_ROWS = 2048;
const SEP = '\u001f';
const NULL_MARK = '\u001e';

// Paths and names reach SQL only through the dialect's tag, like every other value.
const sql = duckdbDialect.sql;
const isText = (type: ColumnType) => type === 'string' || type === 'json';

/** How a table's columns sit in its scratch table: one packed text column plus one DOUBLE per numeric column. */
interface Layout {
  /** For each table column: its position among text columns, or among numeric ones. */
  readonly slot: readonly { readonly text: boolean; readonly at: number }[];
  readonly textCount: number;
  readonly numericCount: number;
  readonly createSql: (scratch: string) => Sql;
  readonly copySelect: (scratch: string) => Sql;
}

function layoutOf(table: Table): Layout {
  let textCount = 0;
  let numericCount = 0;
  const slot = table.columns.map((c) =>
    isText(c.type) ? { text: true, at: textCount++ } : { text: false, at: numericCount++ },
  );
  const numeric = (j: number) => sql.id(`n${j}`);
  const numericNames = Array.from({ length: numericCount }, (_, j) => numeric(j));
  const defs = [
    ...(textCount > 0 ? [sql`packed VARCHAR`] : []),
    ...numericNames.map((n) => sql`${n} DOUBLE`),
  ];
  const exprs = table.columns.map((c, i) => {
    const s = slot[i] ?? { text: true, at: 0 };
    const id = sql.id(c.name);
    if (s.text) return sql`NULLIF(parts[${s.at + 1}], chr(30)) AS ${id}`;
    if (c.type === 'integer') return sql`CAST(${numeric(s.at)} AS BIGINT) AS ${id}`;
    if (c.type === 'timestamp') return sql`epoch_ms(CAST(${numeric(s.at)} AS BIGINT)) AS ${id}`;
    return sql`${numeric(s.at)} AS ${id}`;
  });
  const inner = sql.join([
    ...(textCount > 0 ? [sql`string_split(packed, chr(31)) AS parts`] : []),
    ...numericNames,
  ]);
  return {
    slot,
    textCount,
    numericCount,
    createSql: (scratch) => sql`CREATE TABLE ${sql.id(scratch)} (${sql.join(defs)})`,
    copySelect: (scratch) => sql`SELECT ${sql.join(exprs)} FROM (SELECT ${inner} FROM ${sql.id(scratch)})`,
  };
}

export interface WriterSessionOptions {
  /** Folder for DuckDB spill files and staged parts; removed on close. */
  readonly stagingDir: string;
  /** DuckDB memory limit, e.g. '1500MB'. */
  readonly memoryLimit?: string;
  readonly threads?: number;
}

/** One DuckDB instance shared by the writers of a run; COPYs run one at a time in the background. */
export class ParquetWriterSession {
  private queue: Promise<unknown> = Promise.resolve();
  private nextScratch = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly background: DuckDBConnection,
    readonly stagingDir: string,
  ) {}

  /** Opens an in-memory DuckDB that spills to the staging folder past its memory limit. */
  static async open(o: WriterSessionOptions): Promise<ParquetWriterSession> {
    await mkdir(o.stagingDir, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:', {
      threads: String(o.threads ?? 2),
      memory_limit: o.memoryLimit ?? '1500MB',
      temp_directory: join(o.stagingDir, 'spill'),
      preserve_insertion_order: 'true',
    });
    return new ParquetWriterSession(instance, await instance.connect(), o.stagingDir);
  }

  /**
   * A writer for one table: `target` is a file path (one Parquet file) or, with
   * `partitioned`, a folder that receives part-00000.parquet, part-00001.parquet, ...
   * A part is cut at the first `checkpoint` after `partRows` rows.
   */
  async writer(
    table: Table,
    target: string,
    o: { partitioned: boolean; partRows: number },
  ): Promise<TableFileWriter> {
    const connection = await this.instance.connect();
    const id = this.nextScratch++;
    const layout = layoutOf(table);
    const scratch = [`scratch_${id}_a`, `scratch_${id}_b`] as const;
    for (const name of scratch) await connection.run(layout.createSql(name).text);
    const w = new TableFileWriter(
      this,
      connection,
      table,
      layout,
      scratch,
      target,
      o.partitioned,
      o.partRows,
    );
    await w.open();
    return w;
  }

  /** Runs a statement on the background connection after all statements queued before it. */
  enqueue(statement: Sql): Promise<void> {
    const run = this.queue.then(() => this.background.run(statement.text)).then(() => undefined);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for queued statements, closes DuckDB and removes the staging folder. */
  async close(): Promise<void> {
    await this.queue;
    this.background.closeSync();
    this.instance.closeSync();
    await rm(this.stagingDir, { recursive: true, force: true });
  }
}

/** Writes the rows of one table; `push` is synchronous, Parquet is written at `checkpoint` and `close`. */
export class TableFileWriter {
  private readonly packed: string[] = new Array<string>(CHUNK_ROWS).fill('');
  private readonly numbers: (number | null)[][];
  private readonly chunk: DuckDBDataChunk;
  private appender: DuckDBAppender | null = null;
  private filled = 0;
  private active = 0;
  private scratchRows = 0;
  private totalRows = 0;
  private readonly parts: string[] = [];
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: ParquetWriterSession,
    private readonly connection: DuckDBConnection,
    readonly table: Table,
    private readonly layout: Layout,
    private readonly scratch: readonly [string, string],
    private readonly target: string,
    private readonly partitioned: boolean,
    private readonly partRows: number,
  ) {
    const types = [...(layout.textCount > 0 ? [VARCHAR] : []), ...Array(layout.numericCount).fill(DOUBLE)];
    this.chunk = DuckDBDataChunk.create(types, CHUNK_ROWS);
    this.numbers = Array.from({ length: layout.numericCount }, () =>
      new Array<number | null>(CHUNK_ROWS).fill(null),
    );
  }

  /** Rows pushed so far. */
  get rows(): number {
    return this.totalRows + this.filled;
  }

  /** Copies one row (values in the table's column order); text must not contain U+001E or U+001F. */
  push(row: readonly Cell[]): void {
    const i = this.filled;
    let packed = '';
    const slots = this.layout.slot;
    for (let c = 0; c < slots.length; c++) {
      const s = slots[c] as { text: boolean; at: number };
      const v = row[c] ?? null;
      if (s.text) {
        const text = v === null ? NULL_MARK : typeof v === 'string' ? v : String(v);
        if (text !== NULL_MARK && (text.includes(SEP) || text.includes(NULL_MARK))) {
          throw new Error(
            `${this.table.name}.${this.table.columns[c]?.name}: text contains a control separator`,
          );
        }
        packed = s.at === 0 ? text : packed + SEP + text;
      } else {
        (this.numbers[s.at] as (number | null)[])[i] =
          typeof v === 'number' ? v : v === null ? null : Number(v);
      }
    }
    this.packed[i] = packed;
    if (++this.filled === CHUNK_ROWS) this.appendChunk();
  }

  private appendChunk(): void {
    const n = this.filled;
    if (n === 0) return;
    if (this.appender === null) throw new Error(`writer for ${this.table.name} is closed`);
    const cut = <T>(col: T[]) => (n === CHUNK_ROWS ? col : col.slice(0, n));
    this.chunk.reset();
    this.chunk.rowCount = n;
    this.chunk.setColumns([
      ...(this.layout.textCount > 0 ? [cut(this.packed)] : []),
      ...this.numbers.map(cut),
    ]);
    this.appender.appendDataChunk(this.chunk);
    this.scratchRows += n;
    this.totalRows += n;
    this.filled = 0;
  }

  /** Opens the appender on the active scratch table (the session does it before handing the writer out). */
  async open(): Promise<void> {
    this.appender = await this.connection.createAppender(this.scratch[this.active] as string);
  }

  /** Cuts a part when the scratch table holds `partRows` rows; its COPY overlaps the caller's next work. */
  async checkpoint(): Promise<void> {
    if (this.scratchRows + this.filled >= this.partRows) await this.rotate(false);
  }

  private partPath(k: number): string {
    const name = `part-${String(k).padStart(5, '0')}.parquet`;
    return this.partitioned ? join(this.target, name) : join(this.session.stagingDir, this.table.name, name);
  }

  /** Seals the active scratch table into a part and switches to the other one. */
  private async rotate(final: boolean): Promise<void> {
    this.appendChunk();
    this.appender?.closeSync();
    this.appender = null;
    await this.pending; // the other scratch table is empty again once its COPY is done
    const scratch = this.scratch[this.active] as string;
    if (this.scratchRows > 0 || (final && this.parts.length === 0)) {
      const direct = final && !this.partitioned && this.parts.length === 0;
      const path = direct ? this.target : this.partPath(this.parts.length);
      await mkdir(dirname(path), { recursive: true });
      this.parts.push(path);
      const copy = sql`COPY (${this.layout.copySelect(scratch)}) TO ${path} (FORMAT parquet)`;
      // Dropping and re-creating returns the memory at once; a DELETE would leave it to a later vacuum.
      const reset = sql`DROP TABLE ${sql.id(scratch)}; ${this.layout.createSql(scratch)}`;
      this.pending = this.session.enqueue(copy).then(() => this.session.enqueue(reset));
    }
    this.scratchRows = 0;
    this.active = 1 - this.active;
    if (!final) await this.open();
  }

  /** Flushes everything; returns the row count and the written file paths. */
  async close(): Promise<{ rows: number; files: string[] }> {
    await this.rotate(true);
    await this.pending;
    this.connection.closeSync();
    if (this.partitioned || this.parts[0] === this.target)
      return { rows: this.totalRows, files: [...this.parts] };
    if (this.parts.length === 1 && this.parts[0] !== undefined) {
      await mkdir(dirname(this.target), { recursive: true });
      await rename(this.parts[0], this.target);
    } else {
      const list = sql.join(this.parts.map((part) => sql.value(part)));
      await this.session.enqueue(
        sql`COPY (SELECT * FROM read_parquet([${list}])) TO ${this.target} (FORMAT parquet)`,
      );
      for (const part of this.parts) await rm(part, { force: true });
    }
    return { rows: this.totalRows, files: [this.target] };
  }
}
