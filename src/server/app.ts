import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyContextConfig, type FastifyInstance, type FastifyReply } from 'fastify';
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
import type { KeyRecord, KeyRing } from './api-keys.js';
import { type CliRelay, isCliRelayRequest, registerCliRelay } from './cli-relay.js';
import {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  limitConnections,
  timeoutOptions,
} from './connection-limits.js';
import { decodeBody } from './content-encoding.js';
import { inlineScriptHashes, registerDashboardRoutes } from './dashboard-routes.js';
import { liveKey, requireKeyForBody, requireScope } from './key-guard.js';
import { openApiDocument } from './openapi.js';
import type { ProfileViews } from './profile-view.js';
import { registerQuarantineRoutes } from './quarantine-routes.js';
import { registerReadRoutes } from './read-routes.js';
import { securityHeaders } from './security-headers.js';
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
  /** Request timeout and connection cap (defaults in connection-limits.ts). */
  readonly limits?: Partial<ConnectionLimits>;
  /**
   * The proxies whose X-Forwarded-For names the client (the address rate limits count by):
   * true for any, or addresses and CIDR ranges; by default none.
   */
  readonly trustProxy?: true | readonly string[];
  /** Runs the CLI's commands on this server's store (`POST /v1/cli`; DuckDB workspaces). */
  readonly cliRelay?: CliRelay;
}

/** Requests a minute from one address without a valid key (guessing keys is slow). */
const KEYLESS_PER_MINUTE = 600;
/**
 * The dashboard's files and /openapi.json need no key: a bucket of their own per address
 * and route, so requests with bad keys cannot lock the dashboard; /health has no limit, so
 * no client can make a monitor see the server as down.
 */
const PUBLIC_FILES: FastifyContextConfig = {
  rateLimit: { max: 6000, keyGenerator: (request) => `ip:${request.ip}` },
};
const HEALTH: FastifyContextConfig = { rateLimit: false };

declare module 'fastify' {
  interface FastifyRequest {
    apiKey: KeyRecord | null;
  }
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 4 * 2 ** 20,
    logger: false,
    // A trait or property named `__proto__` is data to keep (as CSV import keeps it), not an
    // attack to refuse: every object Strata builds from a body defines keys, never sets them.
    onProtoPoisoning: 'ignore',
    trustProxy: options.trustProxy === true ? true : options.trustProxy ? [...options.trustProxy] : false,
    ...timeoutOptions(limits),
  });
  limitConnections(app, limits);
  app.decorateRequest('apiKey', null);
  await app.register(helmet, securityHeaders(inlineScriptHashes()));
  // Per key when the request carries a live one, else per address.
  await app.register(rateLimit, {
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const record = liveKey(options.keys, request);
      return record ? `key:${record.id}` : `ip:${request.ip}`;
    },
    max: (_request, bucket) =>
      bucket.startsWith('key:') ? (options.rateLimit ?? 60_000) : KEYLESS_PER_MINUTE,
    errorResponseBuilder: (request, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `${request.method} ${request.url}: more than ${context.max} requests a minute; retry in ${context.after}`,
    }),
  });

  // The key before the body: without one, not a byte of the body is read (key-guard.ts). The
  // CLI's relay takes its marker's token instead, checked by its own route before the body.
  const keyForBody = requireKeyForBody(options.keys);
  app.addHook('preParsing', async (request, reply) =>
    options.cliRelay && isCliRelayRequest(request) ? undefined : keyForBody(request, reply),
  );
  app.addHook('preParsing', decodeBody);
  // Segment's API reads any body as JSON whatever its content type (libraries differ; the
  // browser's analytics.js posts text/plain to avoid a CORS preflight), so Fastify's own
  // text/plain parser, which would hand the route a string, is replaced by this one.
  app.removeContentTypeParser('text/plain');
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
  if (options.cliRelay) registerCliRelay(app, options.cliRelay);
  registerDashboardRoutes(app, PUBLIC_FILES);
  const document = openApiDocument(options.version);
  app.get('/openapi.json', { config: PUBLIC_FILES }, async () => document);
  app.get('/health', { config: HEALTH }, async () => ({
    ok: true,
    log: options.log.durable,
    ...options.health(),
  }));
  return app;
}
