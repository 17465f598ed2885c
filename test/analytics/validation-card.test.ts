import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { welchTest } from '../../src/analytics/statistics.js';
import { substantialMinimum, validateSegment } from '../../src/analytics/validation/validation-card.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Twelve accounts: v1-v6 have 200 employees, v7-v12 have 10; v1-v5 are in Tech, v6 has no
 * industry, v7-v12 are in Retail; v5 signs up on 06-15. big_tech = 200+ employees in Tech.
 * Run 1 (06-01): v1-v4. Run 2 (07-15): v1-v5; turnover = (1 entered + 0 exited) / 5 = 20%: pass.
 * Coverage: employees 12/12, industry 11/12 = 91.7%: warn. Reachable: v1-v4 have a user with
 * an email, v5's user has none: 4/5 = 80%: warn. 5 members against substantialSize 5: pass.
 * No playbook: warn. Overall: warn.
 */
const dir = tempDir();
let store: DuckDBStore;
const employees = (i: number) => (i <= 6 ? 200 : 10);

beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'v.duckdb'));
  const accounts = Array.from({ length: 12 }, (_, k) => {
    const i = k + 1;
    const industry = i <= 5 ? "'Tech'" : i === 6 ? 'NULL' : "'Retail'";
    return `('v${i}', '${i === 5 ? '2024-06-15' : '2024-01-01'}', ${employees(i)}, ${industry})`;
  });
  await store.execute(
    testSql(`
    INSERT INTO accounts (account_id, created_at, employees, industry) VALUES ${accounts.join(', ')};
    INSERT INTO subscriptions (account_id, plan, mrr, starts_at, ends_at, status) VALUES
      ('v1', 'pro', 100, '2024-01-01', NULL, 'active'), ('v2', 'pro', 100, '2024-01-01', '2024-06-01', 'canceled'),
      ('v3', 'pro', 100, '2024-01-01', '2024-05-01', 'replaced'), ('v3', 'pro', 200, '2024-05-01', NULL, 'active'),
      ('v6', 'pro', 50, '2024-01-01', NULL, 'active'), ('v7', 'pro', 50, '2024-01-01', '2024-05-01', 'canceled'),
      ('v8', 'pro', 50, '2024-01-01', NULL, 'active');
    INSERT INTO users (user_id, account_id, email) VALUES ('u1', 'v1', 'a@v1.io'), ('u2', 'v2', 'b@v2.io'),
      ('u3', 'v3', 'c@v3.io'), ('u4', 'v4', 'd@v4.io'), ('u4b', 'v4', NULL), ('u5', 'v5', NULL);
  `),
  );
  mkdirSync(join(dir, 'ws'));
  writeFileSync(
    join(dir, 'ws', 'strata.yaml'),
    `metrics:
  size: { trait: employees }
segments:
  big_tech: { where: { all: [ { trait: employees, gte: 100 }, { trait: industry, eq: Tech } ] } }
  big: { where: { trait: employees, gte: 100 } }
  big_in_tech: { parent: big, where: { trait: industry, eq: Tech } }
settings: { minSegmentSize: 2, substantialSize: 5 }
`,
  );
  const workspace = loadWorkspace(join(dir, 'ws'));
  await runWorkspace(store, workspace, new Date('2024-06-01T00:00:00Z'));
  await runWorkspace(store, workspace, new Date('2024-07-15T00:00:00Z'));
});
afterAll(() => store.close());

describe('validation card', () => {
  it('rates each criterion with the figures behind it', async () => {
    const card = await validateSegment(store, loadWorkspace(join(dir, 'ws')), 'big_tech');
    expect(card).toMatchObject({ runId: 2, members: 5, overall: 'warn' });
    expect(card.measurable.verdict).toBe('warn');
    expect(card.measurable.coverage).toEqual([
      { trait: 'employees', share: 1 },
      { trait: 'industry', share: 11 / 12 },
    ]);
    expect(card.accessible).toMatchObject({ verdict: 'warn', reachable: 4, share: 0.8 });
    expect(card.substantial.verdict).toBe('pass');
    expect(card.actionable.verdict).toBe('warn');
    expect(card.stability).toMatchObject({ verdict: 'pass', againstRunId: 1, turnover: 0.2 });
  });

  it('compares churn and expansion over the 90 days before the run with a chi-square test', async () => {
    // Paying on 04-16 (90 days before 07-15): members v1, v2, v3 (v2 churned, v3 expanded),
    // others v6, v7, v8 (v7 churned). Churn 1/3 against 1/3: chi-square 0. Expansion 1/3
    // against 0/3: pooled 1/6, chi-square (1/3)^2 / (1/6 x 5/6 x 2/3) = 1.2, p = 0.273322
    // (2 (1 - Phi(sqrt 1.2)), Python's math.erf), h = 2 asin(sqrt(1/3)) = 1.230959.
    const card = await validateSegment(store, loadWorkspace(join(dir, 'ws')), 'big_tech');
    const [churn, expansion] = card.distinct.rates;
    expect(churn).toMatchObject({ outcome: 'churned', members: 1 / 3, others: 1 / 3, chiSquare: 0 });
    expect(expansion).toMatchObject({ outcome: 'expanded', members: 1 / 3, others: 0 });
    expect(expansion?.chiSquare).toBeCloseTo(1.2, 10);
    expect(expansion?.pValue).toBeCloseTo(0.273322, 5);
    expect(expansion?.cohensH).toBeCloseTo(1.230959, 5);
  });

  it("compares members with the other accounts on each metric with Welch's test and Cohen's d", async () => {
    const card = await validateSegment(store, loadWorkspace(join(dir, 'ws')), 'big_tech');
    const inside = [1, 2, 3, 4, 5].map(employees);
    const outside = [6, 7, 8, 9, 10, 11, 12].map(employees);
    const describe = (v: number[]) => {
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      return { n: v.length, mean, variance: v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1) };
    };
    const [a, b] = [describe(inside), describe(outside)];
    const pooled = Math.sqrt(((a.n - 1) * a.variance + (b.n - 1) * b.variance) / (a.n + b.n - 2));
    const size = card.distinct.metrics.find((m) => m.metric === 'size');
    expect(size?.members).toBe(200);
    expect(size?.others).toBeCloseTo(260 / 7, 10);
    expect(size?.cohensD).toBeCloseTo((a.mean - b.mean) / pooled, 10);
    expect(size?.pValue).toBeCloseTo(welchTest(b, a).pValue, 10);
  });

  it("compares a child segment with its parent's other members, not with every other account", async () => {
    // big = v1-v6; its child big_in_tech = v1-v5, so its others are v6 alone (200 employees,
    // paying 50 throughout: neither churned nor expanded). Against every account they would
    // be v6-v12 (mean 260/7 employees; churn 1/3 with v7).
    const card = await validateSegment(store, loadWorkspace(join(dir, 'ws')), 'big_in_tech');
    expect(card.distinct.against).toBe("the other members of 'big'");
    expect(card.distinct.metrics.find((m) => m.metric === 'size')).toMatchObject({
      members: 200,
      others: 200,
    });
    const [churn, expansion] = card.distinct.rates;
    expect(churn).toMatchObject({ members: 1 / 3, others: 0 });
    expect(expansion).toMatchObject({ members: 1 / 3, others: 0 });
    expect(card.distinct.reason).toContain("the other members of 'big'");
  });

  it('asks 5% of the accounts to be substantial unless settings say, between minSegmentSize and 300', () => {
    expect(substantialMinimum({ minSegmentSize: 10 }, 1_000).minimum).toBe(50);
    expect(substantialMinimum({ minSegmentSize: 10 }, 1_001).minimum).toBe(51);
    expect(substantialMinimum({ minSegmentSize: 10 }, 100_000).minimum).toBe(300);
    expect(substantialMinimum({ minSegmentSize: 10 }, 100).minimum).toBe(10);
    expect(substantialMinimum({ minSegmentSize: 10, substantialSize: 5 }, 1_000)).toEqual({
      minimum: 5,
      basis: 'settings.substantialSize',
    });
  });
});
