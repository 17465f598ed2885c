import { type LookupAddress, type LookupAllOptions, lookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { literalAddress, nonPublicAddress } from '../workspace/webhook-targets.js';

/**
 * One POST of a delivery, on node's own HTTP client so that nothing is done behind our
 * back: no redirect is followed (a 3xx is the receiver's answer, reported as such), the
 * address connected to is the one checked (a name is resolved here, every address it
 * resolves to must be public unless the webhook allows private ones, and the socket
 * connects to one of those), at most ANSWER_CAP_BYTES of the answer are read, and one
 * time limit covers connecting, sending and the whole answer.
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

/**
 * POSTs `body` to `target`; resolves with the receiver's answer (whatever its status) or
 * rejects with an error whose message says why there was none (refused destination,
 * connection error, `no answer in N ms`).
 */
export function postWebhook(
  target: string,
  options: {
    readonly headers: Record<string, string>;
    readonly body: string;
    /** The time limit of the whole exchange, in ms. */
    readonly timeoutMs: number;
    readonly allowPrivate: boolean;
  },
): Promise<WebhookAnswer> {
  const url = new URL(target);
  const address = literalAddress(url);
  const kind = address === null || options.allowPrivate ? null : nonPublicAddress(address);
  if (kind !== null) return Promise.reject(refusal(`${url.hostname} is ${kind}`));
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      clearTimeout(timer);
      // Whatever is left of the answer is not wanted: the socket is closed, not drained.
      request.destroy();
      if (!response) return;
      resolve({
        status: response.statusCode ?? 0,
        location: response.headers.location,
        body: Buffer.concat(chunks).toString('utf8'),
      });
    };
    // Within the limit the status is the answer; a body still arriving then is cut there.
    const timer = setTimeout(() => {
      if (response) finish();
      else request.destroy(new Error(`no answer in ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
        // A connection of its own per delivery: nothing pooled outlives the answer.
        agent: false,
        ...(options.allowPrivate ? {} : { lookup: publicLookup }),
      },
      (answer) => {
        response = answer;
        answer.on('data', (chunk: Buffer) => {
          const room = ANSWER_CAP_BYTES - size;
          chunks.push(chunk.subarray(0, room));
          size += Math.min(room, chunk.length);
          if (size >= ANSWER_CAP_BYTES) finish();
        });
        answer.on('end', finish);
        // A connection cut mid-body still leaves the status the receiver gave.
        answer.on('error', finish);
      },
    );
    request.on('error', (error) => {
      clearTimeout(timer);
      if (response) finish();
      else reject(error);
    });
    request.end(options.body);
  });
}
