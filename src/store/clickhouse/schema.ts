import type { Dialect } from '../../dialect/dialect.js';
import type { Sql } from '../../dialect/sql.js';
import { TABLE_NAMES, TABLES, type TableName } from '../../model/tables.js';

/**
 * Versioned schema of a ClickHouse store (its own numbering: ClickHouse stores started
 * at the wide run layout). Every statement is idempotent (IF NOT EXISTS), because
 * ClickHouse has no transactional DDL: a migration cut off half way is simply re-run.
 *
 * Data tables are MergeTree ordered by account_id (and time), so per-account
 * aggregation reads contiguous ranges. On a cluster each data table is a `<name>_local`
 * MergeTree on every shard behind a `Distributed` table of the model's name, sharded by
 * a hash of account_id: all rows of one account live on one shard, so the per-account
 * GROUP BY and the joins on account_id run shard-locally. Strata's own tables (runs,
 * imports) are small and live on the node Strata connects to.
 */
export interface ClickHouseMigration {
  readonly version: number;
  readonly description: string;
  /** Statements run on every node (each shard) or once, per `where`. */
  statements(layout: Layout): readonly {
    readonly statement: Sql;
    readonly where: 'every node' | 'this node';
    /** Skipped on a node whose table has this column (ADD COLUMN, re-run or on a store created later). */
    readonly unlessColumn?: { readonly table: string; readonly column: string };
  }[];
}

export interface Layout {
  readonly dialect: Dialect;
  readonly database: string;
  /** Cluster name when the data tables are sharded. */
  readonly cluster: string | null;
}

/** Storage table of a model table: the table itself, or its per-shard local table on a cluster. */
export const localTable = (layout: Layout, table: string) => (layout.cluster ? `${table}_local` : table);

function orderBy(layout: Layout, name: TableName): Sql {
  const time = TABLES[name].timeColumn;
  // The key's other columns follow, so a re-imported key is found by the index too.
  const required = new Set(TABLES[name].columns.filter((c) => c.required).map((c) => c.name));
  const columns = ['account_id', ...(time && name !== 'accounts' ? [time] : []), ...TABLES[name].key];
  // A sort key cannot hold Nullable columns (surveys.user_id may be empty).
  const sql = layout.dialect.sql;
  return sql.join([...new Set(columns)].filter((c) => required.has(c)).map((c) => sql.id(c)));
}

function dataTable(layout: Layout, name: TableName): Sql {
  const sql = layout.dialect.sql;
  const columns = TABLES[name].columns.map((c) => {
    const type = layout.dialect.fn.columnType(c.type);
    // Sort-key columns cannot be Nullable; the model requires them anyway.
    return sql`${sql.id(c.name)} ${c.required ? type : sql`Nullable(${type})`}`;
  });
  return sql`CREATE TABLE IF NOT EXISTS ${sql.id(localTable(layout, name))} (${sql.join(columns)})
    ENGINE = MergeTree ORDER BY (${orderBy(layout, name)})`;
}

function distributedTable(layout: Layout, name: TableName): Sql {
  const sql = layout.dialect.sql;
  return sql`CREATE TABLE IF NOT EXISTS ${sql.id(name)} AS ${sql.id(localTable(layout, name))}
    ENGINE = Distributed(${layout.cluster ?? ''}, ${layout.database}, ${localTable(layout, name)}, sipHash64(account_id))`;
}

/** The timestamp column type, for the statements below. */
const timestamp = (layout: Layout) => layout.dialect.fn.columnType('timestamp');

export const CLICKHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    version: 1,
    description: 'the seven tables of the data model, the import log and run snapshots',
    statements: (layout) => [
      ...TABLE_NAMES.map((name) => ({ statement: dataTable(layout, name), where: 'every node' as const })),
      ...(layout.cluster
        ? TABLE_NAMES.map((name) => ({
            statement: distributedTable(layout, name),
            where: 'every node' as const,
          }))
        : []),
      {
        statement: layout.dialect
          .sql`CREATE TABLE IF NOT EXISTS strata_imports (imported_at ${timestamp(layout)},
          table_name String, file String, rows_read Int64, inserted Int64, updated Int64, unchanged Int64,
          skipped Int64) ENGINE = MergeTree ORDER BY imported_at`,
        where: 'this node',
      },
      {
        // The row is inserted last, after the run's table is complete: it is what makes a run visible.
        statement: layout.dialect
          .sql`CREATE TABLE IF NOT EXISTS strata_runs (run_id Int64, as_of ${timestamp(layout)},
          created_at ${timestamp(layout)}, workspace_hash String, accounts Int64,
          segments String, schemes String, metrics String, sizes String) ENGINE = MergeTree ORDER BY run_id`,
        where: 'this node',
      },
    ],
  },
  {
    version: 2,
    description: 'A/B tests on segments and their assignments',
    statements: (layout) => [
      {
        statement: layout.dialect
          .sql`CREATE TABLE IF NOT EXISTS strata_ab_tests (test String, segment String, salt String, ratio Float64,
          created_at ${timestamp(layout)}, planned_per_variant Nullable(Int64))
          ENGINE = MergeTree ORDER BY test`,
        where: 'this node',
      },
      {
        statement: layout.dialect
          .sql`CREATE TABLE IF NOT EXISTS strata_ab_assignments (test String, account_id String, variant String,
          assigned_at ${timestamp(layout)}, run_id Int64) ENGINE = MergeTree ORDER BY (test, account_id)`,
        where: 'this node',
      },
    ],
  },
  {
    version: 3,
    description:
      "audit trail: every applied strata.yaml, and each run's entries and exits with their reasons",
    statements: (layout) => [
      {
        statement: layout.dialect
          .sql`CREATE TABLE IF NOT EXISTS strata_definitions (workspace_hash String, text String,
          created_at ${timestamp(layout)}) ENGINE = MergeTree ORDER BY workspace_hash`,
        where: 'this node',
      },
      {
        // Ordered by account: an account's timeline is one range.
        statement: layout.dialect
          .sql`CREATE TABLE IF NOT EXISTS strata_changes (run_id Int64, account_id String, segment String,
          change String, cause String, path Nullable(String), holds_before Nullable(UInt8),
          holds_after Nullable(UInt8), value_before Nullable(String), value_after Nullable(String))
          ENGINE = MergeTree ORDER BY (account_id, run_id)`,
        where: 'this node',
      },
    ],
  },
  {
    version: 4,
    description:
      'import log: the strata.yaml source of an import and the cursor it read up to (Postgres sources)',
    statements: (layout) => [
      {
        statement: layout.dialect
          .sql`ALTER TABLE strata_imports ADD COLUMN source Nullable(String), ADD COLUMN cursor_value Nullable(String)`,
        where: 'this node',
      },
    ],
  },
  {
    version: 5,
    description: 'account hierarchies: the parent of an account',
    // A store created at this version has the column already (version 1 reads src/model). The
    // Distributed table has its own column list, so it is altered too.
    statements: (layout) =>
      [localTable(layout, 'accounts'), ...(layout.cluster ? ['accounts'] : [])].map((table) => ({
        statement: layout.dialect
          .sql`ALTER TABLE ${layout.dialect.sql.id(table)} ADD COLUMN parent_account_id Nullable(String)`,
        where: 'every node' as const,
        unlessColumn: { table, column: 'parent_account_id' },
      })),
  },
  {
    version: 6,
    description:
      'account merges: each merge and each undo, as appended records (src/identity/account-merges.ts)',
    statements: (layout) => [
      {
        statement: layout.dialect
          .sql`CREATE TABLE IF NOT EXISTS strata_account_merges (merge_id String, action String, merged_id String,
          survivor_id String, recorded_at ${timestamp(layout)}, actor String, reason String) ENGINE = MergeTree ORDER BY (merge_id, recorded_at)`,
        where: 'this node',
      },
    ],
  },
];

export const LATEST_CLICKHOUSE_VERSION = CLICKHOUSE_MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);
