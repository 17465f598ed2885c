import { createHash, timingSafeEqual } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { redactSecrets } from '../redact.js';
import { invalidInput } from './answers.js';

/**
 * `POST /v1/cli`: a strata command sent by the CLI on this machine while the server holds the
 * workspace's DuckDB store (src/cli/relay-client.ts). It needs the token of the workspace's
 * `.strata/server.json` (mode 0600, so only the server's user can read it), compared in constant
 * time, and a peer on this machine (not a proxy's forward); both are checked before a byte of
 * the body is read. The
 * answer streams as lines of JSON: `{"out": text}`, `{"err": text}`, then `{"exit": code}`.
 * Not in the OpenAPI document: it is the CLI's, not a public API.
 */

export const CLI_RELAY_PATH = '/v1/cli';
export const CLI_TOKEN_HEADER = 'strata-cli-token';

/** What runs a command: the CLI's program on the held store (src/cli/relay-host.ts), in the store's turn. */
export interface CliRelay {
  readonly token: string;
  run(
    command: { argv: string[]; cwd: string },
    emit: (frame: { out: string } | { err: string }) => void,
  ): Promise<number>;
}

const Command = z.object({
  argv: z.array(z.string().max(65_536)).max(1000),
  // The CLI's folder, which the command's relative paths are resolved against.
  cwd: z.string().max(4096).refine(isAbsolute, 'expected an absolute path'),
});

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * A connection from this machine: loopback, or to one of its own addresses from that same
 * address; and not relayed by a proxy on this machine for a client elsewhere.
 */
function fromThisMachine(request: FastifyRequest): boolean {
  const { remoteAddress, localAddress } = request.socket;
  if (!remoteAddress) return false;
  if (request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined)
    return false;
  if (remoteAddress === localAddress) return true;
  try {
    return ipaddr.process(remoteAddress.replace(/%.*$/, '')).range() === 'loopback';
  } catch {
    return false;
  }
}

/** The token presented equals the server's (hashes, so the comparison is constant-time at any length). */
function tokenMatches(request: FastifyRequest, token: string): boolean {
  const presented = request.headers[CLI_TOKEN_HEADER];
  return typeof presented === 'string' && timingSafeEqual(digest(presented), digest(token));
}

/** True for a request to the relay route (the API-key body gate leaves it to the route's own). */
export function isCliRelayRequest(request: FastifyRequest): boolean {
  return request.routeOptions.url === CLI_RELAY_PATH;
}

export function registerCliRelay(app: FastifyInstance, relay: CliRelay): void {
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!fromThisMachine(request))
      return reply.code(403).send({
        error: 'forbidden',
        message: `${CLI_RELAY_PATH} answers strata commands on this machine only`,
      });
    if (!tokenMatches(request, relay.token))
      return reply.code(401).send({
        error: 'unauthorized',
        message: `${CLI_RELAY_PATH} needs the token of the workspace's .strata/server.json`,
      });
  };
  app.post(CLI_RELAY_PATH, { preParsing: guard, config: { rateLimit: false } }, async (request, reply) => {
    const body = Command.safeParse(request.body);
    if (!body.success) return invalidInput(reply, request, body.error, 'invalid_request');
    const answer = new PassThrough();
    const emit = (frame: object) => answer.write(`${JSON.stringify(frame)}\n`);
    // Sent at once: the CLI knows the command is taken before it waits for the store's turn.
    reply.header('content-type', 'application/x-ndjson').send(answer);
    emit({ accepted: true });
    relay.run(body.data, emit).then(
      (exit) => answer.end(`${JSON.stringify({ exit })}\n`),
      (error: Error) => {
        emit({ err: `error: ${redactSecrets(error.message)}\n` });
        answer.end(`${JSON.stringify({ exit: 2 })}\n`);
      },
    );
    return reply;
  });
}
