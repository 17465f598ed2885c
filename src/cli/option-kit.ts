import { z } from 'zod';
import { EXPECTED, readSince, readTime } from '../engine/time-arguments.js';
import { parseWindowDays } from '../workspace/duration.js';

/**
 * The pieces a command's schema is made of (commands/<name>.ts): each reads the text commander
 * gives and fails with the words the CLI has always used (`--limit x: expected a whole number
 * >= 1`); registry.ts turns the first failure into an invalid_argument error. Loaded only when
 * a command runs, so `strata --help` does not load zod.
 */

/** Text read by `read`, or an issue worded by `refusal` when it gives undefined. */
function read<T>(reader: (text: string) => T | undefined, refusal: (text: string) => string) {
  return z.string().transform((text, context): T => {
    const value = reader(text);
    if (value === undefined) {
      context.addIssue({ code: 'custom', message: refusal(text), input: text });
      return z.NEVER;
    }
    return value;
  });
}

/** Text read by `reader`, or an issue `NAME TEXT: EXPECTED`. */
const reading = <T>(name: string, reader: (text: string) => T | undefined, expected: string) =>
  read(reader, (text) => `${name} ${text}: ${expected}`);

/** What a number option accepts: any finite number, or whole ones, at least `min`. */
export interface NumberRule {
  readonly whole?: boolean;
  readonly min?: number;
}

/** A finite number (whole and at least `min` when asked), else undefined. */
export function readNumber(text: string, rule: NumberRule = {}): number | undefined {
  const n = Number(text);
  const wrong =
    !Number.isFinite(n) ||
    (rule.whole && !Number.isSafeInteger(n)) ||
    (rule.min !== undefined && n < rule.min);
  return wrong ? undefined : n;
}

const expectedNumber = (rule: NumberRule) =>
  `expected ${rule.whole ? 'a whole number' : 'a number'}${rule.min !== undefined ? ` >= ${rule.min}` : ''}`;

export const kit = {
  z,
  read,
  readNumber,
  /** A number; whole and at least `min` when the rule says so. */
  number: (name: string, rule: NumberRule = {}) =>
    reading(name, (text) => readNumber(text, rule), expectedNumber(rule)),
  /** An ISO date or time as the ingestion API reads it (UTC without an offset). */
  time: (name: string) => reading(name, readTime, EXPECTED.time),
  /** A window (30d, 12w, 6m, 1y) in days. */
  window: (name: string, expected: string = EXPECTED.window) => reading(name, parseWindowDays, expected),
  /** A time, or a window counting back from the clock's time; `given` keeps the text for messages. */
  since: (name: string) =>
    reading(
      name,
      (text) => {
        const since = readSince(text);
        return since === undefined ? undefined : { ...since, given: text };
      },
      EXPECTED.since,
    ),
  /** One of `values`; `expected` says which in the error. */
  choice: <const Value extends string>(name: string, values: readonly Value[], expected: string) =>
    reading(name, (text) => values.find((value): value is Value => value === text), expected),
  /** Comma-separated names, trimmed, empty ones left out. */
  list: () =>
    z.string().transform((text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    ),
};

/** The kit's type, for the declarations' schema functions (a type-only import loads nothing). */
export type OptionKit = typeof kit;
