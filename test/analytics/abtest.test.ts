import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assignAbTest,
  createAbTest,
  exportAssignments,
  reportAbTest,
} from '../../src/analytics/abtest/abtest.js';
import { welchTest } from '../../src/analytics/statistics.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir();
let store: DuckDBStore;
const ids = Array.from({ length: 40 }, (_, i) => `acc_${String(i).padStart(2, '0')}`);
/** The split computed here with Node's MD5, independently of the SQL. */
const variantOf = (id: string, salt = 'pricing') =>
  Number.parseInt(createHash('md5').update(`${salt}:${id}`).digest('hex').slice(0, 8), 16) < 0.5 * 2 ** 32
    ? 'treatment'
    : 'control';

beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'ab.duckdb'));
  // The first 30 accounts exist from the start; the last 10 sign up later.
  const accounts = ids.map((id, i) => `('${id}', '${i < 30 ? '2024-01-01' : '2024-06-10'}', ${10 + i})`);
  await store.execute(
    testSql(`INSERT INTO accounts (account_id, created_at, employees) VALUES ${accounts.join(', ')}`),
  );
  // Every third account upgrades on 06-05, after the test starts (06-02); acc_00 also upgraded before it.
  const events = ids
    .filter((_, i) => i % 3 === 0)
    .map((id) => `('${id}-up', '${id}', 'upgrade', '2024-06-05')`)
    .concat(["('early', 'acc_00', 'upgrade', '2024-05-01')", "('late', 'acc_01', 'upgrade', '2024-08-01')"]);
  await store.execute(
    testSql(`INSERT INTO events (event_id, account_id, event, ts) VALUES ${events.join(', ')}`),
  );
  mkdirSync(join(dir, 'ws'));
  writeFileSync(
    join(dir, 'ws', 'strata.yaml'),
    'segments:\n  everyone: { where: { trait: employees, gte: 0 } }\n',
  );
  await runWorkspace(store, loadWorkspace(join(dir, 'ws')), new Date('2024-06-01T00:00:00Z'));
});
afterAll(() => store.close());

describe('A/B tests on a segment', () => {
  it('splits the members deterministically by MD5 of salt:account_id', async () => {
    const created = await createAbTest(
      store,
      loadWorkspace(join(dir, 'ws')),
      { test: 'pricing', segment: 'everyone', plannedPerVariant: 100 },
      new Date('2024-06-02T00:00:00Z'),
    );
    const expected = ids.slice(0, 30).map((id) => variantOf(id));
    expect(created).toMatchObject({
      control: expected.filter((v) => v === 'control').length,
      treatment: expected.filter((v) => v === 'treatment').length,
    });
    const rows = await store.query<{ account_id: string; variant: string }>(
      sql`SELECT account_id, variant FROM strata_ab_assignments WHERE test = 'pricing' ORDER BY account_id`,
    );
    expect(rows.map((r) => r.variant)).toEqual(expected);
    await expect(
      createAbTest(store, loadWorkspace(join(dir, 'ws')), { test: 'pricing', segment: 'everyone' }),
    ).rejects.toThrow("A/B test 'pricing' exists already");
  });

  it('assigns only new members on a later run, and nobody changes variant', async () => {
    await runWorkspace(store, loadWorkspace(join(dir, 'ws')), new Date('2024-06-20T00:00:00Z'));
    const again = await assignAbTest(store, 'pricing', new Date('2024-06-20T00:00:00Z'));
    const expected = ids.map((id) => variantOf(id));
    expect(again.control + again.treatment).toBe(40);
    const rows = await store.query<{ account_id: string; variant: string }>(
      sql`SELECT account_id, variant FROM strata_ab_assignments WHERE test = 'pricing' ORDER BY account_id`,
    );
    expect(rows.map((r) => r.variant)).toEqual(expected);
  });

  it('compares the share converting after assignment, and says the plan is not reached', async () => {
    const report = await reportAbTest(
      store,
      loadWorkspace(join(dir, 'ws')),
      'pricing',
      { event: 'upgrade', withinDays: 30 },
      new Date('2024-09-01T00:00:00Z'),
    );
    // Converted: every third of the first 30 (upgrade 06-05, within 30 days of 06-02); the
    // last 10 were assigned on 06-20, after their upgrade; acc_01's 08-01 upgrade is too late.
    const converted = (variant: string) =>
      ids.filter((id, i) => i < 30 && i % 3 === 0 && variantOf(id) === variant).length;
    const size = (variant: string) => ids.filter((id) => variantOf(id) === variant).length;
    expect(report.variants).toEqual([
      { variant: 'control', accounts: size('control'), value: converted('control') / size('control') },
      {
        variant: 'treatment',
        accounts: size('treatment'),
        value: converted('treatment') / size('treatment'),
      },
    ]);
    expect(report.reachedPlan).toBe(false);
  });

  it('exports the assignments to CSV', async () => {
    const file = join(dir, 'pricing.csv');
    expect(await exportAssignments(store, 'pricing', file)).toBe(40);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('test,account_id,variant,assigned_at,run_id');
    expect(lines.slice(1).map((line) => line.split(',').slice(1, 3))).toEqual(
      ids.map((id) => [id, variantOf(id)]),
    );
    expect(lines[1]).toBe(`pricing,acc_00,${variantOf('acc_00')},2024-06-02T00:00:00.000Z,1`);
  });

  it("compares a metric's means with Welch's test", async () => {
    const report = await reportAbTest(
      store,
      loadWorkspace(join(dir, 'ws')),
      'pricing',
      { metric: 'employees' },
      new Date('2024-09-01T00:00:00Z'),
    );
    const sample = (variant: string) => {
      const values = ids
        .map((id, i) => [id, 10 + i] as const)
        .filter(([id]) => variantOf(id) === variant)
        .map(([, v]) => v);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return {
        n: values.length,
        mean,
        variance: values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1),
      };
    };
    const expected = welchTest(sample('control'), sample('treatment'));
    expect(report.comparison.difference).toBeCloseTo(expected.difference, 10);
    expect(report.comparison.pValue).toBeCloseTo(expected.pValue, 10);
  });
});
