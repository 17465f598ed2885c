import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RankTables } from '../../src/activate/incremental/rank-tables.js';

/*
 * Percentile ranks held in memory (src/activate/incremental/rank-tables.ts) against SQL's
 * percent_rank worked out by hand, and against a direct count over every account's value
 * after any sequence of refreshes and touched accounts.
 */

/** percent_rank of `account` among the non-NULL values, written directly from its definition. */
function percentRank(values: ReadonlyMap<string, number | null>, account: string): number | null {
  const own = values.get(account);
  if (own === null || own === undefined) return null;
  const present = [...values.values()].filter((v): v is number => v !== null);
  const below = present.filter((v) => v < own).length;
  return present.length === 1 ? 0 : 100 * (below / (present.length - 1));
}

const held = (values: Record<string, number | null>) =>
  new Map(Object.entries(values).map(([account, value]) => [account, new Map([['m', value]])]));

describe('ranks held in memory', () => {
  it('rank as percent_rank does: ties share the lowest rank, NULLs are unranked, one value ranks 0', () => {
    const ranks = new RankTables(new Set(['m']));
    ranks.replaceAll(held({ a: 1, b: 2, c: 2, d: 3, e: null }), 0);
    // Four values [1, 2, 2, 3]: 0, 1/3, 1/3 and 1 of the way up.
    expect(ranks.percentile('m', 'a', 1)).toBe(0);
    expect(ranks.percentile('m', 'b', 2)).toBeCloseTo(100 / 3, 12);
    expect(ranks.percentile('m', 'c', 2)).toBeCloseTo(100 / 3, 12);
    expect(ranks.percentile('m', 'd', 3)).toBe(100);
    expect(ranks.percentile('m', 'e', null)).toBeNull();
    // a touched account is ranked with its own value replaced, and the held values keep it:
    // a rises to 5 ([2, 2, 3, 5]), so b and c are now the lowest.
    expect(ranks.percentile('m', 'a', 5)).toBe(100);
    expect(ranks.percentile('m', 'b', 2)).toBe(0);
    // e gets a value (five values), d loses its own (four again).
    expect(ranks.percentile('m', 'e', 4)).toBe(75);
    expect(ranks.percentile('m', 'd', null)).toBeNull();
    expect(ranks.percentile('m', 'e', 4)).toBeCloseTo(200 / 3, 12);
    // Before any refresh: ranked among the accounts seen so far, and marked for the next sweep.
    const fresh = new RankTables(new Set(['m']));
    expect(fresh.percentile('m', 'a', 1)).toBe(0);
    expect(fresh.percentile('m', 'b', 3)).toBe(100);
    expect(fresh.stale).toBe(true);
    const alone = new RankTables(new Set(['m']));
    alone.replaceAll(held({ only: 7 }), 0);
    expect(alone.percentile('m', 'only', 7)).toBe(0);
    expect(alone.percentile('m', 'new', 1)).toBe(0); // [1, 7]: the lower of two
  });

  it('equal a direct count over every value after any refreshes and touched accounts', () => {
    const account = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const value = fc.option(fc.integer({ min: -3, max: 3 }), { nil: null });
    const step = fc.oneof(
      fc.record({ refresh: fc.dictionary(account, value) }),
      fc.record({ touch: account, value }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const ranks = new RankTables(new Set(['m']));
        let values = new Map<string, number | null>();
        ranks.replaceAll(new Map(), 0);
        for (const s of steps) {
          if ('refresh' in s) {
            values = new Map(Object.entries(s.refresh));
            ranks.replaceAll(held(s.refresh), 0);
          } else {
            values.set(s.touch, s.value);
            expect(ranks.percentile('m', s.touch, s.value)).toBe(percentRank(values, s.touch));
          }
        }
      }),
      { seed: 25, numRuns: 300 },
    );
  });
});
