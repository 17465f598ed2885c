import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * What one client can hold of the server: how long it may take to send a request, and how
 * many connections may be open at once. With the key checked before a body is read
 * (key-guard.ts), a client without a key holds at most a connection, its headers (16 KiB,
 * Node's limit) and what sits in the socket's buffers, for at most the request timeout.
 */

export interface ConnectionLimits {
  /** Receiving one whole request, headers and body, in ms (default 30 s). */
  readonly requestTimeoutMs: number;
  /** Connections open at once; more are closed as they arrive (default 1,000). */
  readonly maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  // A 4 MiB body at 2 Mbit/s takes 17 s; Segment's libraries send at most 500 KB a request.
  requestTimeoutMs: 30_000,
  maxConnections: 1000,
};

/** Receiving the headers, in ms: a client that means to send a request sends them at once. */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * Fastify's options for these limits. Node checks the timeouts on a timer (30 s by default,
 * which would let a 1 s limit run to 31 s): here four times per headers timeout, at most once
 * a second. A request being answered is not cut: the timeouts end once it is received.
 */
export function timeoutOptions(limits: ConnectionLimits) {
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, limits.requestTimeoutMs);
  return {
    requestTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout,
      connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 4)),
    },
  };
}

/**
 * A body answered before it arrived (a 401 before the body, a 413, a 429) is thrown away as
 * it comes (Node's doing) for this long, then the connection is closed: a client still
 * sending gets to read the answer instead of a reset, and a slow one is cut well before the
 * request timeout.
 */
const LINGER_MS = 2000;

/** Caps the connections, and closes those whose body was answered before it arrived. */
export function limitConnections(app: FastifyInstance, limits: ConnectionLimits): void {
  app.server.maxConnections = limits.maxConnections;
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply) => {
    // Else Node closes at once on a client that asked for `Connection: close`, resetting it.
    if (!request.raw.complete) reply.header('connection', 'keep-alive');
  });
  app.addHook('onResponse', async (request: FastifyRequest) => {
    const { raw } = request;
    if (raw.complete) return;
    const cut = setTimeout(() => raw.socket.destroy(), LINGER_MS).unref();
    raw.once('end', () => clearTimeout(cut));
  });
}
