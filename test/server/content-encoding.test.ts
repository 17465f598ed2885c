import type { ChildProcess } from 'node:child_process';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Compressed bodies on a real `strata serve` (issue #18, item 8): `Content-Encoding: GZIP`
 * or `gzip, gzip` was read as plain JSON and refused as bad JSON, and a body that did not
 * decompress was answered with zlib's code. Codings are case-insensitive, undone last first
 * (RFC 9110: they are listed in the order applied), `identity` is none; what cannot be undone
 * is a 415, what does not decompress a 400 naming the request, and the body limit counts
 * decompressed bytes.
 */

const json = (event: string) => Buffer.from(JSON.stringify({ userId: 'u1', event }));

describe('strata serve reads compressed bodies', () => {
  let server: { child: ChildProcess; url: string };
  let auth: string;
  beforeAll(async () => {
    const dir = tempDir('strata-encoding-');
    expect(runCli(['init', '-w', dir, '--json']).code).toBe(0);
    auth = `Basic ${Buffer.from(`${createKey(dir, 'write').key}:`).toString('base64')}`;
    server = await serveProcess(dir);
  });
  afterAll(() => server.child.kill('SIGTERM'));

  const track = async (encoding: string, body: Buffer) => {
    const response = await fetch(`${server.url}/v1/track`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json', 'content-encoding': encoding },
      body,
    });
    return { status: response.status, body: (await response.json()) as { error?: string; message?: string } };
  };

  it('reads the body as JSON whatever its content type (text/plain, as analytics.js posts it)', async () => {
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', '']) {
      const response = await fetch(`${server.url}/v1/track`, {
        method: 'POST',
        headers: { authorization: auth, ...(type ? { 'content-type': type } : {}) },
        body: json('typed'),
      });
      expect({ type, status: response.status }).toEqual({ type, status: 200 });
    }
  });

  it('undoes codings in any case, stacked ones last first, identity as none', async () => {
    const accepted: [string, Buffer][] = [
      ['gzip', gzipSync(json('gzip'))],
      ['GZIP', gzipSync(json('upper'))],
      [' Gzip ', gzipSync(json('spaces'))],
      ['x-gzip', gzipSync(json('x-gzip'))],
      ['deflate', deflateSync(json('deflate'))],
      ['br', brotliCompressSync(json('br'))],
      ['identity', json('identity')],
      ['gzip, identity', gzipSync(json('gzip-identity'))],
      ['gzip, gzip', gzipSync(gzipSync(json('twice')))],
      // Deflated first, then gzipped: gzip is undone first.
      ['deflate, gzip', gzipSync(deflateSync(json('deflate-gzip')))],
      ['gzip,br', brotliCompressSync(gzipSync(json('gzip-br')))],
    ];
    for (const [encoding, body] of accepted)
      expect({ encoding, answer: await track(encoding, body) }).toEqual({
        encoding,
        answer: { status: 200, body: { success: true } },
      });
  });

  it('answers 415 for codings it cannot undo, and 400 naming the request for a body that does not decode', async () => {
    const refused: [string, Buffer, number, string, RegExp][] = [
      ['compress', json('x'), 415, 'unsupported_encoding', /'compress' is not supported/],
      ['gzip, zstd', json('x'), 415, 'unsupported_encoding', /'zstd' is not supported/],
      ['constructor', json('x'), 415, 'unsupported_encoding', /'constructor' is not supported/],
      ['gzip, gzip, gzip, gzip', json('x'), 415, 'unsupported_encoding', /more than 3 codings/],
      [
        'gzip',
        json('not gzipped'),
        400,
        'bad_encoding',
        /the body is not valid gzip: incorrect header check/,
      ],
      // The gzip layer is fine; the deflate layer it should hold is not there.
      ['deflate, gzip', gzipSync(json('only gzipped')), 400, 'bad_encoding', /not valid deflate/],
      ['br', Buffer.from('not brotli at all'), 400, 'bad_encoding', /not valid br/],
    ];
    for (const [encoding, body, status, error, message] of refused) {
      const answer = await track(encoding, body);
      expect({ encoding, status: answer.status, error: answer.body.error }).toEqual({
        encoding,
        status,
        error,
      });
      expect(answer.body.message).toMatch(/^POST \/v1\/track: /);
      expect(answer.body.message).toMatch(message);
    }
  });

  it('stops a decompression bomb at the 4 MiB limit, one layer or two, and goes on serving', async () => {
    const zeros = Buffer.alloc(20 * 2 ** 20); // 20 MiB of zeros: about 20 KB gzipped, 150 bytes twice
    for (const [encoding, body] of [
      ['gzip', gzipSync(zeros)],
      ['gzip, gzip', gzipSync(gzipSync(zeros))],
    ] as const) {
      expect(body.length).toBeLessThan(64 * 1024);
      const answer = await track(encoding, body);
      expect({ encoding, status: answer.status, error: answer.body.error }).toEqual({
        encoding,
        status: 413,
        error: 'too_large',
      });
    }
    expect((await track('gzip', gzipSync(json('after the bombs')))).status).toBe(200);
  });
});
