import { describe, expect, it } from 'vitest';
import { hubspotFailure } from '../../src/activate/sync/hubspot.js';
import { DEFAULT_RETRY, retryAfterMs, waitBeforeRetry, withRetries } from '../../src/activate/sync/retry.js';

/*
 * Which wait a CRM sync takes before trying again (src/activate/sync/retry.ts), in
 * milliseconds rather than slept: crm-sync.test.ts drives the same 429s through the official
 * client against a fake HubSpot with `Retry-After: 0`, so its storm costs the one second of
 * HubSpot's SECONDLY policy and not a second per header as well.
 */
const rateLimited = { status: 429, message: 'rate limited' };

describe('the wait before a CRM call is tried again', () => {
  it('reads Retry-After as seconds or an HTTP date, never below zero', () => {
    expect(retryAfterMs('1')).toBe(1000);
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs(' ')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    const now = Date.parse('2024-04-01T00:00:00Z');
    expect(retryAfterMs('Mon, 01 Apr 2024 00:00:03 GMT', now)).toBe(3000);
    expect(retryAfterMs('Sun, 31 Mar 2024 23:59:00 GMT', now)).toBe(0);
  });

  it("takes Retry-After over the vendor's wait, the vendor's over doubling, and caps each wait", () => {
    // HubSpot's 429 with Retry-After: 1 and its SECONDLY policy (1 s) in the body.
    expect(waitBeforeRetry({ ...rateLimited, retryAfter: '1', vendorWaitMs: 1000 }, 1, DEFAULT_RETRY)).toBe(
      1000,
    );
    // Retry-After: 0 is a wait of none, not an absent header.
    expect(waitBeforeRetry({ ...rateLimited, retryAfter: '0', vendorWaitMs: 1000 }, 1, DEFAULT_RETRY)).toBe(
      0,
    );
    expect(waitBeforeRetry({ ...rateLimited, vendorWaitMs: 10_000 }, 3, DEFAULT_RETRY)).toBe(10_000);
    // Without either: 1 s, 2 s, 4 s ... from the first retry.
    expect([1, 2, 3].map((n) => waitBeforeRetry({ status: 503, message: '' }, n, DEFAULT_RETRY))).toEqual([
      1000, 2000, 4000,
    ]);
    expect(waitBeforeRetry({ ...rateLimited, retryAfter: '3600' }, 1, DEFAULT_RETRY)).toBe(60_000);
    // Out of tries, or an answer another try would not change: no wait, give up.
    expect(waitBeforeRetry(rateLimited, DEFAULT_RETRY.tries, DEFAULT_RETRY)).toBeUndefined();
    expect(waitBeforeRetry({ status: 400, message: '' }, 1, DEFAULT_RETRY)).toBeUndefined();
  });

  it("reads HubSpot's Retry-After header and rate-limit policy from what its client throws", () => {
    const thrown = (policyName: string, headers: Record<string, string>) =>
      Object.assign(new Error('HTTP-Code: 429'), {
        code: 429,
        headers,
        body: { status: 'error', message: 'You have reached your secondly limit.', policyName },
      });
    expect(hubspotFailure(thrown('SECONDLY', { 'retry-after': '1' }))).toMatchObject({
      status: 429,
      retryAfter: '1',
      vendorWaitMs: 1000,
    });
    expect(hubspotFailure(thrown('TEN_SECONDLY_ROLLING', {}))).toMatchObject({ vendorWaitMs: 10_000 });
  });

  it('tries again after the wait it chose, up to its tries', async () => {
    const waits: number[] = [];
    let calls = 0;
    const answer = await withRetries(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('busy');
        return 'written';
      },
      () => ({ ...rateLimited, retryAfter: '0' }),
      { tries: 3, maxWaitMs: 60_000, onWait: (_, wait) => waits.push(wait) },
    );
    expect([answer, calls, waits]).toEqual(['written', 3, [0, 0]]);
    await expect(
      withRetries(
        async () => {
          throw new Error('busy');
        },
        () => ({ ...rateLimited, retryAfter: '0' }),
        { tries: 2, maxWaitMs: 60_000 },
      ),
    ).rejects.toMatchObject({ tries: 2, message: 'rate limited' });
  });
});
