/*
 * The part of chdb's API that chdb-connection.ts uses, declared here so that
 * `npm run typecheck` works without chdb: the package (550 MB) is installed by the test
 * setup (test/setup/test-packages.ts), not by `npm ci`.
 */
declare module 'chdb' {
  export class Session {
    constructor(path?: string);
    /** Runs one statement; the result as text in `format` (ClickHouse's default: TabSeparated). */
    query(sql: string, format?: string): string;
    /** Closes the session and frees its native connection. */
    cleanup(): void;
  }
}
