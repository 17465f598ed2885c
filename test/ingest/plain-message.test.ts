import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Message } from '../../src/contract/segment-messages.js';
import { plainMessage } from '../../src/ingest/plain-message.js';

/**
 * The hand-written check of a message against the contract's zod schema, on random messages
 * built from the values at each rule's edges: it accepts exactly what the schema accepts, and
 * gives the same value for every field Strata reads (the schema's answer is the reference).
 */

const FIELDS = [
  'type',
  'messageId',
  'userId',
  'anonymousId',
  'timestamp',
  'sentAt',
  'context',
  'event',
  'properties',
  'traits',
  'groupId',
  'name',
  'category',
] as const;

const text = fc.oneof(
  fc.constantFrom(
    '',
    'a',
    'x'.repeat(1024),
    'x'.repeat(1025),
    '🚀'.repeat(1024),
    '🚀'.repeat(1025),
    `${'🚀'.repeat(1023)}\ud800\ud800`,
  ),
  fc.string({ maxLength: 6 }),
);
const any = fc.oneof(
  fc.constantFrom(undefined, null, true, 0, -0, 1.5, -7, 2 ** 60, [], {}, ['a'], { a: 1 }),
  text,
  fc.double(),
);
const time = fc.oneof(
  fc.constantFrom(
    '2024-05-01T13:45:00.123456+02:00',
    '2024-02-30T00:00:00Z',
    '2024-05-01',
    'soon',
    '20240501T1345Z',
  ),
  any,
);
/** Mostly a value the rule takes (so that whole messages pass), sometimes anything. */
const mostly = (valid: fc.Arbitrary<unknown>, other: fc.Arbitrary<unknown> = any) =>
  fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: other, weight: 1 });
const short = fc.string({ minLength: 1, maxLength: 6 });
const id = fc.oneof(short, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
const fieldValues: Record<(typeof FIELDS)[number], fc.Arbitrary<unknown>> = {
  type: mostly(
    fc.constantFrom('identify', 'track', 'group', 'page'),
    fc.oneof(fc.constantFrom('screen', 'Track'), any),
  ),
  messageId: mostly(short, text),
  userId: mostly(id, text),
  anonymousId: mostly(fc.constantFrom(null, undefined), fc.oneof(id, text, any)),
  timestamp: mostly(fc.constant('2024-05-01T13:45:00.123456+02:00'), time),
  sentAt: mostly(fc.constant('2024-05-01T11:45:01Z'), time),
  context: mostly(
    fc.record({ groupId: id, other: any }, { requiredKeys: [] }),
    fc.oneof(any, fc.record({ groupId: fc.oneof(text, any) }, { requiredKeys: [] })),
  ),
  event: mostly(short, text),
  properties: mostly(fc.constantFrom({}, { plan: 'pro', n: [1] }), any),
  traits: mostly(fc.constantFrom({}, { ['__proto__']: { a: 1 } }), any),
  groupId: mostly(id, text),
  name: mostly(fc.constantFrom(null, 'Home', ''), text),
  category: mostly(fc.constantFrom(null, 'Docs'), text),
};
const message = fc.record(fieldValues, { requiredKeys: [] });

/** The fields Strata reads (of the context, its groupId only: other keys pass through unread). */
const picked = (value: Record<string, unknown>) =>
  Object.fromEntries(
    FIELDS.map((f) => [
      f,
      f === 'context' && value.context
        ? { groupId: (value.context as { groupId?: unknown }).groupId }
        : value[f],
    ]),
  );

describe('the hand-written message check', () => {
  it('accepts what the schema accepts, with the same fields, and nothing else', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(message, any), (raw) => {
        const schema = Message.safeParse(raw);
        const plain = plainMessage(raw);
        expect(plain !== null).toBe(schema.success);
        if (plain && schema.success) {
          accepted++;
          expect(picked(plain)).toEqual(picked(schema.data));
        }
      }),
      {
        numRuns: 20_000,
        seed: process.env.STRATA_FC_SEED === 'random' ? Date.now() : Number(process.env.STRATA_FC_SEED ?? 25),
      },
    );
    // The property says something: a good share of the messages are valid.
    expect(accepted).toBeGreaterThan(2000);
  });
});
