import { createGunzip, createInflate } from 'node:zlib';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ActivationDb } from '../activate/activation-db.js';
import type { Scheduler } from '../activate/schedules.js';
import type { WebhookSender } from '../activate/webhooks.js';
import { StrataError } from '../errors.js';
import type { Quarantine } from '../ingest/quarantine.js';
import {
  Batch,
  InvalidMessage,
  type LoggedMessage,
  type MessageType,
  toLogged,
} from '../ingest/segment-messages.js';
import type { WriteAheadLog } from '../ingest/write-ahead-log.js';
import { redactSecrets } from '../redact.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerAnalysisRoutes } from './analysis-routes.js';
import { allows, type KeyRecord, type KeyRing, type Scope } from './api-keys.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import { openApiDocument } from './openapi.js';
import type { ProfileViews } from './profile-view.js';
import { registerQuarantineRoutes } from './quarantine-routes.js';
import { registerReadRoutes } from './read-routes.js';
import { registerTimelineRoutes } from './timeline-routes.js';

/**
 * The HTTP API (Fastify). Ingestion compatible with the Segment tracking spec, so the
 * Segment and RudderStack libraries work unchanged: POST /v1/identify, /v1/track,
 * /v1/group, /v1/page and /v1/batch, the write key as HTTP basic auth (the key as user
 * name, no password) or a bearer token. A request is answered 200 only once its messages
 * are in the write-ahead log on disk.
 */

export interface ServerOptions {
  readonly keys: KeyRing;
  readonly log: WriteAheadLog;
  readonly workspace: Workspace;
  readonly store: Store;
  /** Runs store work one piece at a time (the reads, and the log's applies). */
  readonly withStore: <T>(work: () => Promise<T>) => Promise<T>;
  readonly version: string;
  readonly activation: ActivationDb;
  readonly webhooks: WebhookSender;
  readonly scheduler: Scheduler;
  readonly profiles: ProfileViews;
  /** What /health reports besides the log (the applier's progress). */
  readonly health: () => Record<string, unknown>;
  /** Records of the log that could not be applied. */
  readonly quarantine: Quarantine;
  /** Applies what is logged; resolves once it is in the store. */
  readonly applyNow: () => Promise<unknown>;
  /** Told when messages are on disk, so the log is applied without waiting for the timer. */
  readonly onLogged?: () => void;
  /** Largest request body, bytes after decompression (default 4 MiB). */
  readonly bodyLimit?: number;
  /** Requests a minute per API key (default 60,000); requests without a valid key, 600 a minute per address. */
  readonly rateLimit?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    apiKey: KeyRecord | null;
  }
}

/** The key of a request: basic auth user name (Segment's libraries) or a bearer token. */
function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value.trim() || null;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return (colon >= 0 ? decoded.slice(0, colon) : decoded) || null;
  }
  return null;
}

/** Answers 401 or 403 unless the request carries a live key allowed `scope`. */
function requireScope(keys: KeyRing, scope: Scope) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const key = presentedKey(request);
    const record = key ? keys.find(key) : null;
    if (!record) {
      // Bearer, not Basic: a Basic challenge makes browsers prompt for a password (the dashboard).
      reply.header('www-authenticate', 'Bearer realm="strata"');
      return reply.code(401).send({
        error: 'unauthorized',
        message: key
          ? 'unknown or revoked API key'
          : 'an API key is required (HTTP basic auth or a bearer token)',
      });
    }
    if (!allows(record.scope, scope))
      return reply.code(403).send({
        error: 'forbidden',
        message: `key ${record.id} has scope ${record.scope}; this needs ${scope}`,
      });
    request.apiKey = record;
  };
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 4 * 2 ** 20,
    logger: false,
    // A trait or property named `__proto__` is data to keep (as CSV import keeps it), not an
    // attack to refuse: every object Strata builds from a body defines keys, never sets them.
    onProtoPoisoning: 'ignore',
  });
  app.decorateRequest('apiKey', null);
  // Per key when the request carries a live one, else per address (guessing keys is slow).
  await app.register(rateLimit, {
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const key = presentedKey(request);
      const record = key ? options.keys.find(key) : null;
      return record ? `key:${record.id}` : `ip:${request.ip}`;
    },
    max: (_request, bucket) => (bucket.startsWith('key:') ? (options.rateLimit ?? 60_000) : 600),
    errorResponseBuilder: (request, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `${request.method} ${request.url}: more than ${context.max} requests a minute; retry in ${context.after}`,
    }),
  });

  // Compressed bodies (the RudderStack library gzips): decompressed before parsing; the
  // body limit counts the decompressed bytes.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding'];
    if (encoding !== 'gzip' && encoding !== 'deflate') return payload;
    const inflated = payload.pipe(
      encoding === 'gzip' ? createGunzip() : createInflate(),
    ) as unknown as typeof payload & { receivedEncodedLength: number };
    // Fastify compares the bytes received, not the inflated ones, with content-length.
    inflated.receivedEncodedLength = 0;
    payload.on('data', (chunk: Buffer) => {
      inflated.receivedEncodedLength += chunk.length;
    });
    return inflated;
  });
  // Segment's API reads any body as JSON whatever its content type (libraries differ).
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(Object.assign(error as Error, { statusCode: 400 }), undefined);
    }
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const where = `${request.method} ${request.url}`;
    if (error instanceof InvalidMessage)
      return reply
        .code(400)
        .send({ error: 'invalid_message', message: `${where}: ${error.message}`, field: error.path });
    if (error.statusCode === 429)
      return reply.code(429).send({ error: 'rate_limited', message: error.message });
    if (error.statusCode === 413)
      return reply
        .code(413)
        .send({ error: 'too_large', message: `${where}: the body is larger than the limit` });
    if (error.statusCode && error.statusCode < 500)
      return reply
        .code(error.statusCode)
        .send({ error: error.code ?? 'bad_request', message: `${where}: ${error.message}` });
    if (error instanceof StrataError)
      return reply.code(500).send({ error: error.code, message: error.message });
    process.stderr.write(`strata serve: ${where}: ${redactSecrets(error.stack ?? error.message)}\n`);
    return reply
      .code(500)
      .send({ error: 'internal', message: 'the request failed; nothing of it was stored' });
  });

  const write = requireScope(options.keys, 'write');
  const accept = async (messages: LoggedMessage[], reply: FastifyReply) => {
    await options.log.append(messages);
    options.onLogged?.();
    return reply.send({ success: true });
  };
  for (const type of ['identify', 'track', 'group', 'page'] as const satisfies readonly MessageType[])
    app.post(`/v1/${type}`, { preHandler: write }, async (request, reply) =>
      accept([toLogged(request.body, type, new Date(), '')], reply),
    );
  app.post('/v1/batch', { preHandler: write }, async (request, reply) => {
    const parsed = Batch.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidMessage(
        ['batch', ...(issue?.path ?? []).map(String)].join('.'),
        issue?.message ?? 'invalid',
      );
    }
    const receivedAt = new Date();
    const messages = parsed.data.batch.map((message, index) =>
      toLogged(message, null, receivedAt, `batch[${index}]`, parsed.data.sentAt),
    );
    return accept(messages, reply);
  });

  registerReadRoutes(app, {
    workspace: options.workspace,
    store: options.store,
    withStore: options.withStore,
    profiles: options.profiles,
    guard: requireScope(options.keys, 'read'),
  });
  registerAnalysisRoutes(app, {
    workspace: options.workspace,
    store: options.store,
    withStore: options.withStore,
    guard: requireScope(options.keys, 'read'),
  });
  registerTimelineRoutes(app, {
    workspace: options.workspace,
    store: options.store,
    withStore: options.withStore,
    guard: requireScope(options.keys, 'read'),
  });
  registerAdminRoutes(app, {
    activation: options.activation,
    webhooks: options.webhooks,
    scheduler: options.scheduler,
    guard: requireScope(options.keys, 'admin'),
  });
  registerQuarantineRoutes(app, {
    quarantine: options.quarantine,
    log: options.log,
    applyNow: options.applyNow,
    guard: requireScope(options.keys, 'admin'),
  });
  registerDashboardRoutes(app);
  const document = openApiDocument(options.version);
  app.get('/openapi.json', async () => document);
  app.get('/health', async () => ({ ok: true, log: options.log.durable, ...options.health() }));
  return app;
}
