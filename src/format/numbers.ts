/**
 * Numbers as text, rounded by their kind. One module for the CLI, the API's display fields and
 * the dashboard, so a health score reads 53.6 everywhere and MRR carries its currency. The
 * values themselves (JSON, API) keep full precision: rounding is for people only.
 */

/** What a number is, which decides its digits. */
export type NumberKind =
  /** Money in the workspace's currency: cents below 1,000, whole units above. */
  | 'money'
  /** A share between 0 and 1 written as a percentage with one decimal (0.417 is 41.7%). */
  | 'share'
  /** Whole things: accounts, events, sessions; thousands separated. */
  | 'count'
  /** A score or points (health 0-100): one decimal. */
  | 'score'
  /** Days (tenure, recency): whole days. */
  | 'days'
  /** Any other measurement: three significant digits, at most two decimals above 1. */
  | 'number';

const DASH = '–';

type Maybe = number | null | undefined;

const missing = (value: Maybe): value is null | undefined =>
  value === null || value === undefined || Number.isNaN(value);

/** -0 after rounding reads as 0 ("-0.0", "-$0.00", "-0.0%"). */
const unsignedZero = (text: string) => (/^-[^1-9]*$/.test(text) ? text.slice(1) : text);

/** Fixed decimals with thousands separators: 12,345.6. */
export function decimals(value: Maybe, digits: number): string {
  if (missing(value)) return DASH;
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  return unsignedZero(
    value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }),
  );
}

/** A count: whole, thousands separated (1,121). */
export const count = (value: Maybe) => decimals(missing(value) ? value : Math.round(value), 0);

/** A score or points: one decimal (53.6). */
export const score = (value: Maybe) => decimals(value, 1);

/** A share as a percentage: 41.7% (digits after the point: 1 by default). */
export function percent(share: Maybe, digits = 1): string {
  if (missing(share)) return DASH;
  return `${decimals(share * 100, digits)}%`;
}

/** Days as a whole number of days. */
export const days = (value: Maybe) => count(value);

/**
 * Money in a currency (ISO 4217 code, USD by default): $1,234 above a thousand, $18.77 below,
 * so a dashboard of MRR is not a wall of cents and a small plan's price is exact.
 */
export function money(value: Maybe, currency = 'USD'): string {
  if (missing(value)) return DASH;
  const digits = Math.abs(value) >= 1000 ? 0 : 2;
  try {
    return unsignedZero(
      value.toLocaleString('en-US', {
        style: 'currency',
        currency,
        currencyDisplay: 'narrowSymbol',
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      }),
    );
  } catch {
    // A code Intl does not know is written after the number rather than dropped.
    return `${decimals(value, digits)} ${currency}`;
  }
}

/**
 * Any other number: whole numbers as counts; otherwise three significant digits, with at most
 * two decimals at 1 and above (0.667, 3.14, 45.1, 99.6, 1,234).
 */
export function number(value: Maybe): string {
  if (missing(value)) return DASH;
  if (Number.isInteger(value) || !Number.isFinite(value)) return decimals(value, 0);
  const size = Math.abs(value);
  if (size >= 100) return decimals(value, 0);
  if (size >= 10) return decimals(value, 1);
  if (size >= 1) return decimals(value, 2);
  if (size === 0) return '0';
  // Below one: three significant digits, never more than four decimals (0.0001 and smaller read 0).
  const digits = Math.min(4, 2 - Math.floor(Math.log10(size)));
  return decimals(Number(value.toFixed(digits)), digits)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

/** A number of a kind as text; `currency` is for money. */
export function formatKind(value: Maybe, kind: NumberKind, currency = 'USD'): string {
  switch (kind) {
    case 'money':
      return money(value, currency);
    case 'share':
      return percent(value);
    case 'count':
      return count(value);
    case 'score':
      return score(value);
    case 'days':
      return days(value);
    default:
      return number(value);
  }
}

/** A change with its sign, for tables (+8.3, -33.15 as -$33.15 for money). */
export function signedKind(value: Maybe, kind: NumberKind, currency = 'USD'): string {
  if (missing(value)) return DASH;
  const text = formatKind(Math.abs(value), kind, currency);
  if (/^0(\.0+)?%?$/.test(text) || text === formatKind(0, kind, currency)) return text;
  return `${value < 0 ? '-' : '+'}${text}`;
}
