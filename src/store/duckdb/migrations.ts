import type { Dialect } from '../../dialect/dialect.js';
import { duckdbDialect } from '../../dialect/duckdb/duckdb-dialect.js';
import type { Sql } from '../../dialect/sql.js';

const sql = duckdbDialect.sql;

/**
 * Versioned schema of a DuckDB store. Each migration is applied once, in order, inside
 * a transaction, and never edited after release: a change to the model is a new
 * migration. `test/store/schema.test.ts` checks that the result matches src/model.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly statements: readonly Sql[];
  /** Moves existing rows into a new layout when a fixed list of statements cannot (runs after `statements`). */
  readonly moveData?: (db: MigrationContext) => Promise<void>;
}

export interface MigrationContext {
  readonly dialect: Dialect;
  query<Row extends Record<string, unknown>>(sql: Sql): Promise<Row[]>;
  execute(sql: Sql): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'the seven tables of the data model',
    statements: [
      sql`CREATE TABLE accounts (account_id VARCHAR NOT NULL, name VARCHAR, domain VARCHAR,
        created_at TIMESTAMP NOT NULL, employees BIGINT, industry VARCHAR, region VARCHAR, country VARCHAR,
        plan VARCHAR, mrr DOUBLE, arr DOUBLE, renewal_at TIMESTAMP, traits JSON)`,
      sql`CREATE TABLE users (user_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, email VARCHAR, role VARCHAR,
        created_at TIMESTAMP, traits JSON)`,
      sql`CREATE TABLE events (event_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, user_id VARCHAR,
        event VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, properties JSON)`,
      sql`CREATE TABLE subscriptions (account_id VARCHAR NOT NULL, plan VARCHAR NOT NULL, mrr DOUBLE NOT NULL,
        billing VARCHAR, starts_at TIMESTAMP NOT NULL, ends_at TIMESTAMP, status VARCHAR NOT NULL, traits JSON)`,
      sql`CREATE TABLE tickets (ticket_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
        resolved_at TIMESTAMP, priority VARCHAR, csat BIGINT, traits JSON)`,
      sql`CREATE TABLE surveys (account_id VARCHAR NOT NULL, user_id VARCHAR, ts TIMESTAMP NOT NULL,
        nps BIGINT NOT NULL, traits JSON)`,
      sql`CREATE TABLE trait_history (account_id VARCHAR NOT NULL, trait VARCHAR NOT NULL, value VARCHAR,
        ts TIMESTAMP NOT NULL, source VARCHAR, traits JSON)`,
    ],
  },
  {
    version: 2,
    description: 'import log, so a workspace knows which files it has loaded and when',
    statements: [
      sql`CREATE TABLE strata_imports (imported_at TIMESTAMP NOT NULL, table_name VARCHAR NOT NULL,
        file VARCHAR NOT NULL, rows_read BIGINT NOT NULL, inserted BIGINT NOT NULL, updated BIGINT NOT NULL,
        unchanged BIGINT NOT NULL, skipped BIGINT NOT NULL)`,
    ],
  },
  {
    version: 3,
    description: 'run snapshots: memberships, primary assignments per scheme, metric values',
    statements: [
      // A run's rows are written in one transaction with its strata_runs row, so a run
      // cut off at any point leaves nothing visible.
      sql`CREATE TABLE strata_runs (run_id BIGINT PRIMARY KEY, as_of TIMESTAMP NOT NULL, created_at TIMESTAMP NOT NULL,
        workspace_hash VARCHAR NOT NULL, accounts BIGINT NOT NULL, segments JSON NOT NULL, schemes JSON NOT NULL)`,
      sql`CREATE TABLE strata_memberships (run_id BIGINT NOT NULL, segment_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL)`,
      sql`CREATE TABLE strata_assignments (run_id BIGINT NOT NULL, scheme VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        segment_id VARCHAR NOT NULL)`,
      sql`CREATE TABLE strata_metric_values (run_id BIGINT NOT NULL, account_id VARCHAR NOT NULL, metric VARCHAR NOT NULL,
        value DOUBLE, text VARCHAR)`,
    ],
  },
  {
    version: 4,
    description: 'run snapshots as one wide table per run (see src/engine/run-snapshot.ts)',
    statements: [
      sql`ALTER TABLE strata_runs ADD COLUMN metrics JSON DEFAULT '[]'`,
      sql`ALTER TABLE strata_runs ADD COLUMN sizes JSON DEFAULT '{"segments":{},"schemes":{}}'`,
    ],
    moveData: async (db) => {
      await pivotNarrowRuns(db);
      for (const table of ['strata_memberships', 'strata_assignments', 'strata_metric_values'])
        await db.execute(sql`DROP TABLE ${sql.id(table)}`);
    },
  },
  {
    version: 5,
    description: 'A/B tests on segments and their assignments',
    statements: [
      sql`CREATE TABLE strata_ab_tests (test VARCHAR PRIMARY KEY, segment VARCHAR NOT NULL, salt VARCHAR NOT NULL,
        ratio DOUBLE NOT NULL, created_at TIMESTAMP NOT NULL, planned_per_variant BIGINT)`,
      sql`CREATE TABLE strata_ab_assignments (test VARCHAR NOT NULL, account_id VARCHAR NOT NULL, variant VARCHAR NOT NULL,
        assigned_at TIMESTAMP NOT NULL, run_id BIGINT NOT NULL)`,
    ],
  },
  {
    version: 6,
    description:
      "audit trail: every applied strata.yaml, and each run's entries and exits with their reasons",
    statements: [
      sql`CREATE TABLE strata_definitions (workspace_hash VARCHAR PRIMARY KEY, text VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL)`,
      // A row with no path is an entry or exit; rows with a path are the leaves that changed.
      sql`CREATE TABLE strata_changes (run_id BIGINT NOT NULL, account_id VARCHAR NOT NULL, segment VARCHAR NOT NULL,
        change VARCHAR NOT NULL, cause VARCHAR NOT NULL, path VARCHAR, holds_before BOOLEAN, holds_after BOOLEAN,
        value_before VARCHAR, value_after VARCHAR)`,
    ],
  },
  {
    version: 7,
    description:
      'import log: the strata.yaml source of an import and the cursor it read up to (Postgres sources)',
    statements: [
      sql`ALTER TABLE strata_imports ADD COLUMN source VARCHAR`,
      sql`ALTER TABLE strata_imports ADD COLUMN cursor_value VARCHAR`,
    ],
  },
  {
    version: 8,
    description: 'account hierarchies: the parent of an account',
    statements: [sql`ALTER TABLE accounts ADD COLUMN parent_account_id VARCHAR`],
  },
  {
    version: 9,
    description:
      'account merges: each merge and each undo, as appended records (src/identity/account-merges.ts)',
    statements: [
      sql`CREATE TABLE strata_account_merges (merge_id VARCHAR NOT NULL, action VARCHAR NOT NULL,
        merged_id VARCHAR NOT NULL, survivor_id VARCHAR NOT NULL, recorded_at TIMESTAMP NOT NULL, actor VARCHAR NOT NULL,
        reason VARCHAR NOT NULL)`,
    ],
  },
];

/**
 * Rewrites every run stored in the narrow v3 tables (a row per membership, assignment and
 * metric value) as its own wide table, with the sizes the strata_runs row now carries.
 */
async function pivotNarrowRuns(db: MigrationContext): Promise<void> {
  const runs = await db.query<{ run_id: number; segments: string; schemes: string }>(
    sql`SELECT run_id, segments, schemes FROM strata_runs ORDER BY run_id`,
  );
  for (const run of runs) {
    const id = run.run_id;
    const segments = JSON.parse(run.segments) as string[];
    const schemes = Object.keys(JSON.parse(run.schemes) as object);
    const metrics = await db.query<{ metric: string; text: boolean }>(
      sql`SELECT metric, count(text) > 0 AS text FROM strata_metric_values WHERE run_id = ${id} GROUP BY 1 ORDER BY min(rowid)`,
    );
    const pivot = (table: string, columns: Sql[]) =>
      columns.length === 0
        ? sql.empty
        : sql`LEFT JOIN (SELECT account_id${sql.join(
            columns.map((c) => sql`, ${c}`),
            sql.empty,
          )} FROM ${sql.id(table)} WHERE run_id = ${id}
        GROUP BY account_id) ${sql.id(table)} USING (account_id)`;
    const segmentFlags = segments.map((s) => sql`bool_or(segment_id = ${s}) AS ${sql.id(`segment:${s}`)}`);
    const schemeValues = schemes.map(
      (s) => sql`max(CASE WHEN scheme = ${s} THEN segment_id END) AS ${sql.id(`scheme:${s}`)}`,
    );
    const metricValues = metrics.map(
      (m) =>
        sql`max(CASE WHEN metric = ${m.metric} THEN ${m.text ? sql`text` : sql`value`} END) AS ${sql.id(`metric:${m.metric}`)}`,
    );
    const columns = [
      sql`account_id`,
      ...segments.map((s) => sql`coalesce(${sql.id(`segment:${s}`)}, FALSE) AS ${sql.id(`segment:${s}`)}`),
      ...schemes.map((s) => sql.id(`scheme:${s}`)),
      ...metrics.map((m) => sql.id(`metric:${m.metric}`)),
    ];
    const accounts = sql.join(
      ['strata_memberships', 'strata_assignments', 'strata_metric_values'].map(
        (table) => sql`SELECT account_id FROM ${sql.id(table)} WHERE run_id = ${id}`,
      ),
      sql` UNION `,
    );
    await db.execute(
      sql`CREATE TABLE ${sql.id(`strata_run_${run.run_id}`)} AS SELECT ${sql.join(columns)}
       FROM (${accounts}) ids
       ${pivot('strata_memberships', segmentFlags)}
       ${pivot('strata_assignments', schemeValues)}
       ${pivot('strata_metric_values', metricValues)}`,
    );
    const sizes = {
      segments: Object.fromEntries(segments.map((s) => [s, 0])),
      schemes: {} as Record<string, Record<string, number>>,
    };
    for (const r of await db.query<{ segment_id: string; n: number }>(
      sql`SELECT segment_id, count(*) AS n FROM strata_memberships WHERE run_id = ${id} GROUP BY 1`,
    ))
      sizes.segments[r.segment_id] = r.n;
    const assigned = await db.query<{ scheme: string; segment_id: string; n: number }>(
      sql`SELECT scheme, segment_id, count(*) AS n FROM strata_assignments WHERE run_id = ${id} GROUP BY 1, 2`,
    );
    for (const scheme of schemes) {
      sizes.schemes[scheme] = Object.fromEntries(
        assigned.filter((r) => r.scheme === scheme).map((r) => [r.segment_id, r.n]),
      );
    }
    await db.execute(
      sql`UPDATE strata_runs SET metrics = ${JSON.stringify(metrics.map((m) => m.metric))},
         sizes = ${JSON.stringify(sizes)} WHERE run_id = ${id}`,
    );
  }
}

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((latest, m) => Math.max(latest, m.version), 0);
