import fc from 'fast-check';
import type { Message } from './live-batch-paths.js';

/*
 * Generated worlds for the differential test (realtime-batch.test.ts) and timestamp texts
 * (ingest-instants.test.ts). Times are microseconds since 1970 (so the generators can sit a
 * microsecond either side of an edge); evaluation instants are whole milliseconds, as a
 * JavaScript Date is.
 */
export const MS = 1000;
export const DAY = 86_400_000 * MS;
export const BASE = Date.parse('2024-04-01T00:00:00Z') * MS;
export const MONTH_EDGES = ['2024-03-01', '2024-04-01', '2024-05-01'].map(
  (d) => Date.parse(`${d}T00:00:00Z`) * MS,
);
/**
 * A fixed seed keeps CI deterministic; set STRATA_FC_SEED to a number (or 'random') to
 * explore, and to the seed a failure reports to replay it.
 */
export const SEED =
  process.env.STRATA_FC_SEED === 'random' ? Date.now() : Number(process.env.STRATA_FC_SEED ?? 20260901);

/** How a time is written: its offset from UTC (minutes), the offset's form, extra digits beyond the microsecond. */
export interface Written {
  readonly offset: number;
  readonly form: 'Z' | 'none' | 'colon' | 'compact' | 'hours';
  readonly nanos: number | null;
}

export const writtenArb: fc.Arbitrary<Written> = fc.oneof(
  fc.record({
    offset: fc.constant(0),
    form: fc.constantFrom('Z' as const, 'none' as const),
    nanos: fc.constant(null),
  }),
  fc.record({
    offset: fc.constantFrom(330, -480, 0, 840, -30, 345, -600),
    form: fc.constantFrom('colon' as const, 'compact' as const),
    nanos: fc.option(fc.integer({ min: 0, max: 999 }), { freq: 3 }),
  }),
  fc.record({
    offset: fc.constantFrom(60, -300, 120),
    form: fc.constant('hours' as const),
    nanos: fc.constant(null),
  }),
);

/**
 * ISO-8601 text of an instant as a client in another zone writes it, computed here from
 * the calendar fields of the shifted time (not by the code under test): only as many
 * fraction digits as the instant needs, or three more (dropped on reading) when `nanos`.
 */
export function write(micros: number, how: Written, separator: 'T' | ' ' = 'T'): string {
  const local = micros + how.offset * 60 * 1_000_000;
  const seconds = Math.floor(local / 1_000_000);
  const fraction = local - seconds * 1_000_000;
  const date = new Date(seconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  const clock = `${date.getUTCFullYear()}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}${separator}${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  const digits =
    how.nanos !== null
      ? `.${String(fraction).padStart(6, '0')}${String(how.nanos).padStart(3, '0')}`
      : fraction === 0
        ? ''
        : fraction % 1000 === 0
          ? `.${String(fraction / 1000).padStart(3, '0')}`
          : `.${String(fraction).padStart(6, '0')}`;
  const sign = how.offset < 0 ? '-' : '+';
  const [h, m] = [two(Math.floor(Math.abs(how.offset) / 60)), two(Math.abs(how.offset) % 60)];
  const zone = {
    Z: 'Z',
    none: '',
    colon: `${sign}${h}:${m}`,
    compact: `${sign}${h}${m}`,
    hours: `${sign}${h}`,
  }[how.form];
  return `${clock}${digits}${zone}`;
}

/** A time near an edge: of an evaluation instant's 30-day or 14-day window, a month, the instant itself. */
export const nearArb = fc.record({
  anchor: fc.constantFrom('window30' as const, 'window14' as const, 'month' as const, 'instant' as const),
  which: fc.nat(),
  delta: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(0, 1, -1, 999, -999, 1000, -1000, 1_000_000, -1_000_000) },
    { weight: 1, arbitrary: fc.integer({ min: -2 * DAY, max: 2 * DAY }) },
  ),
  written: writtenArb,
});
export type Near = typeof nearArb extends fc.Arbitrary<infer T> ? T : never;

export const worldArb = fc.record({
  /** Offsets from BASE of the evaluation instants (sorted later), in ms. */
  instants: fc.array(
    fc.tuple(
      fc.constantFrom(
        0,
        1,
        999,
        1000,
        3_600_000,
        86_400_000,
        13 * 86_400_000,
        14 * 86_400_000,
        30 * 86_400_000,
      ),
      fc.integer({ min: -1, max: 1 }),
    ),
    { minLength: 2, maxLength: 4 },
  ),
  accounts: fc.array(
    fc.record({
      signup: fc.option(fc.record({ at: nearArb, arrives: fc.nat() }), { freq: 8 }),
      planChange: fc.option(fc.record({ at: nearArb, arrives: fc.nat() }), { freq: 4 }),
      // The account's domain user identifies itself (no group call); its events name no account.
      identify: fc.option(fc.record({ at: nearArb, arrives: fc.nat() }), { freq: 2 }),
      events: fc.array(
        fc.record({
          at: nearArb,
          arrives: fc.nat(),
          login: fc.boolean(),
          // Mostly calls naming their account; some only their user (waiting for a group call).
          linked: fc.nat({ max: 3 }).map((n) => n > 0),
          byDomain: fc.nat({ max: 4 }).map((n) => n === 0),
          retry: fc.option(fc.nat(), { freq: 6 }),
        }),
        { maxLength: 5 },
      ),
    }),
    { minLength: 3, maxLength: 7 },
  ),
});
export type World = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

/** The world as evaluation instants and, per instant, the messages that arrive before it. */
export function build(world: World): { instants: Date[]; steps: Message[][] } {
  const instants = world.instants
    .map(([offset, jitter]) => BASE / MS + offset + jitter)
    .sort((a, b) => a - b);
  const steps: Message[][] = instants.map(() => []);
  const at = (near: Near) => {
    const instant = (instants[near.which % instants.length] ?? 0) * MS;
    const anchor = {
      window30: instant - 30 * DAY,
      window14: instant - 14 * DAY,
      month: MONTH_EDGES[near.which % MONTH_EDGES.length] ?? 0,
      instant,
    }[near.anchor];
    return write(anchor + near.delta, near.written);
  };
  const step = (arrives: number) => steps[arrives % steps.length] as Message[];
  let id = 0;
  world.accounts.forEach((account, i) => {
    const name = `acc${i}`;
    if (account.signup)
      step(account.signup.arrives).push({
        kind: 'group',
        account: name,
        createdAt: at(account.signup.at),
        plan: 'growth',
        id: `m${id++}`,
      });
    if (account.planChange)
      step(account.planChange.arrives).push({
        kind: 'plan',
        account: name,
        plan: 'enterprise',
        at: at(account.planChange.at),
        id: `m${id++}`,
      });
    if (account.identify)
      step(account.identify.arrives).push({
        kind: 'identify',
        account: name,
        at: at(account.identify.at),
        id: `m${id++}`,
      });
    for (const event of account.events) {
      const message: Message = {
        kind: 'track',
        account: name,
        event: event.login ? 'login' : 'report_viewed',
        ts: at(event.at),
        id: `m${id++}`,
        linked: event.linked,
        byDomain: event.byDomain,
      };
      step(event.arrives).push(message);
      // A client's retry: the same message again, later or earlier.
      if (event.retry !== null) step(event.retry).push(message);
    }
  });
  return { instants: instants.map((ms) => new Date(ms)), steps };
}

export function describeWorld(instants: readonly Date[], steps: readonly Message[][]): string {
  return instants
    .map(
      (instant, k) =>
        `before ${instant.toISOString()}:\n${(steps[k] ?? [])
          .map((m) =>
            m.kind === 'track'
              ? `  ${m.account} ${m.event} ${m.ts}${m.byDomain ? ' (domain user)' : m.linked ? '' : ' (user only)'} ${m.id}`
              : m.kind === 'identify'
                ? `  ${m.account}'s domain user identifies ${m.at}`
                : m.kind === 'group'
                  ? `  ${m.account} signs up ${m.createdAt}`
                  : `  ${m.account} plan call ${m.at}`,
          )
          .join('\n')}`,
    )
    .join('\n');
}
