import { duckdbDialect } from '../../src/dialect/duckdb/duckdb-dialect.js';
import { rawSql, type Sql } from '../../src/dialect/sql.js';

/**
 * Fixed SQL in tests: constant text reads the same through any dialect's tag, so one tag
 * serves both engines (a test interpolating values uses its store's `dialect.sql`).
 */
export const sql = duckdbDialect.sql;

/**
 * SQL text a test assembled itself (fixture rows, run table names) as a fragment. Tests are
 * trusted code; src/ goes through a dialect's tag (test/dialect/raw-sql-use.test.ts).
 */
export const testSql = (text: string): Sql => rawSql(text);
