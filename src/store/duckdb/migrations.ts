/**
 * Versioned schema of a DuckDB store. Each migration is applied once, in order, inside
 * a transaction, and never edited after release: a change to the model is a new
 * migration. `test/store/schema.test.ts` checks that the result matches src/model.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'the seven tables of the data model',
    statements: [
      `CREATE TABLE accounts (account_id VARCHAR NOT NULL, name VARCHAR, domain VARCHAR,
        created_at TIMESTAMP NOT NULL, employees BIGINT, industry VARCHAR, region VARCHAR, country VARCHAR,
        plan VARCHAR, mrr DOUBLE, arr DOUBLE, renewal_at TIMESTAMP, traits JSON)`,
      `CREATE TABLE users (user_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, email VARCHAR, role VARCHAR,
        created_at TIMESTAMP, traits JSON)`,
      `CREATE TABLE events (event_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, user_id VARCHAR,
        event VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, properties JSON)`,
      `CREATE TABLE subscriptions (account_id VARCHAR NOT NULL, plan VARCHAR NOT NULL, mrr DOUBLE NOT NULL,
        billing VARCHAR, starts_at TIMESTAMP NOT NULL, ends_at TIMESTAMP, status VARCHAR NOT NULL, traits JSON)`,
      `CREATE TABLE tickets (ticket_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
        resolved_at TIMESTAMP, priority VARCHAR, csat BIGINT, traits JSON)`,
      `CREATE TABLE surveys (account_id VARCHAR NOT NULL, user_id VARCHAR, ts TIMESTAMP NOT NULL,
        nps BIGINT NOT NULL, traits JSON)`,
      `CREATE TABLE trait_history (account_id VARCHAR NOT NULL, trait VARCHAR NOT NULL, value VARCHAR,
        ts TIMESTAMP NOT NULL, source VARCHAR, traits JSON)`,
    ],
  },
  {
    version: 2,
    description: 'import log, so a workspace knows which files it has loaded and when',
    statements: [
      `CREATE TABLE strata_imports (imported_at TIMESTAMP NOT NULL, table_name VARCHAR NOT NULL,
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
      `CREATE TABLE strata_runs (run_id BIGINT PRIMARY KEY, as_of TIMESTAMP NOT NULL, created_at TIMESTAMP NOT NULL,
        workspace_hash VARCHAR NOT NULL, accounts BIGINT NOT NULL, segments JSON NOT NULL, schemes JSON NOT NULL)`,
      `CREATE TABLE strata_memberships (run_id BIGINT NOT NULL, segment_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL)`,
      `CREATE TABLE strata_assignments (run_id BIGINT NOT NULL, scheme VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        segment_id VARCHAR NOT NULL)`,
      `CREATE TABLE strata_metric_values (run_id BIGINT NOT NULL, account_id VARCHAR NOT NULL, metric VARCHAR NOT NULL,
        value DOUBLE, text VARCHAR)`,
    ],
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((latest, m) => Math.max(latest, m.version), 0);
