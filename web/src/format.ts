import { count } from '../../src/format/numbers.js';

/*
 * Older pages' names for src/format's rules (the tests read numbers back with the same rules).
 * Pages move to src/format/numbers.ts and words.ts directly; this file goes when none uses it.
 */
export const whole = count;

export const signed = (value: number | null | undefined) =>
  value === null || value === undefined ? '–' : `${value > 0 ? '+' : ''}${count(value)}`;

/** A share as a whole percentage; blank when there is none. */
export const percent = (value: number | null | undefined) =>
  value === null || value === undefined ? '' : `${Math.round(value * 100)}%`;

/** A number with fixed decimals; a dash when there is none. */
export const fixed = (value: number | null | undefined, digits: number) =>
  value === null || value === undefined ? '–' : value.toFixed(digits);
