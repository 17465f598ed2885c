import { type ChildProcess, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, strataBin } from '../helpers/run-cli.js';
import { serveProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * A new user's first hour (issue #19), as the README tells it: `strata demo`, then the
 * commands of the README's table on the demo with the real CLI, the dashboard's API beside
 * them, an edit of strata.yaml with `plan` and `run`, and the CLI while `strata serve` runs.
 * What is asserted comes from the data, not from Strata's own answers: the world's last day,
 * the counts `strata run` stored, and what another command (or the API) says of the same thing.
 */
const ws = join(tempDir(), 'strata-demo');
/** The demo world's end (its data stops there) and the runs' time: its last second. */
let end: number;
const cli = (...args: string[]) => {
  const run = runCli([...args, '-w', ws, '--json']);
  if (run.code !== 0)
    throw new Error(`strata ${args.join(' ')} exited ${run.code}: ${run.stderr}${run.stdout}`);
  return run.json<Record<string, unknown> & { clock?: { at: string; source: string } }>();
};
/** What the CLI said, kept for the API to be compared with. */
const said: Record<string, Record<string, unknown>> = {};

beforeAll(() => {
  const demo = runCli(['demo', '-w', ws, '--json']);
  expect(demo.code, demo.stderr).toBe(0);
  const { world } = demo.json<{ world: { endDate: string } }>();
  end = Date.parse(world.endDate);
});

describe("a new user's first hour on the demo", () => {
  it('dates every analysis at the latest run, not after the data, and shows the values the data has', () => {
    const notAfterData = (name: string, result: { clock?: { at: string; source: string } }) => {
      expect(result.clock, `${name} says which time it used`).toBeDefined();
      expect(Date.parse(result.clock?.at ?? ''), name).toBeLessThanOrEqual(end + 86_400_000);
      expect(result.clock?.source, name).toBe('latest run');
    };
    const segments = cli('segments', 'list') as { runId: number; asOf: string };
    said.segments = segments;
    expect(Date.parse(segments.asOf)).toBeLessThanOrEqual(end + 86_400_000);

    const rfm = cli('analyze', 'rfm') as {
      clock?: { at: string; source: string };
      paying: number;
      accounts: number;
      cells: { cell: string; accounts: number; share: number; frequency: number | null }[];
    };
    notAfterData('rfm', rfm);
    const champions = rfm.cells.find((c) => c.cell === 'Champions');
    expect(champions?.frequency).toBeGreaterThan(0);
    expect(champions?.share).toBeLessThan(0.25);
    expect(rfm.paying / rfm.accounts, 'most accounts of a B2B SaaS world pay').toBeGreaterThan(0.5);
    said.rfm = rfm;

    const cohorts = cli('analyze', 'cohorts') as {
      clock?: { at: string; source: string };
      unavailable: unknown[];
      cohorts: { cohort: string; periods: { active: number }[] }[];
    };
    notAfterData('cohorts', cohorts);
    expect(cohorts.unavailable).toEqual([]);
    expect(cohorts.cohorts.at(-1)?.periods[0]?.active, 'the latest cohort is active').toBeGreaterThan(0);
    said.cohorts = cohorts;

    const icp = cli('analyze', 'icp') as {
      clock?: { at: string; source: string };
      overall: { usage: { mean: number } };
    };
    notAfterData('icp', icp);
    expect(icp.overall.usage.mean).toBeGreaterThan(0);

    const clusters = cli('cluster', '--metrics', 'sessions_30d,mrr,adoption') as {
      clock?: { at: string; source: string };
      accounts: number;
      clusters: { accounts: number; means: Record<string, number> }[];
    };
    notAfterData('cluster', clusters);
    for (const c of clusters.clusters) expect(c.accounts / clusters.accounts).toBeGreaterThanOrEqual(0.02);
    expect(Math.max(...clusters.clusters.map((c) => c.means.sessions_30d ?? 0))).toBeGreaterThan(0);

    const model = cli('predict', 'report', 'churn') as {
      report: { verdict: string; rocAucInterval: { low: number }; brier: number; baselineBrier: number };
    };
    expect(model.report.verdict).toBe('usable');
    expect(model.report.rocAucInterval.low).toBeGreaterThan(0.5);
    expect(model.report.brier).toBeLessThan(model.report.baselineBrier);
    const scores = cli('predict', 'score', 'churn', '--top', '3') as {
      clock?: { at: string; source: string };
      accounts: number;
    };
    notAfterData('predict score', scores);
    expect(scores.accounts).toBeGreaterThan(0);

    const ab = cli('ab', 'report', 'save_offer', '--event', 'session_start') as {
      clock?: { at: string; source: string };
      variants: { variant: string; accounts: number; value: number }[];
    };
    notAfterData('ab report', ab);
    expect(ab.variants.every((v) => v.accounts > 0)).toBe(true);
    expect(
      ab.variants.some((v) => v.value > 0),
      'the test has outcomes',
    ).toBe(true);
    said.ab = ab;

    // The run stored the at_risk entries and exits; `changes --since 30d` counts them.
    const transitions = cli('transitions') as {
      segments: { segment: string; entered: number; exited: number }[];
    };
    const atRisk = transitions.segments.find((s) => s.segment === 'at_risk');
    const changes = cli('segments', 'changes', 'at_risk', '--since', '30d') as { total: number };
    expect(atRisk?.entered ?? 0).toBeGreaterThan(0);
    expect(changes.total).toBe((atRisk?.entered ?? 0) + (atRisk?.exited ?? 0));
    said.changes = changes;

    const yaml = readFileSync(join(ws, 'strata.yaml'), 'utf8');
    const funnel = /^funnels:\n {2}(\w+):/m.exec(yaml)?.[1];
    expect(funnel, 'the demo defines a funnel').toBeDefined();
    const funnelResult = cli('analyze', 'funnel', funnel as string) as {
      clock?: { at: string; source: string };
      overall: { reached: number[] };
    };
    notAfterData('funnel', funnelResult);
    expect(
      funnelResult.overall.reached.every((n) => n > 0),
      'every step is reached',
    ).toBe(true);
  });

  it('gives the same numbers through the API the dashboard reads', async () => {
    const key = cli('keys', 'create', '--scope', 'read') as { key: string };
    const { child, url } = await serveProcess(ws);
    try {
      const api = async <T>(path: string): Promise<T> => {
        const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key.key}` } });
        expect(response.status, path).toBe(200);
        return (await response.json()) as T;
      };
      const rfm = await api<{ asOf: string; cells: unknown[] }>('/v1/rfm');
      expectSameNumbers(rfm.cells, said.rfm?.cells);
      expect(rfm.asOf).toBe(said.rfm?.asOf);
      const cohorts = await api<{ cohorts: unknown[] }>('/v1/cohorts');
      expectSameNumbers(cohorts.cohorts, said.cohorts?.cohorts);
      const changes = await api<{ total: number }>('/v1/segments/at_risk/changes?since=30d');
      expect(changes.total).toBe(said.changes?.total);
      const ab = await api<{ variants: unknown[] }>('/v1/ab/save_offer?event=session_start');
      expectSameNumbers(ab.variants, said.ab?.variants);

      // The CLI works while the server holds the store: a read and a write.
      expect(cli('segments', 'list')).toEqual(said.segments);
      const status = cli('status') as { tables: unknown[] };
      expect(status.tables.length).toBeGreaterThan(0);
    } finally {
      await stop(child);
    }
  });

  it('stops quietly when the reader of its output stops early (| head -1)', () => {
    const piped = spawnSync(
      'sh',
      [
        '-c',
        `"${process.execPath}" "${strataBin()}" segments members smb -w "${ws}" --limit 100000 | head -1`,
      ],
      { encoding: 'utf8' },
    );
    expect(piped.stdout).toMatch(/^[\d,]+ accounts in 'smb'/);
    expect(piped.stderr).toBe('');
  });

  it('plans an edit and runs it with the same counts', () => {
    const path = join(ws, 'strata.yaml');
    const yaml = readFileSync(path, 'utf8');
    writeFileSync(
      path,
      yaml.replace(/^segments:\n/m, 'segments:\n  busy: { where: { metric: sessions_30d, gte: 10 } }\n'),
    );
    const plan = cli('plan') as {
      asOf: string;
      segments: { segment: string; added: number; removed: number; unchanged: number }[];
    };
    const run = cli('run') as {
      asOf: string;
      segments: { segment: string; after: number; entered: number; exited: number }[];
    };
    expect(run.asOf).toBe(plan.asOf);
    const planned = Object.fromEntries(plan.segments.map((s) => [s.segment, [s.added, s.removed]]));
    const ran = Object.fromEntries(run.segments.map((s) => [s.segment, [s.entered, s.exited]]));
    expect(ran).toEqual(planned);
    expect(planned.busy?.[0]).toBeGreaterThan(0);
  });
});

/**
 * The same document, numbers equal to 1e-9 relative: a sum of doubles in DuckDB depends on
 * the order its threads add them (40533.87 or 40533.869999999995).
 */
function expectSameNumbers(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(Math.abs(actual - expected), path).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
  } else if (expected !== null && typeof expected === 'object') {
    expect(actual !== null && typeof actual === 'object', path).toBe(true);
    const [a, e] = [actual as Record<string, unknown>, expected as Record<string, unknown>];
    expect(Object.keys(a).sort(), path).toEqual(Object.keys(e).sort());
    for (const key of Object.keys(e)) expectSameNumbers(a[key], e[key], `${path}.${key}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

/** Stops a server process and waits for it to exit. */
function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
