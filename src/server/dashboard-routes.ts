import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyContextConfig, FastifyInstance, FastifyReply } from 'fastify';

/**
 * The dashboard's files (web/): index.html at `/`, the compiled pages (dist/web/web/src: the
 * web build's root is the repository's, for the contract's types it imports) and the
 * stylesheet and the icon under `/app/` (the icon also at /favicon.ico), the formatting shared with the CLI (src/format) under `/src/format/`, and the ES module builds of its packages under `/vendor/`
 * (index.html's import map points there). No bundler: the browser loads modules as they are.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

/** A package's folder, found as Node finds it. */
function packageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return join(root, 'node_modules', name);
  }
}

const VENDOR: Record<string, [string, string]> = {
  'preact.mjs': ['preact', 'dist/preact.module.js'],
  'preact-hooks.mjs': ['preact', 'hooks/dist/hooks.module.js'],
  'htm.mjs': ['htm', 'dist/htm.module.js'],
  'htm-preact.mjs': ['htm', 'preact/index.module.js'],
  'echarts.mjs': ['echarts', 'dist/echarts.esm.min.js'],
};

/** Answers with a file's bytes, or says how to build it when it is missing. */
function sendFile(reply: FastifyReply, path: string, type: string) {
  if (!existsSync(path)) {
    const message = `${path} is missing: run npm run build (it compiles the dashboard)`;
    return reply.code(404).send({ error: 'not_built', message });
  }
  return reply.type(type).header('cache-control', 'no-cache').send(readFileSync(path));
}

const JS = 'text/javascript; charset=utf-8';
const INDEX = join(root, 'web', 'index.html');
/** Where tsconfig.web.json compiles web/src (its rootDir is the repository's, for the contract's types). */
const PAGES = join(root, 'dist', 'web', 'web', 'src');
/** src/format as the web build compiles it: the pages import it as `../../src/format/x.js`. */
const FORMAT = join(root, 'dist', 'web', 'src', 'format');

/** SHA-256 (base64) of each inline script of index.html, for the Content-Security-Policy. */
export function inlineScriptHashes(): string[] {
  if (!existsSync(INDEX)) return [];
  const html = readFileSync(INDEX, 'utf8');
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((match) =>
    createHash('sha256')
      .update(match[1] ?? '')
      .digest('base64'),
  );
}

/** `config` is each route's (its rate limit). */
export function registerDashboardRoutes(app: FastifyInstance, config: FastifyContextConfig): void {
  app.get('/', { config }, (_request, reply) => sendFile(reply, INDEX, 'text/html; charset=utf-8'));
  app.get('/app/style.css', { config }, (_request, reply) =>
    sendFile(reply, join(root, 'web', 'style.css'), 'text/css; charset=utf-8'),
  );
  // The icon, also at /favicon.ico where browsers ask for it unbidden (an SVG under that name:
  // browsers go by the type, and one drawing serves every size).
  const icon = (_request: unknown, reply: FastifyReply) =>
    sendFile(reply, join(root, 'web', 'favicon.svg'), 'image/svg+xml');
  app.get('/app/favicon.svg', { config }, icon);
  app.get('/favicon.ico', { config }, icon);
  app.get<{ Params: { file: string } }>('/app/:file', { config }, (request, reply) => {
    const { file } = request.params;
    if (!/^[a-z-]+\.js$/.test(file))
      return reply.code(404).send({ error: 'not_found', message: `no ${file}` });
    return sendFile(reply, join(PAGES, file), JS);
  });
  app.get<{ Params: { file: string } }>('/src/format/:file', { config }, (request, reply) => {
    const { file } = request.params;
    if (!/^[a-z-]+\.js$/.test(file))
      return reply.code(404).send({ error: 'not_found', message: `no ${file}` });
    return sendFile(reply, join(FORMAT, file), JS);
  });
  app.get<{ Params: { file: string } }>('/vendor/:file', { config }, (request, reply) => {
    const entry = VENDOR[request.params.file];
    if (!entry) return reply.code(404).send({ error: 'not_found', message: `no ${request.params.file}` });
    const [name, path] = entry;
    return sendFile(reply, join(packageDir(name), path), JS);
  });
}
