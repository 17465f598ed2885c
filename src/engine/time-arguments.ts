import { StrataError } from '../errors.js';
import { parseInstant } from '../model/instant.js';
import { parseWindowDays } from '../workspace/duration.js';
import type { Clock } from './clock.js';

/**
 * Times and windows as the CLI's options and the API's query parameters both take them
 * (issue #19, item 6: one parser, the same forms everywhere): a time is ISO-8601 read as
 * the ingestion API reads one (src/model/instant.ts: UTC without an offset; `new Date`
 * would take '1' for 2001 and February 30 for March 1), a window is `30d`, `12w`, `6m` or
 * `1y` (src/workspace/duration.ts), and a "since" is either, a window counting back from
 * the one clock's time (src/engine/clock.ts), never from the machine's.
 */

/** What each form expects, in the words of an error (the CLI's and the API's alike). */
export const EXPECTED = {
  time: 'expected an ISO date or time, e.g. 2024-05-01 or 2024-05-01T13:45:00Z',
  window: 'expected a window such as 30d, 12w, 6m or 1y',
  since:
    'expected an ISO date or time (2024-05-01, 2024-05-01T13:45:00Z) or a window such as 30d, 12w, 6m or 1y',
} as const;

/** A since: an instant, or a window of whole days back from the clock's time. */
export type Since = { readonly at: Date } | { readonly days: number };

/** An ISO date or time as an instant (to the millisecond), or undefined when `text` is none. */
export function readTime(text: string): Date | undefined {
  const micros = parseInstant(text);
  return micros === null ? undefined : new Date(Math.floor(micros / 1000));
}

/** A window (`30d`) or else an ISO time, or undefined when `text` is neither. */
export function readSince(text: string): Since | undefined {
  const days = parseWindowDays(text);
  if (days !== undefined) return { days };
  const at = readTime(text);
  return at === undefined ? undefined : { at };
}

/** The instant a since names: a window counts back from the clock's time (days of 24 h). */
export const resolveSince = (since: Since, clock: Clock): Date =>
  'at' in since ? since.at : new Date(clock.at.getTime() - since.days * 86_400_000);

/** Reads `text` with `read`, or throws an invalid_argument error naming the option (`--since 3x: expected ...`). */
function argument<T>(name: string, text: string, read: (text: string) => T | undefined, expected: string): T {
  const value = read(text);
  if (value === undefined) throw new StrataError('invalid_argument', `${name} ${text}: ${expected}`);
  return value;
}

/** A time option (`--as-of`); undefined when not given. */
export const parseTimeOption = (name: string, text: string | undefined): Date | undefined =>
  text === undefined ? undefined : argument(name, text, readTime, EXPECTED.time);

/** A window option (`--within`, `--horizon`) in days; undefined when not given. */
export const parseWindowOption = (name: string, text: string | undefined): number | undefined =>
  text === undefined ? undefined : argument(name, text, parseWindowDays, EXPECTED.window);

/** A since option (`--since`); undefined when not given. */
export const parseSinceOption = (name: string, text: string | undefined): Since | undefined =>
  text === undefined ? undefined : argument(name, text, readSince, EXPECTED.since);
