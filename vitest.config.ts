import { configDefaults, defineConfig } from 'vitest/config';
import { SlowestFirst } from './test/setup/slowest-first.js';

/*
 * Three projects (test/README.md): `unit` runs in-process on DuckDB files and needs nothing
 * else (`npx vitest --project unit`); `integration` runs the built CLI, HTTP servers,
 * ClickHouse servers and chdb; `browser` drives the dashboard in Chromium. One pool for all
 * three, slowest files first.
 */
const INTEGRATION = [
  'test/activate/crm-sync.test.ts',
  'test/activate/crm-realtime.test.ts',
  'test/activate/exports.test.ts',
  'test/activate/formula-exports.test.ts',
  'test/activate/playbooks.test.ts',
  'test/activate/realtime-batch.test.ts',
  'test/activate/incremental-kinds.test.ts',
  'test/activate/serve-sweep.test.ts',
  'test/chdb/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/clickhouse/**/*.test.ts',
  'test/compile/hand-worked-workspace.test.ts',
  'test/dialect/**/*.test.ts',
  'test/engine/explain-membership.test.ts',
  'test/engine/membership-timeline.test.ts',
  'test/engine/run-workspace.test.ts',
  'test/identity/account-merges.test.ts',
  'test/fuzz/ingestion.test.ts',
  'test/fuzz/strata-yaml-cli.test.ts',
  'test/ml/cluster-cli.test.ts',
  'test/ml/predict-cli.test.ts',
  'test/ml/recovery.test.ts',
  'test/ml/model-verdict.test.ts',
  'test/ml/table-training.test.ts',
  'test/parity/**/*.test.ts',
  'test/sdks/**/*.test.ts',
  'test/server/**/*.test.ts',
  'test/sources/postgres-source.test.ts',
];
const BROWSER = ['test/web/**/*.test.ts'];

export default defineConfig({
  test: {
    // DuckDB uses both cores for each query; two test files at a time keep the machine responsive.
    maxWorkers: 2,
    // A worker runs test file after test file in one process, keeping the modules it imported
    // (src/, DuckDB, vitest's own): a new process per file re-imported them every time, which
    // took over a third of the unit project's CPU (test/README.md, "Projects, and the budget").
    // Files share no state but the module cache: each opens its own stores, servers and folders.
    isolate: false,
    sequence: { sequencer: SlowestFirst },
    // Bounds for a stuck test, not budgets: tests wait for events, and a loaded machine may be
    // several times slower than a quiet one (test/README.md, "No timing flakes").
    testTimeout: 300_000,
    hookTimeout: 300_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...INTEGRATION, ...BROWSER],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
          globalSetup: ['test/setup/built-cli.ts', 'test/setup/test-packages.ts', 'test/setup/clickhouse.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'browser', include: BROWSER, globalSetup: ['test/setup/built-cli.ts'] },
      },
    ],
  },
});
