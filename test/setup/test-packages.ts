import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/**
 * Folders of test/ with their own package.json, outside the root lockfile: chdb (test/chdb,
 * current ClickHouse in-process) is 550 MB that `npm ci && npm start` should not download,
 * and its per-platform packages are missing from the npm mirror, so `npm ci` could not
 * install it from a complete lockfile anyway. `npm install --prefix` installs it here from
 * its own package.json and lockfile the first time the tests need it (and leaves the
 * lockfile as it is).
 */
const FOLDERS = ['test/chdb'];

/** Installed, and not older than the package.json and lockfile it was installed from. */
function upToDate(folder: string): boolean {
  const installed = join(folder, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) return false;
  const at = statSync(installed).mtimeMs;
  return ['package.json', 'package-lock.json'].every(
    (file) => !existsSync(join(folder, file)) || statSync(join(folder, file)).mtimeMs <= at,
  );
}

/** Global setup: `npm install --prefix <folder>` for each test-only package folder not yet installed. */
export default function setup(): void {
  for (const relative of FOLDERS) {
    const folder = join(root, relative);
    if (upToDate(folder)) continue;
    console.log(`installing the test-only packages of ${relative} (npm install --prefix ${relative})`);
    const installed = spawnSync('npm', ['install', '--prefix', folder, '--no-audit', '--no-fund'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (installed.status !== 0) {
      throw new Error(
        `npm install --prefix ${relative} failed (exit ${installed.status}); ${relative} needs the npm registry once:\n` +
          `${installed.stdout}${installed.stderr}`,
      );
    }
  }
}
