import { PassThrough, type Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { carriesBody } from './key-guard.js';

/**
 * Compressed request bodies (the RudderStack library gzips). `Content-Encoding` lists the
 * codings in the order they were applied (RFC 9110 8.4), case-insensitively, `identity`
 * meaning none: they are undone last first. The body limit counts the decompressed bytes
 * (Fastify counts what this stream gives it), so a small bomb stops at the limit.
 */

const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** More layers than anyone sends on purpose; each is a decompressor in memory. */
const MAX_LAYERS = 3;

/** An error Fastify answers with `statusCode` and our error handler names the request in. */
function clientError(statusCode: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { statusCode, code });
}

/** The codings to undo, in the order they were applied (identity dropped). */
function codings(header: string): string[] {
  return header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

/** A preParsing hook: the body decompressed, or a 415 for codings it cannot undo. */
export async function decodeBody(request: FastifyRequest, reply: FastifyReply, payload: Readable) {
  const header = request.headers['content-encoding'];
  if (header === undefined || !carriesBody(request)) return payload;
  const applied = codings(header);
  if (applied.length === 0) return payload;
  // Own keys only: `constructor` is no coding.
  const unknown = applied.find((coding) => !Object.hasOwn(DECODERS, coding));
  if (unknown !== undefined || applied.length > MAX_LAYERS)
    throw clientError(
      415,
      'unsupported_encoding',
      unknown === undefined
        ? `Content-Encoding '${header}': more than ${MAX_LAYERS} codings`
        : `Content-Encoding '${header}': '${unknown}' is not supported (gzip, deflate, br or identity)`,
    );
  // Errors of any stage come out of the last stream, as Fastify listens there; the request
  // itself is left alone (destroying it would close the socket before the 400 is sent).
  const body = new PassThrough() as PassThrough & { receivedEncodedLength: number };
  // Fastify compares the bytes received, not the decoded ones, with content-length.
  body.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    body.receivedEncodedLength += chunk.length;
  });
  const stages = applied.reverse().map((coding) => {
    const stage = (DECODERS[coding] as () => Transform)();
    stage.on('error', (error: Error) =>
      body.destroy(clientError(400, 'bad_encoding', `the body is not valid ${coding}: ${error.message}`)),
    );
    return stage;
  });
  let stream: Readable = payload;
  for (const stage of stages) stream = stream.pipe(stage);
  stream.pipe(body);
  // Once answered (or the client gone), a body refused half way frees its decompressors.
  reply.raw.once('close', () => {
    for (const stage of stages) stage.destroy();
  });
  return body;
}
