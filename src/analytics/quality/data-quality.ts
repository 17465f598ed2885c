import { segmentColumn } from '../../compile/compile-workspace.js';
import type { Sql } from '../../dialect/sql.js';
import { readRun } from '../../engine/run-snapshot.js';
import { didYouMean, StrataError } from '../../errors.js';
import { TABLE_NAMES, TABLES, type TableName } from '../../model/tables.js';
import type { Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';

/** How old a table's newest row may be for each expected update frequency. */
const ALLOWED_LAG_HOURS = { realtime: 1, hourly: 2, daily: 48, weekly: 8 * 24, monthly: 32 * 24 } as const;

export interface QualityReport {
  readonly asOf: string;
  readonly accounts: number;
  /** Coverage of each attribute over all accounts against the required share. */
  readonly attributes: readonly {
    readonly attribute: string;
    readonly share: number;
    readonly required: number;
    readonly ok: boolean;
  }[];
  /** The same within the members of segments with their own requirement (latest run). */
  readonly segments: readonly {
    readonly segment: string;
    readonly members: number;
    readonly required: number;
    readonly attributes: readonly {
      readonly attribute: string;
      readonly share: number;
      readonly ok: boolean;
    }[];
  }[];
  /** Per table: newest row and last import against the expected frequency (when one is set). */
  readonly freshness: readonly {
    readonly table: TableName;
    readonly expected: keyof typeof ALLOWED_LAG_HOURS | null;
    readonly newestRow: string | null;
    readonly lastImport: string | null;
    readonly lagHours: number | null;
    readonly fresh: boolean | null;
  }[];
}

/**
 * Data quality and freshness: how many accounts have a value of each attribute, overall
 * and within segments that need more (enterprise accounts need their industry, say), and
 * whether each table got new rows as often as expected. All counts in the database.
 */
export async function analyzeQuality(store: Store, workspace: Workspace, asOf: Date): Promise<QualityReport> {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const config = workspace.config.quality ?? { coverage: 0.8 };
  const columns = TABLES.accounts.columns
    .filter((c) => !c.required && c.name !== 'traits')
    .map((c) => c.name);
  // Most accounts rightly have no parent: an empty parent_account_id is no gap (unless asked for).
  const attributes = config.attributes ?? columns.filter((c) => c !== 'parent_account_id');
  const present = (name: string) =>
    columns.includes(name) || TABLES.accounts.columns.some((c) => c.name === name)
      ? sql`${q(name)} IS NOT NULL`
      : sql`${fn.jsonText(sql`traits`, name)} IS NOT NULL`;
  const counts = (scope: Sql) =>
    store.query<Record<string, unknown>>(
      sql`SELECT count(*) AS total${sql.join(
        attributes.map((a, i) => sql`, count(CASE WHEN ${present(a)} THEN 1 END) AS ${q(`c${i}`)}`),
        sql.empty,
      )} FROM ${scope}`,
    );
  const [overall] = await counts(sql`(SELECT * FROM accounts WHERE created_at <= ${asOf}) scope`);
  const total = Number(overall?.total ?? 0);
  const share = (row: Record<string, unknown> | undefined, i: number, n: number) =>
    n > 0 ? Number(row?.[`c${i}`] ?? 0) / n : 0;

  const segmentRequirements = Object.entries(config.segments ?? {});
  const segments: QualityReport['segments'][number][] = [];
  if (segmentRequirements.length > 0) {
    const run = await readRun(store);
    for (const [segment, required] of segmentRequirements) {
      if (!run.segments.includes(segment)) {
        throw new StrataError(
          'unknown_segment',
          `quality.segments: the latest run has no segment '${segment}'${didYouMean(segment, run.segments)}`,
          {
            ...workspace.locate(['quality', 'segments', segment]),
            path: `quality.segments.${segment}`,
          },
        );
      }
      const [row] = await counts(
        fn.joinOnAccount([
          sql`(SELECT account_id FROM ${run.table} WHERE ${q(segmentColumn(segment))}) members`,
          sql`accounts`,
        ]),
      );
      const members = Number(row?.total ?? 0);
      segments.push({
        segment,
        members,
        required,
        attributes: attributes.map((attribute, i) => {
          const s = share(row, i, members);
          return { attribute, share: s, ok: s >= required };
        }),
      });
    }
  }

  const expected = config.freshness ?? {};
  for (const table of Object.keys(expected)) {
    if (!(TABLE_NAMES as readonly string[]).includes(table)) {
      throw new StrataError(
        'unknown_table',
        `quality.freshness: unknown table '${table}'${didYouMean(table, TABLE_NAMES)}`,
        {
          ...workspace.locate(['quality', 'freshness', table]),
          path: `quality.freshness.${table}`,
        },
      );
    }
  }
  const newest = await store.query<{ table_name: string; newest: string | null }>(
    sql.join(
      TABLE_NAMES.map((table) => {
        const time = TABLES[table].timeColumn;
        const newestAt = time
          ? fn.isoTimestamp(sql`max(CASE WHEN ${q(time)} <= ${asOf} THEN ${q(time)} END)`)
          : sql`NULL`;
        return sql`SELECT ${table} AS table_name, ${newestAt} AS newest FROM ${q(table)}`;
      }),
      sql` UNION ALL `,
    ),
  );
  const imports = await store.query<{ table_name: string; last_import: string | null }>(
    sql`SELECT table_name, ${fn.isoTimestamp(sql`max(imported_at)`)} AS last_import FROM strata_imports GROUP BY table_name`,
  );
  const freshness = TABLE_NAMES.map((table) => {
    const frequency = (expected as Record<string, keyof typeof ALLOWED_LAG_HOURS>)[table] ?? null;
    const newestRow = newest.find((r) => r.table_name === table)?.newest ?? null;
    const lagHours = newestRow === null ? null : (asOf.getTime() - Date.parse(newestRow)) / 3_600_000;
    return {
      table,
      expected: frequency,
      newestRow,
      lastImport: imports.find((r) => r.table_name === table)?.last_import ?? null,
      lagHours,
      fresh: frequency === null ? null : lagHours !== null && lagHours <= ALLOWED_LAG_HOURS[frequency],
    };
  });

  return {
    asOf: asOf.toISOString(),
    accounts: total,
    attributes: attributes.map((attribute, i) => {
      const s = share(overall, i, total);
      return { attribute, share: s, required: config.coverage, ok: s >= config.coverage };
    }),
    segments,
    freshness,
  };
}
