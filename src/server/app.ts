import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  type FastifyContextConfig,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { ActivationDb } from '../activate/activation-db.js';
import type { Scheduler } from '../activate/schedules.js';
import type { WebhookSender } from '../activate/webhooks.js';
import { openApiDocument } from '../contract/openapi.js';
import { ROUTES } from '../contract/routes.js';
import { Batch, MESSAGE_TYPES } from '../contract/segment-messages.js';
import { StrataError } from '../errors.js';
import type { Quarantine } from '../ingest/quarantine.js';
import { InvalidMessage, type LoggedMessage, toLogged } from '../ingest/segment-messages.js';
import type { WriteAheadLog } from '../ingest/write-ahead-log.js';
import { redactSecrets } from '../redact.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerAnalysisRoutes } from './analysis-routes.js';
import { refuseUnstorableText } from './answers.js';
import type { KeyRecord, KeyRing } from './api-keys.js';
import { type CliRelay, isCliRelayRequest, registerCliRelay } from './cli-relay.js';
import {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  limitConnections,
  timeoutOptions,
} from './connection-limits.js';
import { decodeBody } from './content-encoding.js';
import { type Answer, contractRoutes, type Serve } from './contract-routes.js';
import { inlineScriptHashes, registerDashboardRoutes } from './dashboard-routes.js';
import { registerDestinationRoutes } from './destination-routes.js';
import { registerIdentityRoutes } from './identity-routes.js';
import { liveKey, requireKeyForBody, requireScope } from './key-guard.js';
import type { ProfileViews } from './profile-view.js';
import { registerQuarantineRoutes } from './quarantine-routes.js';
import { registerReadRoutes } from './read-routes.js';
import { securityHeaders } from './security-headers.js';
import { registerSuggestionRoutes } from './suggestion-routes.js';
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
  readonly health: () => Omit<Answer<typeof ROUTES.health>, 'ok' | 'log'>;
  /** Records of the log that could not be applied. */
  readonly quarantine: Quarantine;
  /** Applies what is logged; resolves once it is in the store. */
  readonly applyNow: () => Promise<unknown>;
  /** Where destinations' credentials are read (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
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
  /** Told of each route registered (the contract's test compares them with the document). */
  readonly onRoute?: (route: { method: string; path: string }) => void;
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
  const { onRoute } = options;
  if (onRoute)
    app.addHook('onRoute', ({ method, url }) => {
      for (const one of [method].flat()) onRoute({ method: one, path: url });
    });
  app.decorateRequest('apiKey', null);
  await app.register(helmet, securityHeaders(inlineScriptHashes()));
  await limitRates(app, options);
  readBodies(app, options);
  app.setErrorHandler(errorAnswer);

  // Every route of the contract checks its key's scope first; reads then their parameters' text.
  const serve = contractRoutes(app, {
    write: [requireScope(options.keys, 'write')],
    read: [requireScope(options.keys, 'read'), refuseUnstorableText],
    admin: [requireScope(options.keys, 'admin')],
    public: [],
  });
  registerIngestion(serve, options);
  const context = { workspace: options.workspace, store: options.store, withStore: options.withStore };
  registerReadRoutes(serve, { ...context, profiles: options.profiles });
  registerAnalysisRoutes(serve, context);
  registerTimelineRoutes(serve, context);
  registerIdentityRoutes(serve, context);
  registerSuggestionRoutes(serve, context);
  registerAdminRoutes(serve, options);
  registerDestinationRoutes(serve, { ...context, env: options.env });
  registerQuarantineRoutes(serve, options);
  if (options.cliRelay) registerCliRelay(app, options.cliRelay);
  registerDashboardRoutes(app, PUBLIC_FILES);
  const document = openApiDocument(options.version);
  serve(ROUTES.openapi, { config: PUBLIC_FILES, handler: async () => document });
  serve(ROUTES.health, {
    config: HEALTH,
    handler: async () => ({ ok: true as const, log: options.log.durable, ...options.health() }),
  });
  return app;
}

/** Per key when the request carries a live one, else per address. */
async function limitRates(app: FastifyInstance, options: ServerOptions): Promise<void> {
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
}

/** The key before the body, compressed bodies, and any body read as JSON. */
function readBodies(app: FastifyInstance, options: ServerOptions): void {
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
}

/** Every error as the one error body: a code, a message naming the request, and the field at fault. */
function errorAnswer(
  error: Error & { statusCode?: number; code?: string },
  request: FastifyRequest,
  reply: FastifyReply,
) {
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
  return reply.code(500).send({ error: 'internal', message: 'the request failed; nothing of it was stored' });
}

/**
 * Segment-spec ingestion: each message is validated on its own (a 400 names it, `batch[3]`),
 * and the answer is 200 only once every message of the request is in the log on disk.
 */
function registerIngestion(serve: Serve, options: ServerOptions): void {
  const accept = async (messages: LoggedMessage[]) => {
    await options.log.append(messages);
    options.onLogged?.();
    return { success: true as const };
  };
  for (const type of MESSAGE_TYPES)
    serve(ROUTES[type], {
      rawBody: true,
      handler: async ({ request }) => accept([toLogged(request.body, type, new Date(), '')]),
    });
  serve(ROUTES.batch, {
    rawBody: true,
    handler: async ({ request }) => {
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
      return accept(messages);
    },
  });
}
