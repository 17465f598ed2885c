import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HoldoutReport } from '../../src/ml/holdout-report.js';
import { Rng } from '../../src/random.js';
import { createKey } from '../../src/server/api-keys.js';
import { readModel } from '../../src/workspace/model-files.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Honest refusals (issue #19, item 5): a model its holdout does not vouch for is saved with
 * a warning and not suggested for use. One hand-made table of 400 accounts with two yes/no
 * columns: `coin`, a seeded coin flip independent of every column, and `follows`, yes
 * exactly when `signal` is above 50.
 */
const dir = tempDir();
const ws = join(dir, 'ws');
const SUGGESTION = /use it in strata\.yaml as/;

beforeAll(() => {
  mkdirSync(ws);
  writeFileSync(join(ws, 'strata.yaml'), 'segments: {}\n');
  const rng = new Rng(19);
  const rows = ['account_id,created_at,signal,noise,coin,follows'];
  for (let i = 0; i < 400; i++) {
    const signal = Math.round(rng.next() * 100);
    const noise = Math.round(rng.next() * 100);
    const coin = rng.next() < 0.5 ? 'yes' : 'no';
    rows.push(
      [`v${String(i).padStart(3, '0')}`, '2024-01-01', signal, noise, coin, signal > 50 ? 'yes' : 'no'].join(
        ',',
      ),
    );
  }
  writeFileSync(join(dir, 'accounts.csv'), `${rows.join('\n')}\n`);
  const imported = runCli(['-w', ws, 'import', 'accounts', join(dir, 'accounts.csv')]);
  expect(imported.code, imported.stderr).toBe(0);
});

/** Hanley & McNeil (1982), worked here from the reported AUC and the holdout's class counts. */
function hanleyMcNeil(auc: number, positives: number, negatives: number) {
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc ** 2) / (1 + auc);
  const se = Math.sqrt(
    (auc * (1 - auc) + (positives - 1) * (q1 - auc ** 2) + (negatives - 1) * (q2 - auc ** 2)) /
      (positives * negatives),
  );
  return { low: Math.max(0, auc - 1.959964 * se), high: Math.min(1, auc + 1.959964 * se) };
}

const train = (label: string, json: boolean) =>
  runCli([
    '-w',
    ws,
    'predict',
    'train',
    '--table',
    'accounts',
    '--label',
    label,
    '--features',
    'signal,noise',
    ...(json ? ['--json'] : []),
  ]);

describe('strata predict train on a label it cannot predict', () => {
  it('saves the model with a warning and does not suggest it', () => {
    const run = train('coin', false);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/WARNING: held-out ROC AUC .* includes 0\.5|WARNING: held-out Brier score/);
    expect(run.stdout).not.toMatch(SUGGESTION);
    expect(run.stdout).toMatch(/coin is saved but not suggested for use/);

    const saved = readModel(ws, 'coin').report as unknown as HoldoutReport;
    expect(saved.verdict).toBe('not_useful');
    expect(saved.warnings?.length).toBeGreaterThan(0);
    // The interval, worked by hand from the AUC and the class counts, reaches 0.5, or the
    // Brier score is no lower than the base rate's.
    const { rows, positives } = saved.holdout;
    const expected = hanleyMcNeil(saved.rocAuc as number, positives, rows - positives);
    expect(saved.rocAucInterval?.low).toBeCloseTo(expected.low, 5);
    expect(saved.rocAucInterval?.high).toBeCloseTo(expected.high, 5);
    expect(expected.low <= 0.5 || saved.brier >= saved.baselineBrier).toBe(true);

    const report = runCli(['-w', ws, 'predict', 'report', 'coin']);
    expect(report.stdout).toMatch(/^WARNING: /m);
    expect(report.stdout).toContain(
      `ROC AUC ${(saved.rocAuc as number).toFixed(3)} (95% interval ${expected.low.toFixed(3)}-${expected.high.toFixed(3)})`,
    );
  });
});

describe('strata predict train on a label a feature determines', () => {
  it('suggests the model, without a warning, and its interval lies above 0.5', () => {
    const run = train('follows', false);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(/WARNING/);
    expect(run.stdout).toMatch(SUGGESTION);
    const { report } = train('follows', true).json<{ report: HoldoutReport }>();
    expect(report.verdict).toBe('usable');
    expect(report.warnings).toEqual([]);
    const expected = hanleyMcNeil(
      report.rocAuc as number,
      report.holdout.positives,
      report.holdout.rows - report.holdout.positives,
    );
    expect(expected.low).toBeGreaterThan(0.5);
    expect(report.rocAucInterval?.low).toBeCloseTo(expected.low, 5);
  });
});

describe('GET /v1/models', () => {
  it('carries each model verdict and warnings, for the list and the card', async () => {
    const { key } = createKey(ws, 'read');
    const { child, url } = await serveProcess(ws);
    const get = async (path: string) =>
      (await fetch(`${url}${path}`, {
        headers: { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      }).then((r) => r.json())) as Record<string, unknown>;
    try {
      const list = (await get('/v1/models')) as {
        models: { name: string; verdict: string; warnings: string[] }[];
      };
      const byName = Object.fromEntries(list.models.map((m) => [m.name, m]));
      expect(byName.coin).toMatchObject({ verdict: 'not_useful' });
      expect(byName.coin?.warnings.length).toBeGreaterThan(0);
      expect(byName.follows).toMatchObject({ verdict: 'usable', warnings: [] });
      expect(await get('/v1/models/coin')).toMatchObject({ verdict: 'not_useful' });
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
