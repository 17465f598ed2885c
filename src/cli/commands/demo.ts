import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WorldSummary } from '../../demo/generate-world.js';
import { runWorkspace } from '../../engine/run-workspace.js';
import { importSources } from '../../store/import-sources.js';
import { openStore } from '../../store/open-store.js';
import { loadWorkspace, WORKSPACE_FILE } from '../../workspace/load-workspace.js';
import { saasWorkspaceYaml } from '../../workspace/template.js';
import type { Output } from '../output.js';
import { createProgress } from '../progress.js';
import { generateWithProgress, parseWorldOptions } from './generate.js';
import { renderImports } from './import.js';
import { renderRun } from './run.js';
import { describeStore, renderStats } from './status.js';

/** The world already in `dataDir`, if it was generated with the same scale and seed. */
function existingWorld(dataDir: string, scale: string, seed: number): WorldSummary | undefined {
  const manifest = join(dataDir, 'manifest.json');
  if (!existsSync(manifest)) return undefined;
  const world = JSON.parse(readFileSync(manifest, 'utf8')) as WorldSummary;
  return world.scale === scale && world.seed === seed ? world : undefined;
}

/**
 * `strata demo`: generates a world (or reuses the one already there), writes a workspace
 * whose sources are its files (unless one is there), imports them, runs the segments at
 * the world's end, and prints what is in the store and the segment table.
 */
export async function runDemo(options: { workspace: string; scale: string; seed: string }, output: Output) {
  const started = performance.now();
  const { scale, seed } = parseWorldOptions(options.scale, options.seed);
  const dir = resolve(options.workspace);
  const dataDir = join(dir, 'data');
  let world = existingWorld(dataDir, scale, seed);
  if (world) output.say(`reusing the ${scale} world (seed ${seed}) in ${dataDir}`);
  else world = await generateWithProgress({ scale, seed, outDir: dataDir }, output);

  const sources = Object.fromEntries(
    Object.entries(world.files).map(([table, file]) => [table, join('data', file)]),
  );
  writeFileSync(join(dir, WORKSPACE_FILE), saasWorkspaceYaml(sources));
  const workspace = loadWorkspace(dir);
  const store = await openStore(workspace);
  try {
    const progress = createProgress('import', !output.json);
    const imports = await importSources(store, workspace, (table, fraction) =>
      progress.update(fraction, table),
    ).finally(() => progress.stop());
    const summary = await describeStore(store);
    // Segments are evaluated at the world's last moment, when its data ends.
    const run = await runWorkspace(store, workspace, new Date(world.endDate));
    const seconds = (performance.now() - started) / 1000;
    output.result({ workspace: dir, world, imports, ...summary, run, seconds }, () =>
      [
        `Strata demo workspace: ${dir}`,
        `world: scale ${world.scale}, seed ${world.seed}, ${world.startDate.slice(0, 10)} to ${world.endDate.slice(0, 10)}`,
        '',
        renderImports(imports),
        '',
        renderStats(summary.tables),
        '',
        renderRun(run),
        '',
        `store: ${summary.location} (schema v${summary.schemaVersion}); done in ${seconds.toFixed(1)} s`,
        `next: strata segments show at_risk -w ${options.workspace}   |   edit ${join(options.workspace, WORKSPACE_FILE)}, then strata plan -w ${options.workspace}`,
      ].join('\n'),
    );
  } finally {
    await store.close();
  }
}
