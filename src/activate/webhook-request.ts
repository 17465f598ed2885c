import { type LookupAddress, type LookupAllOptions, lookup } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { literalAddress, nonPublicAddress } from '../workspace/webhook-targets.js';

/**
 * One POST of a delivery, on node's own HTTP client so that nothing is done behind our
 * back: no redirect is followed (a 3xx is the receiver's answer, reported as such), the
 * address connected to is the one checked (a name is resolved here, every address it
 * resolves to must be public unless the webhook allows private ones, and the socket
 * connects to one of those), at most ANSWER_CAP_BYTES of the answer are read, and one
 * time limit covers connecting, sending and the whole answer.
 *
 * Connections are kept alive per webhook (`keepAliveAgent`): a socket goes back to the
 * pool only after its answer was read to the end; one cut at the cap or the time limit is
 * closed. A pooled socket was connected through the same checked lookup, to the same
 * webhook's host, so reusing it reaches no other address.
 */

/** Bytes of an answer's body read at most; the rest is not waited for. */
export const ANSWER_CAP_BYTES = 64 * 1024;

export interface WebhookAnswer {
  /** The HTTP status. */
  readonly status: number;
  /** The Location header of a redirect, as sent. */
  readonly location: string | undefined;
  /** The start of the body (at most ANSWER_CAP_BYTES, cut where the time limit fell), as text. */
  readonly body: string;
}

/** Sockets per receiver at most: as many as deliveries in flight, so none waits for a socket. */
export const SOCKETS_PER_RECEIVER = 16;

/** A pool of kept-alive connections for one webhook's receiver (http or https as its URL says). */
export function keepAliveAgent(target: string): HttpAgent {
  const options = { keepAlive: true, maxSockets: SOCKETS_PER_RECEIVER, maxFreeSockets: SOCKETS_PER_RECEIVER };
  return new URL(target).protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
}

/** A lookup that fails unless every address the name resolves to is public. */
const publicLookup = ((hostname: string, options: LookupAllOptions, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    for (const { address } of addresses) {
      const kind = nonPublicAddress(address);
      if (kind !== null) return callback(refusal(`${hostname} resolves to ${address}, ${kind}`), '', 0);
    }
    const [first] = addresses;
    if (options.all) return callback(null, addresses as never);
    return callback(null, first?.address ?? '', first?.family ?? 4);
  });
}) as LookupFunction;

function refusal(why: string): Error {
  return new Error(`refused: ${why}; the webhook must say allowPrivate: true to deliver there`);
}

/** What one POST needs. */
export interface PostOptions {
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The time limit of the whole exchange, in ms. */
  readonly timeoutMs: number;
  readonly allowPrivate: boolean;
  /** A keep-alive pool (`keepAliveAgent`); without one, a connection of its own per POST. */
  readonly agent?: HttpAgent | undefined;
}

/**
 * POSTs `body` to `target`; resolves with the receiver's answer (whatever its status) or
 * rejects with an error whose message says why there was none (refused destination,
 * connection error, `no answer in N ms`).
 */
export async function postWebhook(target: string, options: PostOptions): Promise<WebhookAnswer> {
  const url = new URL(target);
  const address = literalAddress(url);
  const kind = address === null || options.allowPrivate ? null : nonPublicAddress(address);
  if (kind !== null) throw refusal(`${url.hostname} is ${kind}`);
  try {
    return await exchange(url, options);
  } catch (error) {
    // A kept-alive socket the receiver closed while it sat in the pool fails before any
    // answer; nothing was received, so the POST is made once more, on a new connection.
    if (!(error as { staleSocket?: boolean }).staleSocket) throw error;
    return exchange(url, { ...options, agent: undefined });
  }
}

function exchange(url: URL, options: PostOptions): Promise<WebhookAnswer> {
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (whole: boolean) => {
      clearTimeout(timer);
      // An answer read to its end leaves the socket to the pool; whatever is left of one
      // cut short is not wanted: the socket is closed, not drained.
      if (!whole || !options.agent) request.destroy();
      if (!response) return;
      resolve({
        status: response.statusCode ?? 0,
        location: response.headers.location,
        body: Buffer.concat(chunks).toString('utf8'),
      });
    };
    // Within the limit the status is the answer; a body still arriving then is cut there.
    const timer = setTimeout(() => {
      if (response) finish(false);
      else request.destroy(new Error(`no answer in ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
        agent: options.agent ?? false,
        ...(options.allowPrivate ? {} : { lookup: publicLookup }),
      },
      (answer) => {
        response = answer;
        answer.on('data', (chunk: Buffer) => {
          const room = ANSWER_CAP_BYTES - size;
          chunks.push(chunk.subarray(0, room));
          size += Math.min(room, chunk.length);
          if (size >= ANSWER_CAP_BYTES) finish(false);
        });
        answer.on('end', () => finish(true));
        // A connection cut mid-body still leaves the status the receiver gave.
        answer.on('error', () => finish(false));
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (response) return finish(false);
      if (request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE'))
        Object.assign(error, { staleSocket: true });
      reject(error);
    });
    request.end(options.body);
  });
}
