/** Numbers as the dashboard shows them (the tests read them back with the same rules). */
export const whole = (value: number | null | undefined) =>
  value === null || value === undefined ? '–' : Math.round(value).toLocaleString('en-US');

export const signed = (value: number | null | undefined) =>
  value === null || value === undefined ? '–' : `${value > 0 ? '+' : ''}${whole(value)}`;
