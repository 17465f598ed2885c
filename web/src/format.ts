/** Numbers as the dashboard shows them (the tests read them back with the same rules). */
export const whole = (value: number | null | undefined) =>
  value === null || value === undefined ? '–' : Math.round(value).toLocaleString('en-US');

export const signed = (value: number | null | undefined) =>
  value === null || value === undefined ? '–' : `${value > 0 ? '+' : ''}${whole(value)}`;

/** A share as a whole percentage; blank when there is none. */
export const percent = (value: number | null | undefined) =>
  value === null || value === undefined ? '' : `${Math.round(value * 100)}%`;

/** A number with fixed decimals; a dash when there is none. */
export const fixed = (value: number | null | undefined, digits: number) =>
  value === null || value === undefined ? '–' : value.toFixed(digits);
