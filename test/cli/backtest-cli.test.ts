import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/demo/generate-world.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * `strata run --as-of T --dry-run` and `strata plan --as-of T` on a generated world with one
 * run: nothing written, the members a real run at T then finds, and the overall churn and
 * expansion after T as a plain query over subscriptions counts them.
 */
// The commands run in this process (helpers/in-process-cli.ts): their answers and printed text
// are the point, not the process around them, and a process start costs half a second.
const dir = tempDir();
const T = '2026-06-01T00:00:00Z';

interface Backtest {
  accounts: number;
  horizonObserved: boolean;
  all: { paying: number; churned: number; expanded: number };
  segments: { segment: string; members: number; paying: number; others: { paying: number } }[];
}

beforeAll(async () => {
  const world = await generateWorld({ scale: 'S', seed: 5, outDir: join(dir, 'data'), accounts: 400 });
  const sources = Object.fromEntries(Object.entries(world.files).map(([t, f]) => [t, join('data', f)]));
  writeFileSync(join(dir, 'strata.yaml'), saasWorkspaceYaml(sources));
  expect((await cliInProcess(['import', '-w', dir])).code).toBe(0);
  expect((await cliInProcess(['run', '-w', dir, '--as-of', '2026-05-01'])).code).toBe(0);
});

/** Paying at T, then churned (paying nothing at T + 90 days) or expanded, by plain SQL. */
async function outcomesBySql() {
  const store = await DuckDBStore.open(join(dir, '.strata', 'strata.duckdb'));
  try {
    const mrr = (at: string) =>
      `sum(CASE WHEN starts_at <= TIMESTAMP '${at}' AND (ends_at IS NULL OR ends_at > TIMESTAMP '${at}') AND mrr > 0 THEN mrr ELSE 0 END)`;
    const [row] = await store.query<{ paying: number; churned: number; expanded: number }>(
      testSql(`SELECT count(*) FILTER (WHERE m0 > 0) AS paying, count(*) FILTER (WHERE m0 > 0 AND m1 = 0) AS churned,
              count(*) FILTER (WHERE m0 > 0 AND m1 > m0) AS expanded
       FROM (SELECT account_id, ${mrr('2026-06-01 00:00:00')} AS m0, ${mrr('2026-08-30 00:00:00')} AS m1
             FROM subscriptions GROUP BY account_id) t`),
    );
    return { paying: Number(row?.paying), churned: Number(row?.churned), expanded: Number(row?.expanded) };
  } finally {
    await store.close();
  }
}

describe('backtesting from the CLI', () => {
  it('run --dry-run writes nothing and finds what a real run then finds', async () => {
    const dry = await cliInProcess(['run', '-w', dir, '--as-of', T, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const report = dry.json<Backtest>();
    expect(report.horizonObserved).toBe(true);
    expect(report.accounts).toBeGreaterThan(0);
    expect(report.all).toMatchObject(await outcomesBySql());
    expect(report.all.churned).toBeGreaterThan(0);
    for (const s of report.segments) expect(s.paying + s.others.paying, s.segment).toBe(report.all.paying);
    // Nothing was written: the next run is run 2, and at T its sizes are the dry run's.
    const real = (await cliInProcess(['run', '-w', dir, '--as-of', T, '--json'])).json<{
      runId: number;
      segments: { segment: string; after: number }[];
    }>();
    expect(real.runId).toBe(2);
    expect(report.segments.map((s) => [s.segment, s.members])).toEqual(
      real.segments.map((s) => [s.segment, s.after]),
    );
    // Runs go forward: a run before run 2 is refused, and nothing is stored.
    const backwards = await cliInProcess(['run', '-w', dir, '--as-of', '2026-05-15', '--json']);
    expect(backwards.code).toBe(1);
    expect(backwards.stdout + backwards.stderr).toMatch(
      /run 2 is as of 2026-06-01T00:00:00\.000Z, and runs go forward/,
    );
    expect(
      (await cliInProcess(['segments', 'list', '-w', dir, '--json'])).json<{ runId: number }>().runId,
    ).toBe(2);
    expect((await cliInProcess(['run', '-w', dir, '--as-of', T, '--dry-run'])).stdout).toMatch(
      /^segment\s+members\s+paying\s+churned\s+others churned\s+expanded\s+others expanded$/m,
    );
  });

  it('plan --as-of adds the backtest; a bad horizon is named', async () => {
    const plan = (await cliInProcess(['plan', '-w', dir, '--as-of', T, '--horizon', '30d', '--json'])).json<{
      backtest: Backtest & { horizonDays: number };
    }>();
    expect(plan.backtest.horizonDays).toBe(30);
    const bad = await cliInProcess(['run', '-w', dir, '--as-of', T, '--dry-run', '--horizon', 'soon']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--horizon soon: expected a window such as 90d/);
  });
});
