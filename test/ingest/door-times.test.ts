import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalInstant, formatInstant, parseInstant } from '../../src/model/instant.js';
import { MONTH_EDGES, MS, SEED, write, writtenArb } from '../activate/live-batch-worlds.js';

/**
 * The door keeps a sender's UTC time as its text padded to six digits instead of converting it
 * (src/model/instant.ts, `canonicalInstant`): the same text as the conversion, for every form
 * a time is written in (the test's own writer, live-batch-worlds.ts), at month edges and a
 * microsecond either side, and by hand for the forms senders use most.
 */
describe("a sender's time at the door", () => {
  it('is written as converting it would write it', () => {
    const instant = fc.oneof(
      fc.integer({
        min: Date.parse('1990-01-01T00:00:00Z') * MS,
        max: Date.parse('2100-01-01T00:00:00Z') * MS,
      }),
      fc.tuple(fc.constantFrom(...MONTH_EDGES), fc.constantFrom(-1, 0, 1)).map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(
        instant,
        writtenArb,
        fc.constantFrom('T' as const, ' ' as const),
        (micros, how, separator) => {
          const text = write(micros, how, separator);
          const parsed = parseInstant(text);
          expect(parsed).toBe(micros);
          expect(canonicalInstant(text, parsed as number)).toBe(formatInstant(micros));
        },
      ),
      { numRuns: 5000, seed: SEED },
    );
    const cases: [string, string][] = [
      ['2024-05-01T13:45:00.123Z', '2024-05-01T13:45:00.123000Z'],
      ['2024-05-01 13:45:00Z', '2024-05-01T13:45:00.000000Z'],
      ['2024-05-01T13:45:00.123456789Z', '2024-05-01T13:45:00.123456Z'],
      ['2024-05-01T13:45Z', '2024-05-01T13:45:00.000000Z'],
      ['2024-05-01T13:45:00+02:00', '2024-05-01T11:45:00.000000Z'],
    ];
    for (const [text, expected] of cases)
      expect(canonicalInstant(text, parseInstant(text) as number)).toBe(expected);
  });
});
