import { randomUUID } from 'node:crypto';
import type { Sql } from '../../dialect/sql.js';
import { StrataError } from '../../errors.js';
import { TABLES, type Table } from '../../model/tables.js';
import { refuseBrokenHierarchy } from '../account-hierarchy.js';
import type { ImportRequest, ImportResult, RowError } from '../store.js';
import { findMixedLineEnd } from './csv-line-ends.js';
import type { DuckDBStore } from './duckdb-store.js';
import { type FileSource, formatOf, openFileSource } from './file-source.js';
import { locateRows } from './locate-rows.js';
import { stageSelect } from './stage-select.js';

/** At most this many invalid rows are described; the count covers all of them. */
const MAX_REPORTED_ERRORS = 1000;

/**
 * DuckDB's CSV reader fails a file as a whole, without a line, when its lines end in more
 * than one way (LF here, CRLF there): the line where the mix starts, found by a scan (one
 * that reads quotes as CSV does, else one that ignores them, for quotes left open).
 */
async function unreadableCsv(source: FileSource, error: Error): Promise<never> {
  if (source.format !== 'csv' || !/state machine reached an invalid state/i.test(error.message)) throw error;
  for (const quotes of [true, false]) {
    for (const file of source.files) {
      const mixed = await findMixedLineEnd(file, quotes);
      if (mixed)
        throw new StrataError(
          'invalid_csv',
          `this line ends with ${mixed.found} but line 1 with ${mixed.first}; a CSV file must end every line the same way${quotes ? '' : ' (or a quote before this line is not closed)'}`,
          { file, line: mixed.line },
        );
    }
  }
  throw new StrataError(
    'invalid_csv',
    `${source.files.join(', ')}: DuckDB's CSV reader cannot read it (${error.message.split('\n')[0]})`,
    { file: source.files[0] ?? '' },
  );
}

/**
 * Ids of rows that carry none (events, tickets): a hash of the row's content, so re-importing
 * the same file finds the same ids. Identical lines are distinct occurrences (two identical
 * invoice lines are two sales), so the second and later copies of a content get the hash of
 * content and occurrence number: every line is kept, and the same file still gives the same
 * ids. The first copy keeps the plain hash, as ids were derived before occurrences counted.
 */
async function deriveKeys(store: DuckDBStore, stage: Sql, key: string): Promise<void> {
  const sql = store.dialect.sql;
  const k = sql.id(key);
  await store.execute(sql`UPDATE ${stage} SET ${k} = __key`);
  await store.execute(
    sql`UPDATE ${stage} SET ${k} = md5(concat(o.__key, '#', o.occurrence))
     FROM (SELECT __file AS f, __record AS r, __key, row_number() OVER (PARTITION BY __key ORDER BY __file, __record) AS occurrence
           FROM ${stage} WHERE __key_derived AND __key IN (SELECT __key FROM ${stage} WHERE __key_derived GROUP BY __key HAVING count(*) > 1)) o
     WHERE ${stage}.__file = o.f AND ${stage}.__record = o.r AND o.occurrence > 1`,
  );
}

/** The refusal of a file with invalid rows (and no skipInvalid), every row described in its details. */
function invalidRowsError(file: string, skipped: number, rowsRead: number, errors: readonly RowError[]) {
  return new StrataError(
    'invalid_rows',
    `${file}: ${skipped} invalid row${skipped === 1 ? '' : 's'} of ${rowsRead}; nothing from this file was imported (fix the file, or pass --skip-invalid to import the valid rows)`,
    { file },
    { errors, invalidRows: skipped },
  );
}

/**
 * Refuses accounts whose parents, the valid staged rows over the stored ones, make a cycle.
 * When no staged row sets a parent other than the stored one (a new account without one
 * included), the links are the stored ones, checked when they were written, plus accounts no
 * chain passes through: the walk over every account (a quarter of a second at 100,000, for
 * each group call's pass of `strata serve`) is skipped.
 */
async function refuseAccountCycles(store: DuckDBStore, valid: Sql, file: string): Promise<void> {
  const sql = store.dialect.sql;
  const [moved] = await store.query<{ n: number | bigint }>(
    sql`SELECT count(*) AS n FROM (${valid}) v LEFT JOIN accounts t ON t.account_id = v.account_id
     WHERE coalesce(v.parent_account_id, '') <> coalesce(t.parent_account_id, '')`,
  );
  if (Number(moved?.n ?? 0) === 0) return;
  const parent = (alias: string) => sql`coalesce(${sql.id(alias)}.parent_account_id, '') AS parent`;
  await refuseBrokenHierarchy(
    store,
    sql`SELECT account_id, ${parent('v')} FROM (${valid}) v
      UNION ALL SELECT account_id, ${parent('t')} FROM accounts t WHERE account_id NOT IN (SELECT account_id FROM (${valid}) v)`,
    file,
  );
}

/** Loads one file into a table of a DuckDB store; see Store.importFile. */
export async function importIntoDuckDB(store: DuckDBStore, request: ImportRequest): Promise<ImportResult> {
  const started = performance.now();
  const table: Table = TABLES[request.table];
  const sql = store.dialect.sql;
  const q = (name: string) => sql.id(name);
  const format =
    request.format ??
    (request.records !== undefined && /\.json$/i.test(request.file) ? 'json' : formatOf(request.file));
  const source = await openFileSource(store, request.file, format, request.records);
  const { select, checks, mapping, relation } = stageSelect(store, table, source, request);
  const id = randomUUID().replaceAll('-', '').slice(0, 12);
  const stage = q(`strata_stage_${id}`);
  const errors = q(`strata_errors_${id}`);
  const keyList = sql.join(table.key.map(q));

  // A synthetic key the file does not carry is a hash of the row, so the same row always gets the same id.
  const derivedKey = table.key.length === 1 && table.derivedKeyFrom ? table.key[0] : undefined;
  const keyExpression = derivedKey
    ? sql`coalesce(${q(derivedKey)}, md5(concat_ws(chr(31), ${sql.join((table.derivedKeyFrom ?? []).map((c) => sql`coalesce(CAST(${q(c)} AS VARCHAR), '')`))})))`
    : null;

  const dropTemp = async () => {
    for (const name of [stage, errors, source.rejectsTable, source.rejectsScanTable]) {
      if (name) await store.dropScratch(name);
    }
  };
  try {
    await store
      .withProgress(
        sql`CREATE TEMP TABLE ${stage} AS SELECT *${keyExpression && derivedKey ? sql`, ${keyExpression} AS __key, ${q(derivedKey)} IS NULL AS __key_derived` : sql.empty} FROM (SELECT ${select} FROM (${relation}))`,
        request.onProgress,
      )
      .catch((error: Error) => unreadableCsv(source, error));
    if (derivedKey) await deriveKeys(store, stage, derivedKey);
    const duplicate = sql`(${keyList}) IN (SELECT (${keyList}) FROM ${stage} GROUP BY ${keyList} HAVING count(*) > 1)`;
    const checkSql = checks.map(
      (check) =>
        sql`SELECT __file, __record, __newlines, ${check.columnSql ?? check.column} AS column_name, ${check.reason} AS reason FROM ${stage} WHERE ${check.invalid}`,
    );
    // A key seen twice in one file: the first row stands, the later ones are reported.
    checkSql.push(
      sql`SELECT __file, __record, __newlines, NULL, concat(${`duplicate key (${table.key.join(', ')}) = `}, ${sql.join(
        table.key.map((k) => sql`coalesce(CAST(${q(k)} AS VARCHAR), '')`),
        sql`, ', ', `,
      )}, ', first seen earlier in the file')
       FROM (SELECT *, row_number() OVER (PARTITION BY ${keyList} ORDER BY __file, __record) AS occurrence
             FROM ${stage} WHERE ${duplicate}) WHERE occurrence > 1`,
    );
    await store.execute(sql`CREATE TEMP TABLE ${errors} AS ${sql.join(checkSql, sql`\nUNION ALL\n`)}`);
    const rowErrors = await locateRows(store, source, stage, errors, MAX_REPORTED_ERRORS);
    const invalidRows =
      (
        await store.query<{ n: number }>(sql`SELECT count(DISTINCT (__file, __record)) AS n FROM ${errors}`)
      )[0]?.n ?? 0;
    const rejected = rowErrors.rejectedLines;
    const rowsRead =
      ((await store.query<{ n: number }>(sql`SELECT count(*) AS n FROM ${stage}`))[0]?.n ?? 0) + rejected;
    const skipped = invalidRows + rejected;
    const wouldRefuse = skipped > 0 && !request.skipInvalid;
    if (wouldRefuse && !request.dryRun)
      throw invalidRowsError(request.file, skipped, rowsRead, rowErrors.errors);

    const columns = sql.join(table.columns.map((c) => q(c.name)));
    const valid = sql`SELECT ${columns} FROM ${stage} s WHERE NOT EXISTS (SELECT 1 FROM ${errors} e WHERE e.__file = s.__file AND e.__record = s.__record)`;
    const target = q(table.name);
    const keyMatch = sql.join(
      table.key.map((k) => sql`t.${q(k)} = v.${q(k)}`),
      sql` AND `,
    );
    const sameRow = sql.join(
      table.columns.map(
        (c) => sql`CAST(t.${q(c.name)} AS VARCHAR) IS NOT DISTINCT FROM CAST(v.${q(c.name)} AS VARCHAR)`,
      ),
      sql` AND `,
    );
    const validCount = rowsRead - skipped;
    if (table.name === 'accounts') await refuseAccountCycles(store, valid, request.file);
    const writeRows = async () => {
      if (table.onDuplicateKey === 'keep') {
        // Append-only tables (events): new keys go straight in, known keys are left alone.
        const inserted = await store.executeCount(
          sql`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM (${valid}) v WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${keyMatch})`,
        );
        return { inserted, updated: 0, unchanged: validCount - inserted };
      }
      // Tables of current state: rows whose values differ replace the stored row of their key.
      const changed = q(`strata_changed_${id}`);
      await store.execute(
        sql`CREATE TEMP TABLE ${changed} AS SELECT * FROM (${valid}) v WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${keyMatch} AND ${sameRow})`,
      );
      const changedCount =
        (await store.query<{ n: number }>(sql`SELECT count(*) AS n FROM ${changed}`))[0]?.n ?? 0;
      const updated = await store.executeCount(
        sql`DELETE FROM ${target} t WHERE EXISTS (SELECT 1 FROM ${changed} v WHERE ${keyMatch})`,
      );
      await store.execute(sql`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${changed}`);
      await store.execute(sql`DROP TABLE ${changed}`);
      return { inserted: changedCount - updated, updated, unchanged: validCount - changedCount };
    };
    const result = {
      table: request.table,
      file: request.file,
      rowsRead,
      skipped,
      errors: rowErrors.errors,
      extraColumns: mapping.extras,
    };
    if (request.dryRun) {
      const count = async (query: Sql) => (await store.query<{ n: number }>(query))[0]?.n ?? 0;
      const stored = sql`EXISTS (SELECT 1 FROM ${target} t WHERE ${keyMatch})`;
      let inserted: number;
      let updated = 0;
      if (table.onDuplicateKey === 'keep') {
        inserted = await count(sql`SELECT count(*) AS n FROM (${valid}) v WHERE NOT ${stored}`);
      } else {
        const changed = sql`SELECT * FROM (${valid}) v WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${keyMatch} AND ${sameRow})`;
        updated = await count(sql`SELECT count(*) AS n FROM (${changed}) v WHERE ${stored}`);
        inserted = (await count(sql`SELECT count(*) AS n FROM (${changed})`)) - updated;
      }
      return {
        ...result,
        inserted,
        updated,
        unchanged: validCount - inserted - updated,
        seconds: (performance.now() - started) / 1000,
        dryRun: true,
        wouldRefuse,
      };
    }
    const counts = await store.transaction(async () => {
      const result = await writeRows();
      // The log entry lands with the rows or not at all.
      await store.execute(
        sql`INSERT INTO strata_imports VALUES (now()::TIMESTAMP, ${table.name}, ${request.origin?.label ?? request.file}, ${rowsRead}, ${result.inserted}, ${result.updated}, ${result.unchanged}, ${skipped}, ${request.origin?.source ?? null}, ${request.origin?.cursor ?? null})`,
      );
      return result;
    });
    return { ...result, ...counts, seconds: (performance.now() - started) / 1000 };
  } finally {
    await dropTemp();
  }
}

export type { RowError };
