import { StrataError } from '../errors.js';

/**
 * A numeric command-line option: undefined when absent, else a finite number (whole and
 * at least `min` when asked), or an error naming the option and what it expects.
 */
export function numberOption(
  name: string,
  text: string | undefined,
  rule: { whole?: boolean; min?: number } = {},
): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  const wrong =
    !Number.isFinite(n) ||
    (rule.whole && !Number.isSafeInteger(n)) ||
    (rule.min !== undefined && n < rule.min);
  if (wrong) {
    const what = `${rule.whole ? 'a whole number' : 'a number'}${rule.min !== undefined ? ` >= ${rule.min}` : ''}`;
    throw new StrataError('invalid_argument', `${name} ${text}: expected ${what}`);
  }
  return n;
}
