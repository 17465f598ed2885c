import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { readModel } from '../../src/workspace/model-files.js';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { insertTiers, TIERS_YAML } from './skewed-tiers.js';

/* `strata cluster` on the skewed tiers of skewed-tiers.ts (worked there), through the built CLI. */
// The commands run in this process (helpers/in-process-cli.ts): their answers and printed text
// are the point, not the process around them, and a process start costs half a second.
const ws = join(tempDir(), 'ws');
const cli = (...args: string[]) => cliInProcess([...args, '-w', ws]);
const base = ['cluster', '--metrics', 'mrr,employees', '--as-of', '2024-06-01'];

beforeAll(async () => {
  mkdirSync(join(ws, '.strata'), { recursive: true });
  writeFileSync(join(ws, 'strata.yaml'), TIERS_YAML);
  const store = await DuckDBStore.open(join(ws, '.strata', 'strata.duckdb'));
  await insertTiers(store).finally(() => store.close());
});

describe('strata cluster on skewed metrics', () => {
  it('says what it did to each metric and which k it rejected, and saves the transform', async () => {
    const text = await cli(...base, '--transform', 'none', '--k-max', '3');
    // z-scores only: every k puts the 900,000-MRR account alone, so nothing is left to choose.
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(
      /no k from 2 to 3 gives clusters of 5 accounts .*k=2 rejected: cluster \d held 1 account; k=3 rejected: cluster \d held 1 account.*--transform auto/,
    );
    expect(text.stderr).not.toMatch(/\n\s+at /);
    const auto = await cli(...base);
    expect(auto.code, auto.stderr).toBe(0);
    expect(auto.stdout).toContain('3 clusters of 100 accounts by mrr, employees');
    expect(auto.stdout).toContain(
      'mrr: capped at 4,800 (1 account above), then ln(1 + x); skewness 9.85 -> 0.29',
    );
    expect(auto.stdout).toContain(
      'employees: capped at 950 (1 account above), then ln(1 + x); skewness 9.83 -> 0.76',
    );
    const saved = (await cli(...base, '--save', 'tiers', '--json')).json<{
      k: number;
      transform: string;
      clusters: { cluster: number; accounts: number; means: { mrr: number; employees: number } }[];
      transforms: { metric: string; upper: number | null; log: boolean }[];
    }>();
    expect(saved.k).toBe(3);
    expect(saved.clusters.map((c) => c.accounts)).toEqual([50, 30, 20]);
    // The table writes each cluster's mean mrr as money in USD (cents below 1,000, whole
    // dollars above, thousands separated) and mean employees to three significant digits (whole means as they are).
    const dollars = (x: number) =>
      x >= 1000 ? `$${Math.round(x).toLocaleString('en-US')}` : `$${x.toFixed(2)}`;
    const people = (x: number) =>
      Number.isInteger(x) || x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(x >= 10 ? 1 : 2);
    for (const c of saved.clusters) {
      const row = new RegExp(
        `^\\s*${c.cluster}\\s+${c.accounts}\\s+.*\\s${dollars(c.means.mrr).replace('$', '\\$')}\\s+${people(c.means.employees)}$`,
        'm',
      );
      expect(auto.stdout).toMatch(row);
    }
    expect(saved.transforms.map((t) => [t.metric, t.upper, t.log])).toEqual([
      ['mrr', 4800, true],
      ['employees', 950, true],
    ]);
    const file = readModel(ws, 'tiers');
    expect(file.kind === 'clusters' && file.scorer.transforms).toEqual([
      { lower: null, upper: 4800, log: true },
      { lower: null, upper: 950, log: true },
    ]);
    expect(file.training).toMatchObject({ transform: 'auto', k: 3 });
  });

  it('refuses a --k that leaves a cluster near-empty, and an unknown --transform, with exit 1', async () => {
    const refused = await cli(...base, '--transform', 'none', '--k', '3');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--k 3: cluster \d held 1 account, under the minimum of 5 accounts/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    const json = await cli(...base, '--transform', 'none', '--k', '3', '--json');
    expect(json.code).toBe(1);
    expect(json.json<{ error: { code: string } }>().error.code).toBe('cluster_too_small');
    // A metric typed with the wrong case names the option and the right name, not a line of strata.yaml.
    const typo = await cli('cluster', '--metrics', 'Mrr,employees');
    expect(typo.code).toBe(1);
    expect(typo.stderr).toBe(
      "error: --metrics Mrr: unknown metric 'Mrr' - did you mean 'mrr'? (names are case-sensitive)\n",
    );
    const unknown = await cli(...base, '--transform', 'sqrt');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--transform sqrt: expected one of auto, none, log, cap');
  });
});
