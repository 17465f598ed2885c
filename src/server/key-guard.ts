import type { FastifyReply, FastifyRequest } from 'fastify';
import { allows, type KeyRecord, type KeyRing, MAX_KEY_BYTES, type Scope } from './api-keys.js';

/**
 * Which key a request carries, and the answers when it carries none or the wrong one. The
 * key is read from the headers only, so it can be checked before a byte of the body is read.
 */

/** What the headers present: a key, none, or one too long to be ours (refused unhashed). */
type Presented = { key: string } | 'none' | 'too_long';

/** The key of a request: basic auth user name (Segment's libraries) or a bearer token. */
function presentedKey(request: FastifyRequest): Presented {
  const header = request.headers.authorization;
  if (!header) return 'none';
  const [scheme, value = ''] = header.split(' ', 2);
  let key = '';
  if (scheme?.toLowerCase() === 'bearer') key = value.trim();
  else if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    key = colon >= 0 ? decoded.slice(0, colon) : decoded;
  }
  if (!key) return 'none';
  return Buffer.byteLength(key) > MAX_KEY_BYTES ? 'too_long' : { key };
}

/** Each request's lookup, done once: the rate limit, the body gate and the scope check all ask. */
const lookups = new WeakMap<FastifyRequest, { presented: Presented; record: KeyRecord | null }>();

function lookUp(keys: KeyRing, request: FastifyRequest) {
  let found = lookups.get(request);
  if (!found) {
    const presented = presentedKey(request);
    found = { presented, record: typeof presented === 'object' ? keys.find(presented.key) : null };
    lookups.set(request, found);
  }
  return found;
}

/** The live key a request carries, or null. */
export function liveKey(keys: KeyRing, request: FastifyRequest): KeyRecord | null {
  return lookUp(keys, request).record;
}

function unauthorized(keys: KeyRing, request: FastifyRequest, reply: FastifyReply) {
  const { presented } = lookUp(keys, request);
  // Bearer, not Basic: a Basic challenge makes browsers prompt for a password (the dashboard).
  reply.header('www-authenticate', 'Bearer realm="strata"');
  return reply.code(401).send({
    error: 'unauthorized',
    message:
      presented === 'none'
        ? 'an API key is required (HTTP basic auth or a bearer token)'
        : presented === 'too_long'
          ? `the API key is longer than ${MAX_KEY_BYTES} bytes; Strata's keys are about 60`
          : 'unknown or revoked API key',
  });
}

/** Answers 401 or 403 unless the request carries a live key allowed `scope`. */
export function requireScope(keys: KeyRing, scope: Scope) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const record = liveKey(keys, request);
    if (!record) return unauthorized(keys, request, reply);
    if (!allows(record.scope, scope))
      return reply.code(403).send({
        error: 'forbidden',
        message: `key ${record.id} has scope ${record.scope}; this needs ${scope}`,
      });
    request.apiKey = record;
  };
}

/**
 * A preParsing hook: a request with a body and no live key is answered 401 before its body
 * is read, whatever the route (a 404 would read it too). Every route that takes a body needs
 * a key; without this, anyone could make the server hold a body up to the limit per connection.
 */
export function requireKeyForBody(keys: KeyRing) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!carriesBody(request) || liveKey(keys, request)) return;
    return unauthorized(keys, request, reply);
  };
}

/** Whether the request has a body to read (GET and HEAD bodies are never read). */
export function carriesBody(request: FastifyRequest): boolean {
  if (request.method === 'GET' || request.method === 'HEAD') return false;
  const { headers } = request.raw;
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}
