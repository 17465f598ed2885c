import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/demo/generate-world.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { runCli, strataBin } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = join(import.meta.dirname, '..', '..');
const dir = tempDir();

/** Starts `strata run` and kills it with SIGKILL after `ms` (if it is still running). */
function runAndKill(ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [strataBin(), 'run', '-w', dir, '--as-of', '2026-10-31'], {
      cwd: root,
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

async function snapshotCounts() {
  const store = await DuckDBStore.open(join(dir, '.strata', 'strata.duckdb'));
  try {
    const runs = await store.query<{ run_id: number; sizes: string }>(
      'SELECT run_id, sizes FROM strata_runs ORDER BY 1',
    );
    // A run table without its strata_runs row would be a partial snapshot.
    const tables = await store.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE regexp_matches(table_name, '^strata_run_[0-9]+$') ORDER BY 1`,
    );
    expect(tables.map((t) => t.name)).toEqual(runs.map((r) => `strata_run_${r.run_id}`));
    const result = [];
    for (const run of runs) {
      const [row] = await store.query<{ accounts: number; members: number }>(
        `SELECT count(*) AS accounts, sum(CASE WHEN "segment:at_risk" THEN 1 ELSE 0 END) AS members FROM strata_run_${run.run_id}`,
      );
      const sizes = JSON.parse(run.sizes) as { segments: Record<string, number> };
      const memberships = Object.values(sizes.segments).reduce((a, b) => a + b, 0);
      // The stored sizes agree with the table they describe.
      expect(sizes.segments.at_risk).toBe(row?.members);
      result.push({ run_id: run.run_id, accounts: row?.accounts, memberships });
    }
    if (runs.length === 2) {
      const [diff] = await store.query<{ n: number }>(
        'SELECT count(*) AS n FROM (SELECT * FROM strata_run_1 EXCEPT SELECT * FROM strata_run_2)',
      );
      expect(diff?.n).toBe(0);
    }
    return result;
  } finally {
    await store.close();
  }
}

describe('strata run killed with SIGKILL', () => {
  it('leaves the previous snapshot intact and never a partial one, at any moment', async () => {
    const world = await generateWorld({ scale: 'S', seed: 3, outDir: join(dir, 'data'), accounts: 20_000 });
    const sources = Object.fromEntries(Object.entries(world.files).map(([t, f]) => [t, join('data', f)]));
    writeFileSync(join(dir, 'strata.yaml'), saasWorkspaceYaml(sources));
    expect(runCli(['import', '-w', dir]).code).toBe(0);
    expect(runCli(['run', '-w', dir, '--as-of', '2026-10-31']).code).toBe(0);
    const [baseline] = await snapshotCounts();
    expect(baseline?.memberships).toBeGreaterThan(20_000);

    // Kill later and later until a run gets through; every kill before it must have left
    // nothing. Each wait 8% longer than the last: the moments spread over every step of a
    // run (evaluation, snapshot, audit trail, commit) whatever the machine's speed.
    let interrupted = 0;
    for (let ms = 300; ms < 12_000; ms = Math.round(ms * 1.08)) {
      await runAndKill(ms);
      const runs = await snapshotCounts();
      expect(runs[0]).toEqual(baseline);
      if (runs.length === 1) {
        interrupted++;
        continue;
      }
      // The same data at the same time: a complete run is an exact copy of the first.
      expect(runs).toHaveLength(2);
      expect(runs[1]).toMatchObject({ memberships: baseline?.memberships, accounts: baseline?.accounts });
      break;
    }
    expect(interrupted).toBeGreaterThanOrEqual(3);
  }, 300_000);
});
