import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileLayers, metricColumn } from '../../src/compile/compile-workspace.js';
import { generateWorld } from '../../src/demo/generate-world.js';
import { evaluateLayers } from '../../src/engine/evaluate.js';
import { storedRows } from '../../src/identity/account-rows.js';
import { extractFeatures } from '../../src/ml/features.js';
import { labelRelation, parseTarget } from '../../src/ml/labels.js';
import { rowModel } from '../../src/ml/predict.js';
import { createKey } from '../../src/server/api-keys.js';
import { startServer } from '../../src/server/serve.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { readModel, type SavedModel } from '../../src/workspace/model-files.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * The prediction commands on a generated world of 1,500 accounts (about 840 paying, as many as 3,000 had before the world was reshaped), through the real CLI,
 * with every probability checked against a second computation: the model's own scoring
 * in JavaScript over features read back from the database.
 */
// The commands run in this process (helpers/in-process-cli.ts): their answers and printed text
// are the point, not the process around them, and a process start costs half a second.
const ws = join(tempDir(), 'ws');
const T = '2026-06-01';
const cli = (...args: string[]) => cliInProcess(['-w', ws, ...args]);

beforeAll(async () => {
  const world = await generateWorld({ scale: 'S', accounts: 1500, seed: 11, outDir: join(ws, 'data') });
  const sources = Object.fromEntries(
    Object.entries(world.files).map(([table, file]) => [table, `data/${file}`]),
  );
  writeFileSync(join(ws, 'strata.yaml'), saasWorkspaceYaml(sources));
  const imported = await cli('import');
  expect(imported.code, imported.stderr).toBe(0);
});

/**
 * sqlProbabilities, computed once per model and time: the data never changes in this file
 * and a saved version is never rewritten, and compiling 100 trees to SQL costs seconds.
 */
const computed = new Map<string, ReturnType<typeof sqlProbabilities>>();
function probabilities(ref: string, at: Date) {
  const key = `${ref} ${at.toISOString()}`;
  if (!computed.has(key)) computed.set(key, sqlProbabilities(ref, at));
  return computed.get(key) as ReturnType<typeof sqlProbabilities>;
}

/** Probabilities computed in the database by the compiled model, by account. */
async function sqlProbabilities(ref: string, at: Date) {
  const store = await DuckDBStore.open(join(ws, '.strata', 'strata.duckdb'));
  try {
    const saved = readModel(ws, ref);
    if (saved.kind !== 'predictor') throw new Error('not a predictor');
    const layers = compileLayers(store.dialect, {
      metrics: { p: { kind: 'model', ref, scorer: saved.scorer } },
      segments: [],
      asOf: at,
      rows: storedRows(store.dialect),
    });
    const table = await evaluateLayers(store, layers, 'test_scores');
    const rows = await store.query<{ account_id: string; p: number }>(
      store.dialect.sql`SELECT account_id, ${store.dialect.sql.id(metricColumn('p'))} AS p FROM ${table}`,
    );
    // The same model in JavaScript, over the feature values read back from the database.
    const matrix = await extractFeatures(store, saved.scorer, at, { rows: storedRows(store.dialect) });
    const js = rowModel(saved.scorer).predict(matrix.x);
    return {
      sql: new Map(rows.map((r) => [r.account_id, Number(r.p)])),
      js: new Map(matrix.accountIds.map((id, i) => [id, js[i] as number])),
    };
  } finally {
    await store.close();
  }
}

describe('strata predict on a generated world', () => {
  let gbt: SavedModel;
  let holdoutAuc = Number.NaN;

  it('trains a churn model on history snapshots, saves version 1 and reports the holdout', async () => {
    const run = await cli(
      'predict',
      'train',
      '--label',
      'churned',
      '--as-of',
      T,
      '--snapshots',
      '4',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const trained = run.json<{
      name: string;
      version: number;
      file: string;
      report: Record<string, unknown>;
    }>();
    expect(trained).toMatchObject({ name: 'churn', version: 1 });
    expect(existsSync(join(ws, 'models', 'churn', 'v1.json'))).toBe(true);
    const report = trained.report as {
      split: string;
      seed: number;
      rocAuc: number;
      holdout: { rows: number; positives: number };
      topK: { k: number; precision: number }[];
      calibration: { n: number }[];
    };
    expect(report.split).toMatch(
      /^time-based: trained on 4 snapshots .* tested on the snapshot of 2026-06-01/,
    );
    expect(report.seed).toBe(42);
    expect(report.holdout.positives).toBeGreaterThan(10);
    holdoutAuc = report.rocAuc;
    // Every holdout row is in one calibration bin.
    expect(report.calibration.reduce((s, c) => s + c.n, 0)).toBe(report.holdout.rows);
    gbt = readModel(ws, 'churn');
    expect(gbt).toMatchObject({ format: 'strata-model', formatVersion: 1, kind: 'predictor', version: 1 });
  });

  it('scores in SQL exactly as the model scores in JavaScript (boosted trees)', async () => {
    const { sql, js } = await probabilities('churn@1', new Date(`${T}T00:00:00Z`));
    expect(sql.size).toBe(js.size);
    let largest = 0;
    for (const [id, p] of js) largest = Math.max(largest, Math.abs(p - (sql.get(id) ?? Number.NaN)));
    expect(largest).toBeLessThan(1e-12);
    // The reported holdout AUC, recomputed by counting pairs: the share of (churned, stayed)
    // pairs of paying accounts at T in which the churned one scores higher (ties half).
    const store = await DuckDBStore.open(join(ws, '.strata', 'strata.duckdb'));
    const labels = await store
      .query<{ account_id: string; label: number }>(
        store.dialect
          .sql`SELECT account_id, label FROM ${labelRelation(store.dialect, parseTarget('churned', 90), new Date(`${T}T00:00:00Z`), storedRows(store.dialect))}`,
      )
      .finally(() => store.close());
    const score = (id: string) => sql.get(id) as number;
    const churned = labels.filter((l) => Number(l.label) === 1).map((l) => score(l.account_id));
    const stayed = labels.filter((l) => Number(l.label) === 0).map((l) => score(l.account_id));
    let wins = 0;
    for (const c of churned) for (const s of stayed) wins += c > s ? 1 : c === s ? 0.5 : 0;
    expect(holdoutAuc).toBeCloseTo(wins / (churned.length * stayed.length), 9);
  });

  it('trains again as version 2 (logistic), keeps version 1, and scores the same in SQL', async () => {
    const run = await cli(
      'predict',
      'train',
      '--label',
      'churned',
      '--as-of',
      T,
      '--snapshots',
      '4',
      '--algorithm',
      'logistic',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ name: 'churn', version: 2 });
    const { sql, js } = await probabilities('churn@2', new Date(`${T}T00:00:00Z`));
    let largest = 0;
    for (const [id, p] of js) largest = Math.max(largest, Math.abs(p - (sql.get(id) ?? Number.NaN)));
    expect(largest).toBeLessThan(1e-12);
    const listed = (await cli('predict', 'report', '--json')).json<{ name: string; versions: number[] }[]>();
    expect(listed).toEqual([expect.objectContaining({ name: 'churn', versions: [1, 2] })]);
    const first = (await cli('predict', 'report', 'churn@1', '--json')).json<{
      version: number;
      report: { algorithm: string };
    }>();
    expect(first).toMatchObject({ version: 1, report: { algorithm: 'boosted_trees' } });
  });

  it('trains on a hashed sample of accounts, the same ones at every snapshot', async () => {
    const exported = join(tempDir(), 'training.csv');
    const run = await cli(
      'predict',
      'train',
      'sampled',
      '--label',
      'churned',
      '--as-of',
      T,
      '--snapshots',
      '2',
      '--sample',
      '0.5',
      '--export-training',
      exported,
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const { report } = run.json<{ report: { split: string; holdout: { rows: number } } }>();
    expect(report.split).toMatch(/^time-based \(a 50% sample of accounts\)/);
    // The paying accounts at T whose md5('sample:' + id) starts below half the 32-bit range.
    const store = await DuckDBStore.open(join(ws, '.strata', 'strata.duckdb'));
    const paying = await store
      .query<{ account_id: string; label: number }>(
        store.dialect
          .sql`SELECT account_id, label FROM ${labelRelation(store.dialect, parseTarget('churned', 90), new Date(`${T}T00:00:00Z`), storedRows(store.dialect))}`,
      )
      .finally(() => store.close());
    const kept = paying.filter(
      (r) =>
        Number.parseInt(createHash('md5').update(`sample:${r.account_id}`).digest('hex').slice(0, 8), 16) <
        2 ** 31,
    );
    expect(report.holdout.rows).toBe(kept.length);
    expect(kept.length).toBeGreaterThan(paying.length * 0.4);
    expect(kept.length).toBeLessThan(paying.length * 0.6);
    expect((await cli('predict', 'train', '--label', 'churned', '--sample', '1.5')).stderr).toMatch(
      /--sample 1.5: expected a share/,
    );
    // The exported training set joins back: snapshot and account first, sorted by both.
    const [header, ...lines] = readFileSync(exported, 'utf8').trim().split('\n');
    expect(header?.split(',').slice(0, 2)).toEqual(['as_of', 'account_id']);
    expect(header?.split(',').slice(-2)).toEqual(['label', 'split']);
    const rows = lines.map((line) => line.split(','));
    const keys = rows.map((r) => `${r[0]} ${r[1]}`);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(keys.length);
    // Two training snapshots, 90 and 120 days before the holdout at T (horizon 90d, every 30d).
    const day = (offset: number) =>
      new Date(Date.parse(`${T}T00:00:00Z`) - offset * 86_400_000).toISOString();
    expect([...new Set(rows.map((r) => r[0]))]).toEqual([day(120), day(90), day(0)]);
    // The holdout rows are the sampled accounts at T, each with its label from history.
    const holdout = rows.filter((r) => r.at(-1) === 'holdout');
    expect(holdout.every((r) => r[0] === day(0))).toBe(true);
    const labels = new Map(kept.map((r) => [r.account_id, Number(r.label)]));
    expect(holdout.map((r) => r[1]).sort()).toEqual([...labels.keys()].sort());
    for (const r of holdout) expect(Number(r.at(-2))).toBe(labels.get(r[1] as string));
  });

  it('is deterministic: the same seed trains the same trees', async () => {
    const run = await cli(
      'predict',
      'train',
      'churn_again',
      '--label',
      'churned',
      '--as-of',
      T,
      '--snapshots',
      '4',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(readModel(ws, 'churn_again').scorer).toEqual(gbt.scorer);
  });

  it('explains an account: base log-odds plus contributions give its probability', async () => {
    const { js } = await probabilities('churn@1', new Date(`${T}T00:00:00Z`));
    const [account, probability] = [...js.entries()].sort((a, b) => b[1] - a[1])[0] as [string, number];
    const run = await cli(
      'predict',
      'explain',
      account,
      '--model',
      'churn@1',
      '--as-of',
      T,
      '--top',
      '1000',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const explained = run.json<{
      probability: number;
      baseLogOdds: number;
      contributions: { feature: string; contribution: number; direction: string }[];
    }>();
    expect(explained.probability).toBeCloseTo(probability, 12);
    const logOdds = explained.baseLogOdds + explained.contributions.reduce((s, c) => s + c.contribution, 0);
    expect(1 / (1 + Math.exp(-logOdds))).toBeCloseTo(probability, 10);
    const first = explained.contributions[0];
    expect(first?.direction).toBe((first?.contribution ?? 0) > 0 ? 'raises' : 'lowers');

    // The profile API's ?explain= explains by the same model (no run: at the workspace clock,
    // the latest time in the data).
    const key = createKey(ws, 'read').key;
    const workspace = loadWorkspace(ws);
    const store = await openStore(workspace);
    const server = await startServer({ workspace, store, port: 0 });
    try {
      const response = await fetch(`${server.url}/v1/accounts/${account}?explain=churn@1`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { explanations: { probability: number; model: string }[] };
      expect(body.explanations).toHaveLength(1);
      expect(body.explanations[0]?.model).toBe('churn');
      const missing = await fetch(`${server.url}/v1/accounts/${account}?explain=nomodel`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(missing.status).toBe(404);
    } finally {
      await server.stop();
      await store.close();
    }
  });

  it('writes every paying account with its probability, highest first', async () => {
    const out = join(ws, 'scores.csv');
    const run = await cli('predict', 'score', 'churn@1', '--as-of', T, '--out', out, '--top', '5', '--json');
    expect(run.code, run.stderr).toBe(0);
    const summary = run.json<{
      accounts: number;
      top: { accountId: string; probability: number }[];
      histogram: { accounts: number }[];
    }>();
    const lines = readFileSync(out, 'utf8').trim().split('\n').slice(1);
    expect(lines.length).toBe(summary.accounts);
    expect(summary.histogram.reduce((s, h) => s + h.accounts, 0)).toBe(summary.accounts);
    const { js } = await probabilities('churn@1', new Date(`${T}T00:00:00Z`));
    for (const line of lines.slice(0, 50)) {
      const [id, p] = line.split(',');
      expect(Number(p)).toBeCloseTo(js.get(id as string) as number, 12);
    }
    expect(summary.top[0]?.accountId).toBe(lines[0]?.split(',')[0]);
  });

  it('makes probabilities and clusters usable in segments', async () => {
    const clustered = await cli(
      'cluster',
      '--metrics',
      'sessions_30d,adoption,mrr',
      '--k',
      '3',
      '--as-of',
      T,
      '--save',
      'usage',
      '--json',
    );
    expect(clustered.code, clustered.stderr).toBe(0);
    const yaml = readFileSync(join(ws, 'strata.yaml'), 'utf8')
      .replace('metrics:\n', 'metrics:\n  risk_v1: { model: churn@1 }\n')
      .replace(
        'segments:\n',
        'segments:\n  likely_churn: { framework: predictive, where: { metric: risk_v1, gte: 0.2 } }\n  riskiest: { framework: predictive, where: { top: 10%, by: churn_probability } }\n  usage_0: { where: { metric: usage_cluster, eq: 0 } }\n',
      );
    writeFileSync(join(ws, 'strata.yaml'), yaml);
    const run = await cli('run', '--as-of', T, '--json');
    expect(run.code, run.stderr).toBe(0);
    const members = async (segment: string) =>
      new Set(
        (await cli('segments', 'members', segment, '--limit', '100000', '--json'))
          .json<{ members: { account_id: string }[] }>()
          .members.map((m) => m.account_id),
      );
    const { js } = await probabilities('churn@1', new Date(`${T}T00:00:00Z`));
    const expected = [...js.entries()].filter(([, p]) => p >= 0.2).map(([id]) => id);
    expect(expected.length).toBeGreaterThan(0);
    expect([...(await members('likely_churn'))].sort()).toEqual(expected.sort());
    // Why one of them is in: its probability against the threshold, and the model's drivers
    // as strata predict explain gives them at the run's time.
    const member = expected[0] as string;
    const why = (await cli('explain', member, 'likely_churn', '--json')).json<{
      segments: {
        tree: {
          value: string;
          holds: boolean;
          drivers: { model: string; probability: number; contributions: unknown[] };
        };
      }[];
    }>().segments[0]?.tree;
    expect(why?.holds).toBe(true);
    expect(Number(why?.value)).toBeCloseTo(js.get(member) as number, 10);
    const drivers = await cli(
      'predict',
      'explain',
      member,
      '--model',
      'churn@1',
      '--as-of',
      T,
      '--top',
      '5',
      '--json',
    );
    expect(why?.drivers).toMatchObject({
      model: 'churn',
      contributions: drivers.json<{ contributions: unknown[] }>().contributions,
    });
    expect(why?.drivers.contributions.length).toBeGreaterThan(0);
    // The drivers' probability is the one computed independently above (the model in JavaScript).
    expect(why?.drivers.probability).toBeCloseTo(js.get(member) as number, 10);
    expect((await cli('explain', member, 'riskiest')).stdout).toMatch(
      /model churn v\d+: probability \d+\.\d%, driven by/,
    );
    // Cluster 0: the accounts nearest centre 0 of the saved clustering, computed here from its
    // file: each value clamped to the saved bounds and logged as ln(1 + x) where saved, then z-scored.
    const saved = readModel(ws, 'usage');
    if (saved.kind !== 'clusters') throw new Error('not a clustering');
    const store = await DuckDBStore.open(join(ws, '.strata', 'strata.duckdb'));
    const matrix = await extractFeatures(store, saved.scorer, new Date(`${T}T00:00:00Z`), {
      rows: storedRows(store.dialect),
    }).finally(() => store.close());
    const { means, scales, centres, transforms } = saved.scorer;
    const p = means.length;
    const shape = (raw: number, j: number) => {
      const t = transforms?.[j];
      const capped = Math.min(Math.max(raw, t?.lower ?? raw), t?.upper ?? raw);
      return t?.log ? Math.log(1 + capped) : capped;
    };
    const nearest = matrix.accountIds.filter((_, i) => {
      const distances = centres.map((centre) =>
        centre.reduce((sum, c, j) => {
          const raw = matrix.x[i * p + j] as number;
          const z =
            ((Number.isNaN(raw) ? (means[j] as number) : shape(raw, j)) - (means[j] as number)) /
            (scales[j] as number);
          return sum + (z - c) ** 2;
        }, 0),
      );
      return distances.indexOf(Math.min(...distances)) === 0;
    });
    expect([...(await members('usage_0'))].sort()).toEqual(nearest.sort());
  });

  it('names the file and line of a metric whose model does not exist, and rejects bad labels', async () => {
    const yaml = readFileSync(join(ws, 'strata.yaml'), 'utf8');
    writeFileSync(join(ws, 'strata.yaml'), yaml.replace('{ model: churn@1 }', '{ model: nope }'));
    const run = await cli('run');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/strata\.yaml:\d+.*no saved model 'nope'/s);
    // Training the missing model is not blocked by the workspace waiting for it (logistic:
    // the algorithm does not matter here, and its SQL is quick for the run that follows).
    const trained = await cli(
      'predict',
      'train',
      'nope',
      '--label',
      'churned',
      '--as-of',
      T,
      '--snapshots',
      '2',
      '--algorithm',
      'logistic',
    );
    expect(trained.code, trained.stderr).toBe(0);
    expect((await cli('run', '--as-of', T)).code).toBe(0);
    writeFileSync(join(ws, 'strata.yaml'), yaml);
    const bad = await cli('predict', 'train', '--label', 'churn');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--label churn: expected churned, expanded/);
    const late = await cli('predict', 'train', '--label', 'churned', '--as-of', '2026-10-01');
    expect(late.stderr).toMatch(/labels need 90 days after --as-of 2026-10-01, but the data ends/);
  });
});
