import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One single-node ClickHouse server and a two-shard cluster per run: inject('clickhouse').
    globalSetup: ['test/clickhouse/global-setup.ts'],
    // DuckDB uses both cores for each query; two test files at a time keep the machine responsive.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
