import { describe, expect, it } from 'vitest';
import { heapShortfall } from '../../src/activate/incremental/incremental-segments.js';

/*
 * Whether strata serve holds the triggers' state in memory or leaves the segments to SQL:
 * 4 KiB an account (the state, the profile view's copy, rows in passage) against four fifths
 * of the heap left. Figures worked by hand in MiB.
 */

const MiB = 2 ** 20;

describe('the in-memory trigger state against the heap left', () => {
  it('is held at 100,000 accounts under the default 4 GiB limit (391 MiB against 3,200 MiB)', () => {
    expect(heapShortfall(100_000, { limit: 4096 * MiB, used: 96 * MiB })).toBeNull();
  });

  it('is left to SQL at a million accounts under 4 GiB, naming the limit that would hold it', () => {
    // Need: 1,000,000 x 4 KiB = 3,906.25 MiB > 0.8 x (4,096 - 96) = 3,200 MiB. With it held and
    // a fifth free: (96 + 3,906.25 / 0.8) = 4,978.8 MiB, so 5 GiB.
    expect(heapShortfall(1_000_000, { limit: 4096 * MiB, used: 96 * MiB })).toBe(
      "holding 1000000 accounts' state in memory needs about 3907 MiB of JavaScript heap, and 4000 MiB of the 4096 MiB limit is left; start the server with NODE_OPTIONS=--max-old-space-size=5120 to evaluate them in memory",
    );
    // The same world under 8 GiB: 3,906.25 against 0.8 x 8,096 = 6,476.8 MiB.
    expect(heapShortfall(1_000_000, { limit: 8192 * MiB, used: 96 * MiB })).toBeNull();
  });
});
