import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StrataError } from '../../errors.js';
import { WORKSPACE_FILE } from '../../workspace/load-workspace.js';
import { saasWorkspaceYaml } from '../../workspace/template.js';
import type { InitInput } from '../commands/init.js';
import type { Output } from '../output.js';

/** `strata init [--template saas]`: a new workspace folder with a starter strata.yaml. */
export function runInit(options: InitInput, output: Output) {
  const dir = resolve(options.workspace);
  const file = join(dir, WORKSPACE_FILE);
  if (existsSync(file) && !options.force) {
    throw new StrataError('workspace_exists', `${file} already exists; pass --force to overwrite it`, {
      file,
    });
  }
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(file, saasWorkspaceYaml());
  output.result({ workspace: dir, file }, () =>
    [
      `created ${file}`,
      "next: put your files in data/, list them under 'sources:', then run 'strata import'",
    ].join('\n'),
  );
}
