import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/demo/generate-world.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { clickhouse } from '../helpers/clickhouse.js';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { modulesLoaded } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Every command a user runs after import, through the CLI's program, on a workspace whose store
 * is the two-shard cluster; answers cross-checked against each other and against DuckDB's.
 * The two workspaces share nothing (a ClickHouse database, a DuckDB file), so each command
 * runs on both at once: the DuckDB side runs while the cluster works on its query. The
 * commands run in this process (helpers/in-process-cli.ts), their answers being the point; the
 * built CLI's start-up on ClickHouse is checked by the modules it loads.
 */
const dir = tempDir();
const duck = tempDir();
const database = `cli_${process.pid}`;

beforeAll(async () => {
  const { cluster } = clickhouse();
  const world = await generateWorld({ scale: 'S', seed: 5, outDir: join(dir, 'data'), accounts: 600 });
  const sources = Object.fromEntries(Object.entries(world.files).map(([t, f]) => [t, join(dir, 'data', f)]));
  // A CRM destination: its desired values are one query over the run table, on either engine.
  const yaml = `${saasWorkspaceYaml(sources)}
destinations:
  hubspot:
    type: hubspot
    object: companies
    credentials: { token: HUBSPOT_TOKEN }
    fields:
      strata_segments: segments
      strata_tier: { scheme: cs_tiers }
      strata_at_risk: { segment: at_risk }
      strata_health: { metric: health }
      strata_next_action: next_action
`;
  const store = `store: { engine: clickhouse, url: "${cluster.urls[0]}", database: ${database}, cluster: ${cluster.name}, shards: [${cluster.urls.map((u) => `"${u}"`).join(', ')}] }`;
  writeFileSync(join(dir, 'strata.yaml'), yaml.replace(/^store:.*$/m, store));
  writeFileSync(join(duck, 'strata.yaml'), yaml);
  await Promise.all(
    [dir, duck].map(async (workspace) => {
      const imported = await cliInProcess(['import', '-w', workspace, '--json']);
      expect(imported.code, imported.stderr + imported.stdout).toBe(0);
      for (const asOf of ['2026-09-30', '2026-10-31']) {
        const run = await cliInProcess(['run', '-w', workspace, '--as-of', asOf, '--json']);
        expect(run.code, run.stderr + run.stdout).toBe(0);
      }
    }),
  );
});

/** The same command's JSON on the cluster and on DuckDB (run at the same time). */
async function both(args: string[]): Promise<[Record<string, unknown>, Record<string, unknown>]> {
  const [cluster, duckdb] = await Promise.all(
    [dir, duck].map(async (workspace) => {
      const run = await cliInProcess([...args, '-w', workspace, '--json']);
      expect(run.stderr).toBe('');
      expect(run.code, run.stdout).toBe(0);
      return run.json<Record<string, unknown>>();
    }),
  );
  return [cluster ?? {}, duckdb ?? {}];
}

describe('the CLI on a ClickHouse cluster', () => {
  it('status, segments list and show report what DuckDB reports', async () => {
    const [status, expected] = await both(['status']);
    expect(status.tables).toEqual(expected.tables);
    const [list, listed] = await both(['segments', 'list']);
    expect(list.segments).toEqual(listed.segments);
    const [show, shown] = await both(['segments', 'show', 'at_risk']);
    expect((show.history as unknown[]).length).toBe(2);
    expect(show).toEqual(shown);
  });

  it('loads no DuckDB for a command on ClickHouse (start-up time: its native library takes ~200 ms)', () => {
    const loaded = modulesLoaded(['status', '-w', dir, '--json']).modules;
    expect(loaded.some((file) => file.includes('@clickhouse/client'))).toBe(true);
    expect(loaded.filter((file) => file.includes('@duckdb'))).toEqual([]);
  });

  it('exports memberships and CRM tag files with the same rows as DuckDB', async () => {
    for (const [what, extra] of [
      ['memberships', []],
      ['crm', ['--layout', 'salesforce']],
    ] as const) {
      const files = [dir, duck].map((workspace) => join(workspace, `${what}.json`));
      const [cluster, duckdb] = await Promise.all(
        [dir, duck].map(async (workspace, i) => {
          const run = await cliInProcess([
            'export',
            what,
            ...extra,
            '--format',
            'json',
            '--out',
            files[i] as string,
            '-w',
            workspace,
          ]);
          expect(run.stderr).toBe('');
          // One JSON array on both engines (ClickHouse writes lines, which the store wraps).
          return JSON.parse(readFileSync(files[i] as string, 'utf8')) as Record<string, unknown>[];
        }),
      );
      expect((duckdb ?? []).length).toBeGreaterThan(100);
      // Row for row, the run id as a number either way.
      expect((cluster ?? []).map((row) => ({ ...row, run_id: Number(row.run_id ?? 0) }))).toEqual(
        (duckdb ?? []).map((row) => ({ ...row, run_id: Number(row.run_id ?? 0) })),
      );
    }
  });

  it('pages, sorts and searches members like DuckDB', async () => {
    const [page, expected] = await both([
      'segments',
      'members',
      'paying',
      '--sort',
      'mrr',
      '--limit',
      '7',
      '--offset',
      '3',
    ]);
    expect((page.members as unknown[]).length).toBe(7);
    expect(page).toEqual(expected);
    const [found, foundDuck] = await both([
      'segments',
      'members',
      'paying',
      '--search',
      'acc',
      '--limit',
      '5',
    ]);
    expect(found.total).toBeGreaterThan(0);
    expect(found).toEqual(foundDuck);
  });

  it('history, transitions, overlap and plan match DuckDB', async () => {
    const [members] = await both(['segments', 'members', 'at_risk', '--limit', '1']);
    const account = (members.members as { account_id: string }[])[0]?.account_id ?? '';
    // The same entries, exits and reasons; the definition versions differ by the store line.
    const versionless = (h: Record<string, unknown>) =>
      (h.history as Record<string, unknown>[]).map((run) => ({ ...run, workspaceHash: undefined }));
    const [history, expectedHistory] = await both(['history', account]);
    expect(versionless(history)).toEqual(versionless(expectedHistory));
    expect(
      (history.history as { changes: unknown[] }[]).flatMap((run) => run.changes).length,
    ).toBeGreaterThan(0);
    const [flows, expectedFlows] = await both(['transitions']);
    expect(flows).toEqual(expectedFlows);
    const [overlap, expectedOverlap] = await both(['segments', 'overlap']);
    expect(overlap).toEqual(expectedOverlap);
    // With the destination's next sync (every account, never written) as DuckDB computes it.
    const [plan, expectedPlan] = await both(['plan']);
    expect(plan).toEqual(expectedPlan);
    const [sync, expectedSync] = await both(['sync', 'plan', 'hubspot', '--limit', '20']);
    expect(sync).toMatchObject({ records: 600, pending: 600, neverWritten: 600 });
    expect(sync).toEqual(expectedSync);
  });

  it('trains, scores and explains a churn model as DuckDB does', async () => {
    // Two snapshots: the same training rows on both engines is what is compared, not their number.
    const train = ['predict', 'train', '--label', 'churned', '--horizon', '30d', '--snapshots', '2'];
    const [trained, expected] = await both(train);
    // The same training rows give the same model: only where the file was written differs.
    expect({ ...trained, file: undefined }).toEqual({ ...expected, file: undefined });
    const [scores, expectedScores] = await both(['predict', 'score', 'churn', '--as-of', '2026-10-31']);
    expect((scores.top as unknown[]).length).toBeGreaterThan(0);
    // The mean is summed in another order across shards: equal to rounding.
    expect(scores.meanProbability).toBeCloseTo(expectedScores.meanProbability as number, 12);
    expect({ ...scores, meanProbability: 0 }).toEqual({ ...expectedScores, meanProbability: 0 });
    const account = (scores.top as { accountId: string }[])[0]?.accountId ?? '';
    const [explained, expectedExplained] = await both([
      'predict',
      'explain',
      account,
      '--as-of',
      '2026-10-31',
    ]);
    expect(explained).toEqual(expectedExplained);
  });
});
