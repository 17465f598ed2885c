import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateWorld } from '../../src/demo/generate-world.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { copyFixture } from './fixture-cache.js';
import { runCli } from './run-cli.js';

/*
 * The largest world of the suite, shared: 20,000 accounts (about 2 million events), seed 2026,
 * the template workspace, imported. The recovery test trains on it (the generator's planted
 * churn causes are in data/ground_truth.csv); the kill -9 test needs a run long enough to
 * be cut at many moments.
 */
async function build(dir: string): Promise<void> {
  const world = await generateWorld({ scale: 'S', accounts: 20_000, seed: 2026, outDir: join(dir, 'data') });
  const sources = Object.fromEntries(
    Object.entries(world.files).map(([table, file]) => [table, `data/${file}`]),
  );
  writeFileSync(join(dir, 'strata.yaml'), saasWorkspaceYaml(sources));
  const imported = runCli(['-w', dir, 'import']);
  if (imported.code !== 0) throw new Error(`strata import exited ${imported.code}: ${imported.stderr}`);
}

/** Copies the imported 20,000-account workspace into `dir` (built once per version of the code). */
export async function largeWorld(dir: string): Promise<void> {
  await copyFixture('large-world', build, dir);
}
