import { once } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess, waitForApplied } from '../helpers/serve-process.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Ingestion bodies from a fuzzer (issue #18): random Segment messages built from hostile
 * strings (NUL, lone surrogates, prototype names, SQL, very long text), hostile shapes
 * (numbers, arrays and objects where text goes, nesting past the limit) and bodies that are
 * not JSON, against one real `strata serve`. Every answer must be 200 or a 4xx naming the
 * request, never a 5xx; and what the door acknowledged the store must take: afterwards the
 * log is applied to its end, nothing is quarantined, and a valid message still gets through.
 *
 * A fixed seed, so a failure is the same on every machine; STRATA_FUZZ_RUNS=5000 (and
 * STRATA_FUZZ_SEED=N) for a longer hunt locally.
 */
const RUNS = Number(process.env.STRATA_FUZZ_RUNS ?? 300);
const SEED = Number(process.env.STRATA_FUZZ_SEED ?? 18);

const hostileText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  // Any UTF-16 code unit, lone surrogates included.
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 8 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfff',
    '😀'.slice(0, 1),
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    '',
    ' ',
    "'; DROP TABLE events; --",
    "' OR '1'='1",
    '\\u0000',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection attempt, sent as text
    '${process.exit()}',
    "=cmd|' /C calc'!A0",
    'x'.repeat(1100),
  ),
);
const scalar = fc.oneof(hostileText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
/** A JSON value of hostile keys and scalars, up to `depth` levels. */
const value = (depth: number): fc.Arbitrary<unknown> =>
  depth <= 0
    ? scalar
    : fc.oneof(
        { depthSize: 'small' },
        scalar,
        fc.array(
          fc.constant(null).chain(() => value(depth - 1)),
          { maxLength: 3 },
        ),
        fc.dictionary(
          hostileText,
          fc.constant(null).chain(() => value(depth - 1)),
          { maxKeys: 4 },
        ),
      );
/** An object nested `levels` deep: on both sides of the 32-level limit. */
const deep = fc.integer({ min: 25, max: 40 }).map((levels) => {
  let object: unknown = 1;
  for (let i = 0; i < levels; i += 1) object = { d: object };
  return object;
});
const timestamp = fc.oneof(
  fc
    .date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '2026-02-30',
    '0000-01-01T00:00:00Z',
    '99999-01-01',
    '2026-11-02T09:00:00.1234567+05:30',
    'yesterday',
    '1',
  ),
  hostileText,
);
const idLike = fc.oneof(
  hostileText,
  fc.integer(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
);
const message = fc.record(
  {
    type: fc.oneof(fc.constantFrom('identify', 'track', 'group', 'page'), hostileText),
    messageId: idLike,
    userId: idLike,
    anonymousId: idLike,
    groupId: idLike,
    event: fc.oneof(hostileText, fc.integer()),
    timestamp,
    sentAt: timestamp,
    properties: fc.oneof(value(3), deep),
    traits: fc.oneof(value(3), deep, fc.record({ name: hostileText, plan: hostileText, employees: scalar })),
    context: fc.oneof(fc.record({ groupId: idLike }), value(2)),
    name: hostileText,
  },
  { requiredKeys: [] },
);
/** Mostly ordinary text, sometimes hostile: messages that get past the door, with traps inside. */
const text = fc.oneof(
  { arbitrary: fc.string({ minLength: 1, maxLength: 10 }), weight: 40 },
  { arbitrary: hostileText, weight: 1 },
);
const plausibleValue = (depth: number): fc.Arbitrary<unknown> =>
  depth <= 0
    ? fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null))
    : fc.dictionary(
        text,
        fc.constant(null).chain(() => plausibleValue(depth - 1)),
        { maxKeys: 3 },
      );
const plausible = fc.record(
  {
    type: fc.constantFrom('identify', 'track', 'group', 'page'),
    messageId: text,
    userId: text,
    groupId: text,
    event: text,
    timestamp: fc.oneof(
      { arbitrary: timestamp, weight: 1 },
      { arbitrary: fc.constant(undefined), weight: 3 },
    ),
    properties: plausibleValue(2),
    traits: fc.oneof(
      plausibleValue(2),
      fc.record({ name: text, plan: text, employees: fc.integer({ min: -5, max: 10_000 }) }),
    ),
    context: fc.record({ groupId: text }),
  },
  { requiredKeys: ['type', 'userId', 'event', 'groupId'] },
);
const anyMessage = fc.oneof({ arbitrary: plausible, weight: 3 }, { arbitrary: message, weight: 1 });
/** A request: a path and a body, JSON or not. */
const request = fc.oneof(
  // A plausible message to its type's endpoint; a wild one anywhere.
  plausible.map((m) => [`/v1/${m.type}`, JSON.stringify(m)] as const),
  fc.tuple(
    fc.constantFrom('/v1/identify', '/v1/track', '/v1/group', '/v1/page'),
    message.map((m) => JSON.stringify(m)),
  ),
  fc.tuple(
    fc.constant('/v1/batch'),
    fc
      .record(
        { batch: fc.array(anyMessage, { maxLength: 6 }), sentAt: timestamp },
        { requiredKeys: ['batch'] },
      )
      .map((b) => JSON.stringify(b)),
  ),
  // Not JSON, or JSON cut short.
  fc.tuple(
    fc.constantFrom('/v1/track', '/v1/batch'),
    fc.oneof(
      fc.string({ maxLength: 40 }),
      message.map((m) => JSON.stringify(m).slice(0, -3)),
    ),
  ),
);

describe('fuzzed ingestion bodies', () => {
  it('are answered 200 or 4xx, and what was acknowledged is applied without a quarantine', async () => {
    const dir = tempDir('strata-fuzz-ingest-');
    expect(runCli(['init', '-w', dir, '--json']).code).toBe(0);
    const { key } = createKey(dir, 'write');
    const { child, url } = await serveProcess(dir);
    const exited = once(child, 'exit');
    const auth = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    const post = (path: string, body: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body,
      });
    const statuses = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(request, async ([path, body]) => {
          const response = await post(path, body);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const answer = (await response.json()) as { error?: string; message?: string };
          if (response.status !== 200) {
            expect(response.status).toBeGreaterThanOrEqual(400);
            expect(response.status).toBeLessThan(500);
            // The answer names the request.
            expect(answer.message).toContain(path);
          }
        }),
        { numRuns: RUNS, seed: SEED },
      );
      if (process.env.STRATA_FUZZ_RUNS) console.log(Object.fromEntries(statuses));
      // Both sides of the door were exercised.
      expect(statuses.get(200) ?? 0).toBeGreaterThan(RUNS / 20);
      expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 20);
      // A valid message still gets through, and everything acknowledged is applied.
      expect(
        (await post('/v1/group', '{"userId":"fuzz-end","groupId":"fuzz-end-account","traits":{}}')).status,
      ).toBe(200);
      expect(
        (await post('/v1/track', '{"userId":"fuzz-end","event":"done","messageId":"fuzz-end"}')).status,
      ).toBe(200);
      const health = await waitForApplied(url);
      expect(health.failure).toBeNull();
      expect(health.quarantined).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toEqual([0, null]);
    const store = await openStore(loadWorkspace(dir, { metricsOnly: true }));
    try {
      // The track call names no group: it counts for the account its user's group call linked.
      expect(
        await store.query(
          sql`SELECT u.account_id FROM events e JOIN users u ON u.user_id = e.user_id WHERE event_id = 'fuzz-end' AND e.account_id = ''`,
        ),
      ).toEqual([{ account_id: 'fuzz-end-account' }]);
    } finally {
      await store.close();
    }
  });
});
