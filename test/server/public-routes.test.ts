import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * What needs no key, on a real `strata serve` (issue #18, items 6 and 9b): 700 requests with
 * a bad key made /health answer 429, and behind a proxy every client shared one bucket. Now
 * /health has no limit, the dashboard's files and /openapi.json a bucket of their own,
 * --trust-proxy counts each client the proxy names apart, and every answer carries
 * security headers the dashboard still works under.
 */

/** Sends `count` requests, 25 at a time; returns how many got each status. */
async function statusCounts(
  count: number,
  request: () => Promise<Response>,
): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (let sent = 0; sent < count; sent += 25) {
    const responses = await Promise.all(Array.from({ length: Math.min(25, count - sent) }, request));
    for (const response of responses) {
      await response.arrayBuffer();
      counts[response.status] = (counts[response.status] ?? 0) + 1;
    }
  }
  return counts;
}

const badKey = (forwardedFor?: string) =>
  forwardedFor === undefined
    ? { authorization: 'Bearer strata_read_guessed' }
    : { authorization: 'Bearer strata_read_guessed', 'x-forwarded-for': forwardedFor };

describe('strata serve answers what needs no key, whoever is rate limited', () => {
  let dir: string;
  // A server with the default options, for the first and last tests.
  let plain: { child: ChildProcess; url: string };
  beforeAll(async () => {
    dir = tempDir('strata-public-');
    expect(runCli(['init', '-w', dir, '--json']).code).toBe(0);
    plain = await serveProcess(dir);
  });
  afterAll(() => plain.child.kill('SIGTERM'));

  it('keeps /health, the dashboard and /openapi.json answering once an address is limited for bad keys', async () => {
    const { url } = plain;
    // 600 requests a minute without a valid key, per address: the 601st on are refused.
    expect(await statusCounts(650, () => fetch(`${url}/v1/segments`, { headers: badKey() }))).toEqual({
      401: 600,
      429: 50,
    });
    // Without --trust-proxy, X-Forwarded-For is not believed: the same address, the same bucket.
    expect((await fetch(`${url}/v1/segments`, { headers: badKey('203.0.113.9') })).status).toBe(429);
    for (const path of ['/health', '/openapi.json', '/', '/app/style.css', '/vendor/preact.mjs'])
      expect({ path, status: (await fetch(`${url}${path}`)).status }).toEqual({ path, status: 200 });
    // The files' own bucket is 6,000 a minute per address; /health has none.
    expect((await fetch(`${url}/`)).headers.get('x-ratelimit-limit')).toBe('6000');
    expect((await fetch(`${url}/health`)).headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('with --trust-proxy, counts each client the proxy names apart, and a client cannot name itself', async () => {
    // A workspace of its own: the first server holds the other's store.
    const proxied = tempDir('strata-proxied-');
    expect(runCli(['init', '-w', proxied, '--json']).code).toBe(0);
    const { child, url } = await serveProcess(proxied, { args: ['--trust-proxy', '127.0.0.1'] });
    try {
      const limited = () => fetch(`${url}/v1/segments`, { headers: badKey('203.0.113.7') });
      expect(await statusCounts(650, limited)).toEqual({ 401: 600, 429: 50 });
      // Another client behind the proxy, and the proxy itself, have buckets of their own.
      expect((await fetch(`${url}/v1/segments`, { headers: badKey('203.0.113.8') })).status).toBe(401);
      expect((await fetch(`${url}/v1/segments`, { headers: badKey() })).status).toBe(401);
      // The proxy appends the address it saw: whatever the client wrote before it is not believed.
      expect(
        (await fetch(`${url}/v1/segments`, { headers: badKey('203.0.113.8, 203.0.113.7') })).status,
      ).toBe(429);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses a hop count or a bad address for --trust-proxy, and bad limits, before starting', () => {
    const refused: [string[], RegExp][] = [
      [['--trust-proxy', '1'], /--trust-proxy 1: a hop count cannot tell the proxy from a client/],
      [['--trust-proxy', '10.0.0.300'], /--trust-proxy 10\.0\.0\.300: invalid IP address/],
      [['--max-connections', '0'], /--max-connections 0: expected a whole number/],
      [['--request-timeout', '30'], /--request-timeout 30: expected a duration/],
      [['--pass-every', '-5'], /--pass-every -5: expected whole milliseconds from 0 to 10000/],
    ];
    // A workspace no server holds (a second `serve` of a served one is refused as such).
    const idle = tempDir('strata-public-idle-');
    expect(runCli(['init', '-w', idle, '--json']).code).toBe(0);
    for (const [options, message] of refused) {
      const run = runCli(['serve', '-w', idle, '--port', '0', ...options]);
      expect({ options, code: run.code, stderr: run.stderr }).toEqual({
        options,
        code: 1,
        stderr: expect.stringMatching(message),
      });
    }
  });

  it('sends a Content-Security-Policy that allows the dashboard and no framing, and nosniff', async () => {
    const { url } = plain;
    // The import map is index.html's one inline script: allowed by its hash, worked out here.
    const html = readFileSync(join(import.meta.dirname, '..', '..', 'web', 'index.html'), 'utf8');
    const open = html.indexOf('<script type="importmap">') + '<script type="importmap">'.length;
    const importMap = html.slice(open, html.indexOf('</script>', open));
    const hash = createHash('sha256').update(importMap).digest('base64');
    const page = await fetch(`${url}/`);
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy.split(';')).toEqual(
      expect.arrayContaining([
        "default-src 'self'",
        `script-src 'self' 'sha256-${hash}'`,
        "frame-ancestors 'none'",
        "object-src 'none'",
      ]),
    );
    expect(policy).not.toMatch(/upgrade-insecure-requests|unsafe-eval/);
    for (const path of ['/', '/app/main.js', '/v1/segments']) {
      const response = await fetch(`${url}${path}`);
      expect({
        path,
        frame: response.headers.get('x-frame-options'),
        sniff: response.headers.get('x-content-type-options'),
      }).toEqual({ path, frame: 'DENY', sniff: 'nosniff' });
    }
  });
});
