import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateWorld } from '../../src/demo/generate-world.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace, type Workspace } from '../../src/workspace/load-workspace.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { copyFixture } from './fixture-cache.js';
import { runCli } from './run-cli.js';

/*
 * The dashboard's world (test/web/dashboard.test.ts, accessibility.test.ts): a generated
 * world of 600 accounts with a funnel, two runs (the last seconds of 2026-09-30 and of 2026-10-31,
 * where the world's data ends, so a plan with nothing edited changes nothing), an A/B test
 * "welcome" on paying, a churn model and a saved clustering "usage" (k = 3), so that every
 * page of the dashboard has something to show.
 */

/** Runs the real CLI and fails with its output when it does not exit 0. */
function cli(args: string[]): void {
  const run = runCli(args);
  if (run.code !== 0) throw new Error(`strata ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
}

/** Writes the workspace into `dir`, imports, runs twice and saves the test, model and clustering. */
async function build(dir: string): Promise<void> {
  const world = await generateWorld({ scale: 'S', seed: 8, outDir: join(dir, 'data'), accounts: 600 });
  const sources = Object.fromEntries(Object.entries(world.files).map(([t, f]) => [t, `data/${f}`]));
  writeFileSync(
    join(dir, 'strata.yaml'),
    `${saasWorkspaceYaml(sources)}\nfunnels:\n  activation: { steps: [session_start, dashboard_created, report_exported], within: 30d }\n`,
  );
  cli(['import', '-w', dir, '--json']);
  for (const asOf of ['2026-09-30T23:59:59Z', '2026-10-31T23:59:59Z'])
    cli(['run', '-w', dir, '--as-of', asOf, '--json']);
  cli(['ab', 'create', 'welcome', '--segment', 'paying', '-w', dir, '--json']);
  cli(['predict', 'train', '--label', 'churned', '-w', dir, '--json']);
  const clustered = ['cluster', '--metrics', 'sessions_30d,adoption,mrr', '--k', '3', '--save', 'usage'];
  cli([...clustered, '-w', dir, '--json']);
}

/** The world in `dir` (built once per version of the code, then copied: helpers/fixture-cache.ts); the store stays open. */
export async function openDashboardWorld(dir: string): Promise<{ store: Store; workspace: Workspace }> {
  await copyFixture('dashboard-world', build, dir);
  const workspace = loadWorkspace(dir);
  return { store: await openStore(workspace), workspace };
}
