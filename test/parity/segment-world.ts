import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateWorld } from '../../src/demo/generate-world.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { TABLE_NAMES } from '../../src/model/tables.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace, type Workspace } from '../../src/workspace/load-workspace.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { copyFixture } from '../helpers/fixture-cache.js';

/*
 * The world of the segment engine's parity checks (segment-checks.ts), shared by
 * segment-parity.test.ts and chdb/current-clickhouse.test.ts: the template workspace on one
 * generated world, imported into DuckDB (`strata.duckdb` in its folder) and run at each time
 * of AS_OF. Built once per version of the code (helpers/fixture-cache.ts): the second file
 * copies it rather than generating, importing and running it again.
 */

/** The two run times of the parity world. */
export const AS_OF = [new Date('2026-09-30T00:00:00Z'), new Date('2026-10-31T23:59:59Z')];

export interface SegmentWorld {
  readonly dir: string;
  readonly files: Readonly<Record<string, string>>;
  readonly workspace: Workspace;
}

/** Imports every table of the world into `store` and runs the workspace at each time of AS_OF. */
export async function importAndRun(store: Store, world: SegmentWorld): Promise<void> {
  for (const table of TABLE_NAMES) {
    const file = world.files[table];
    if (file) await store.importFile({ table, file: join(world.dir, 'data', file) });
  }
  for (const asOf of AS_OF) await runWorkspace(store, world.workspace, asOf);
}

/** Generates the world (1,000 accounts: since the generator's reshaping, 56% of them pay) into `dir`, imported into DuckDB and run. */
async function build(dir: string): Promise<void> {
  const generated = await generateWorld({ scale: 'S', seed: 11, outDir: join(dir, 'data'), accounts: 1000 });
  writeFileSync(join(dir, 'strata.yaml'), saasWorkspaceYaml());
  writeFileSync(join(dir, 'files.json'), JSON.stringify(generated.files));
  const store = await DuckDBStore.open(join(dir, 'strata.duckdb'));
  try {
    await importAndRun(store, { dir, files: generated.files, workspace: loadWorkspace(dir) });
  } finally {
    await store.close();
  }
}

/** Copies the world into `dir`; DuckDB's store in it holds the world's rows and both runs. */
export async function duckdbSegmentWorld(dir: string): Promise<SegmentWorld> {
  // This file's text is in the key too: `build` calls importAndRun and AS_OF above.
  await copyFixture('segment-world', build, dir, [import.meta.filename]);
  const files = JSON.parse(readFileSync(join(dir, 'files.json'), 'utf8')) as Record<string, string>;
  return { dir, files, workspace: loadWorkspace(dir) };
}
