import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

/*
 * `npm run build`'s last step: the `strata` command (src/cli/main.ts) and the ML worker thread
 * bundled by esbuild into dist/bundle/, which bin/strata.js runs. Node spends much of a CLI
 * start-up finding, reading and compiling modules, and more on CommonJS packages imported from
 * ES modules (it scans each for its exports): the ~275 files of dist/ and ~600 of their packages
 * become a few dozen chunks, which takes about 0.3 s of CPU off every command (test/README.md).
 *
 * Code splitting keeps the lazy `await import(...)` of actions and engines lazy (a chunk each).
 * Kept as packages, loaded from node_modules as before:
 * - native code (DuckDB's bindings), which cannot be bundled;
 * - the packages a command loads only when it needs them (the ClickHouse and Postgres clients,
 *   cron-parser with luxon and ipaddr.js for schedules and webhooks), so that the tests which
 *   check a command does not load them (helpers/run-cli.ts `modulesLoaded`) still see them;
 * - the server (fastify, its plugins and logger), which resolves files of its own at run time.
 * Everything is flat in dist/bundle/ (two folders below the repository, as dist/<folder>/ was),
 * so `new URL('../../package.json', import.meta.url)`, the dashboard's root and the worker
 * (`./worker-thread.js` next to its caller) resolve as they did.
 */
const root = join(import.meta.dirname, '..');
const outdir = join(root, 'dist', 'bundle');

const built = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts', 'src/ml/worker-thread.ts'],
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  sourcemap: true,
  external: [
    '@duckdb/node-bindings*',
    '@clickhouse/*',
    'pg',
    'pg-copy-streams',
    'cron-parser',
    'luxon',
    'ipaddr.js',
    'fastify',
    '@fastify/*',
    'pino',
  ],
  // CommonJS packages inside an ES module bundle call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __strataCreateRequire } from 'node:module'; const require = __strataCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  write: false,
});

// Each test run's setup builds (test/setup/built-cli.ts), possibly while another run in the same
// checkout has commands running: only files whose bytes changed are written, each to a scratch
// name renamed into place, so an unchanged build touches nothing and no command reads half a file.
mkdirSync(outdir, { recursive: true });
const written = new Set<string>();
for (const file of built.outputFiles) {
  const name = basename(file.path);
  written.add(name);
  const target = join(outdir, name);
  if (existsSync(target) && Buffer.compare(readFileSync(target), file.contents) === 0) continue;
  const scratch = `${target}.${process.pid}.tmp`;
  writeFileSync(scratch, file.contents);
  renameSync(scratch, target);
}
for (const name of readdirSync(outdir)) if (!written.has(name)) rmSync(join(outdir, name), { force: true });
