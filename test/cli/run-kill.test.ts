import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { largeWorld } from '../helpers/large-world.js';
import { runCli, strataBin } from '../helpers/run-cli.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir();
const RUN = ['run', '-w', dir, '--as-of', '2026-10-31'];
/** How many moments inside one run's duration a run is killed at. */
const KILLS = 4;

/** Starts `strata run` and kills it with SIGKILL after `ms` (if it is still running). */
function runAndKill(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [strataBin(), ...RUN], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Every stored run: its table exists, its stored sizes match it, and later runs equal the first row for row. */
async function snapshotCounts() {
  const store = await DuckDBStore.open(join(dir, '.strata', 'strata.duckdb'));
  try {
    const runs = await store.query<{ run_id: number; sizes: string }>(
      sql`SELECT run_id, sizes FROM strata_runs ORDER BY 1`,
    );
    // A run table without its strata_runs row would be a partial snapshot.
    const tables = await store.query<{ name: string }>(
      sql`SELECT table_name AS name FROM information_schema.tables WHERE regexp_matches(table_name, '^strata_run_[0-9]+$')
       ORDER BY CAST(regexp_extract(table_name, '[0-9]+$') AS INTEGER)`,
    );
    expect(tables.map((t) => t.name)).toEqual(runs.map((r) => `strata_run_${r.run_id}`));
    const result = [];
    for (const run of runs) {
      const [row] = await store.query<{ accounts: number; members: number }>(
        testSql(
          `SELECT count(*) AS accounts, sum(CASE WHEN "segment:at_risk" THEN 1 ELSE 0 END) AS members FROM strata_run_${run.run_id}`,
        ),
      );
      const sizes = JSON.parse(run.sizes) as { segments: Record<string, number> };
      const memberships = Object.values(sizes.segments).reduce((a, b) => a + b, 0);
      // The stored sizes agree with the table they describe.
      expect(sizes.segments.at_risk).toBe(row?.members);
      if (run !== runs[0]) {
        // The same data at the same time: a complete run is an exact copy of the first.
        const [diff] = await store.query<{ n: number }>(
          testSql(
            `SELECT count(*) AS n FROM (SELECT * FROM strata_run_1 EXCEPT SELECT * FROM strata_run_${run.run_id})`,
          ),
        );
        expect(diff?.n).toBe(0);
      }
      result.push({ accounts: row?.accounts, memberships });
    }
    return result;
  } finally {
    await store.close();
  }
}

describe('strata run killed with SIGKILL', () => {
  it('leaves the previous snapshot intact and never a partial one, at any moment', async () => {
    await largeWorld(dir);
    const started = Date.now();
    expect(runCli(RUN).code).toBe(0);
    const duration = Date.now() - started;
    const [baseline] = await snapshotCounts();
    expect(baseline?.memberships).toBeGreaterThan(20_000);

    // Kill at evenly spaced moments of one run's duration (start-up, evaluation, snapshot,
    // audit trail, commit): each kill leaves the first run as it was and either no new run or
    // (when the machine was quicker this time, or the kill came after the commit) a complete one.
    let stored = 1;
    let interrupted = 0;
    for (let i = 0; i < KILLS; i++) {
      await runAndKill(Math.round(((i + 0.5) / KILLS) * duration));
      const runs = await snapshotCounts();
      for (const run of runs) expect(run).toEqual(baseline);
      if (runs.length === stored) interrupted++;
      stored = runs.length;
    }
    // The first half of the moments fall before 42% of the timed run (12.5%, 37.5%): cut short unless a run
    // were more than twice as fast as the timed one.
    expect(interrupted).toBeGreaterThanOrEqual(KILLS / 2);
    // After all that the store takes a run as before.
    expect(runCli(RUN).code).toBe(0);
    const runs = await snapshotCounts();
    expect(runs.length).toBe(stored + 1);
    for (const run of runs) expect(run).toEqual(baseline);
  });
});
