import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const root = join(import.meta.dirname, '..', '..');
/** Kept with the installed packages: a fresh clone (and so CI) starts without it. */
const CACHE = join(root, 'node_modules', '.cache', 'strata-test-fixtures');
/** How long a test waits for another process's build of the same fixture before it gives up. */
const WAIT_MS = 600_000;

let codeHash: string | undefined;

/** A hash of everything a fixture is made by: the product's source and the locked packages. */
function hashCode(): string {
  if (codeHash !== undefined) return codeHash;
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(path.slice(root.length)).update(readFileSync(path));
    }
  };
  walk(join(root, 'src'));
  hash.update(readFileSync(join(root, 'package-lock.json')));
  codeHash = hash.digest('hex');
  return codeHash;
}

/** True while the process that wrote `lock` is alive. */
function lockHeld(lock: string): boolean {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive but not ours. No pid file yet: the lock was made a moment ago.
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EPERM' || (code === 'ENOENT' && Date.now() - statSync(lock).mtimeMs < 5_000);
  }
}

/**
 * Copies into `into` a folder that `build` makes once per version of the code: the first test
 * to ask builds it (into a scratch folder renamed into place, so a half-built one is never
 * seen), every other test file, in this run or a later one, copies the result. The key is
 * `name`, the builder's own source, the text of `sources` (files of the functions the builder
 * calls beyond src/) and a hash of src/ and package-lock.json, so an edit of the product or of
 * the builder builds it again. Two test files asking at once: one builds, the other waits for
 * the folder to appear (or for the builder to die, and then builds itself).
 */
export async function copyFixture(
  name: string,
  build: (dir: string) => Promise<void>,
  into: string,
  sources: readonly string[] = [],
): Promise<void> {
  const hash = createHash('sha256').update(hashCode()).update(build.toString());
  for (const source of sources) hash.update(readFileSync(source));
  const key = hash.digest('hex').slice(0, 16);
  const ready = join(CACHE, `${name}-${key}`);
  const lock = `${ready}.lock`;
  mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + WAIT_MS;
  while (!existsSync(ready)) {
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline)
        throw new Error(`fixture ${name}: still locked by ${lock} after ${WAIT_MS} ms`);
      if (!lockHeld(lock)) rmSync(lock, { recursive: true, force: true });
      await sleep(100);
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
      const scratch = `${ready}.building-${process.pid}`;
      rmSync(scratch, { recursive: true, force: true });
      await build(scratch);
      // Older versions of this fixture are of no further use.
      for (const old of readdirSync(CACHE)) {
        if (old.startsWith(`${name}-`) && !old.startsWith(`${name}-${key}`)) {
          rmSync(join(CACHE, old), { recursive: true, force: true });
        }
      }
      renameSync(scratch, ready);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  cpSync(ready, into, { recursive: true });
}
