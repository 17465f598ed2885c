import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The folder rules of src/: each folder's README has one line `May import: src/a, src/b/file.ts, ...`
 * (or `May import: nothing.`), and a file may import its own folder and what that line
 * names, nothing else. A top-level file of src/ (errors.ts, own-key.ts, ...) is a shared leaf:
 * it may import only other top-level files. Imports are read with a regex, not a compiler,
 * so the check needs no build and takes well under a second.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');

/** Repository-relative path with forward slashes. */
const repoPath = (absolute: string) => relative(ROOT, absolute).split(sep).join('/');

/** Every module specifier a TypeScript file imports or re-exports, static or dynamic. */
function importSpecifiers(text: string): string[] {
  const found: string[] = [];
  // A static import or re-export starts a line (the formatter puts them there) and may span
  // lines; no quote before its `from`, so a string in code that follows is never taken for one.
  for (const m of text.matchAll(/^(?:import|export)\s[^;'"`]*?\sfrom\s*['"]([^'"]+)['"]/gm))
    found.push(m[1] as string);
  for (const m of text.matchAll(/^import\s*['"]([^'"]+)['"]/gm)) found.push(m[1] as string);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1] as string);
  return found;
}

/** The entries of a README's `May import:` line: folders (src/x) and single files (src/x/y.ts). */
function mayImport(readme: string): string[] | null {
  const line = readme.split('\n').find((l) => l.startsWith('May import:'));
  if (line === undefined) return null;
  const list = line
    .slice('May import:'.length)
    .replace(/\([^)]*\)/g, '') // explanations in parentheses, for people
    .replaceAll('`', '')
    .replace(/\.\s*$/, '');
  if (list.trim() === 'nothing') return [];
  return list
    .split(/,|\band\b/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The src/ file a relative specifier names (`./x.js` is the source `./x.ts`). */
const target = (file: string, specifier: string) =>
  posix.normalize(posix.join(posix.dirname(repoPath(file)), specifier)).replace(/\.js$/, '.ts');

/** `src/engine` for src/engine/x/y.ts; null for a top-level file such as src/errors.ts. */
function folderOf(path: string): string | null {
  const parts = path.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : null;
}

const folders = readdirSync(SRC)
  .filter((name) => statSync(join(SRC, name)).isDirectory())
  .map((name) => `src/${name}`)
  .sort();

const rules = new Map(
  folders.map((folder) => {
    const readme = join(ROOT, folder, 'README.md');
    return [folder, existsSync(readme) ? mayImport(readFileSync(readme, 'utf8')) : null] as const;
  }),
);

const allowed = (from: string, to: string) => {
  const folder = folderOf(from);
  if (folder === null) return folderOf(to) === null && to.startsWith('src/');
  if (to.startsWith(`${folder}/`)) return true;
  return (rules.get(folder) ?? []).some((entry) => to === entry || to.startsWith(`${entry}/`));
};

describe('folder import rules (each src/<folder>/README.md says what the folder may import)', () => {
  it('reads static, type-only, multi-line, re-exported, side-effect and dynamic imports', () => {
    const text = [
      "import { a } from '../x/a.js';",
      "import type { B } from './b.js';",
      'import {',
      '  c,',
      '  d,',
      "} from '../c.js';",
      "export { e } from '../e.js';",
      "import '../side-effect.js';",
      "const f = await import('./f.js');",
      "const g = 'not an import from here';",
    ].join('\n');
    expect(importSpecifiers(text)).toEqual([
      '../x/a.js',
      './b.js',
      '../c.js',
      '../e.js',
      '../side-effect.js',
      './f.js',
    ]);
    expect(
      mayImport('x\nMay import: `src/model`, src/ingest/instant.ts (times) and src/errors.ts.\n'),
    ).toEqual(['src/model', 'src/ingest/instant.ts', 'src/errors.ts']);
    expect(mayImport('May import: nothing.')).toEqual([]);
  });

  it('every folder has a README with a `May import:` line naming folders and files that exist', () => {
    const problems: string[] = [];
    for (const [folder, entries] of rules) {
      if (entries === null) {
        problems.push(`${folder}/README.md has no line starting 'May import:'`);
        continue;
      }
      for (const entry of entries)
        if (!/^src\/[\w./-]+$/.test(entry) || !existsSync(join(ROOT, entry)))
          problems.push(
            `${folder}/README.md: 'May import:' names '${entry}', which is not a file or folder of src/`,
          );
    }
    expect(problems).toEqual([]);
  });

  it('no file imports outside its folder and its README’s list', () => {
    const violations: string[] = [];
    let checked = 0;
    for (const file of sourceFiles(SRC)) {
      const from = repoPath(file);
      for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
        if (!specifier.startsWith('.')) continue; // a package
        checked++;
        const to = target(file, specifier);
        if (!allowed(from, to)) {
          const folder = folderOf(from);
          const rule = folder
            ? `${folder}/README.md's 'May import:' line`
            : 'top-level files import only each other';
          violations.push(`${from} imports ${to} (${specifier}), outside ${rule}`);
        }
      }
    }
    // The regex must have found the imports at all: src has hundreds of relative ones.
    expect(checked).toBeGreaterThan(500);
    expect(violations).toEqual([]);
  });

  it('the lists form no cycle between folders', () => {
    // A folder entry is an edge to it; a single file brings in only the folders it imports.
    const reach = (entry: string): string[] => {
      if (folders.includes(entry)) return [entry];
      const own = folderOf(entry);
      return importSpecifiers(readFileSync(join(ROOT, entry), 'utf8'))
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => folderOf(target(join(ROOT, entry), specifier)))
        .filter((folder): folder is string => folder !== null && folder !== own);
    };
    const edges = new Map(
      [...rules].map(([folder, entries]) => [
        folder,
        [...new Set((entries ?? []).flatMap(reach))].filter((to) => to !== folder),
      ]),
    );
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (folder: string, trail: string[]) => {
      if (state.get(folder) === 'done') return;
      if (state.get(folder) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(folder)), folder].join(' -> '));
        return;
      }
      state.set(folder, 'open');
      for (const next of edges.get(folder) ?? []) visit(next, [...trail, folder]);
      state.set(folder, 'done');
    };
    for (const folder of folders) visit(folder, []);
    expect(cycles).toEqual([]);
  });
});
