/**
 * ISO-8601 timestamps read to the microsecond, exactly as the importer (DuckDB) reads the
 * same text, so that a message sent to the API and the same row in an imported file are
 * stored as the same instant. JavaScript's `Date.parse` would not do: it drops digits
 * after the millisecond (an event 0.4 ms inside a 30-day window would fall outside it),
 * reads a time without an offset in the machine's zone (the importer reads UTC) and
 * accepts dates such as February 30 that the importer refuses.
 *
 * Accepted (a subset of what the importer reads, so nothing accepted here is read
 * differently there): `2024-05-01`, `2024-05-01T13:45`, `2024-05-01T13:45:00`,
 * `...13:45:00.123456789` (digits beyond the sixth dropped, as DuckDB does), a space
 * instead of the `T`, and after a time an offset `Z`, `+05`, `+0530` or `+05:30`; the
 * basic forms `20240501`, `20240501T134500` (optionally with `Z` or `+0530`) and
 * `20240501T1345Z`. No offset means UTC. Years 1685 to 2255 (see `isExact`).
 */

// A time without seconds takes an offset only after a 'T' (the importer reads no other).
const EXTENDED =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const SPACED_MINUTES_WITH_OFFSET = /^.{10} \d{2}:\d{2}[Z+-]/;
const BASIC = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(?:(\d{2})(Z|[+-]\d{2}:?\d{2})?|(Z)))?$/;

const MICROS_PER_DAY = 86_400_000_000;

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Offset of `Z`, `+05`, `+0530` or `+05:30` in minutes east of UTC; null when out of range. */
function offsetMinutes(zone: string | undefined): number | null {
  if (!zone || zone === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return null;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** Microseconds since 1970-01-01T00:00:00Z of an ISO-8601 timestamp, or null when it is not one. */
export function parseInstant(text: string): number | null {
  const extended = SPACED_MINUTES_WITH_OFFSET.test(text) ? null : EXTENDED.exec(text);
  const basic = extended ? null : BASIC.exec(text);
  const match = extended ?? basic;
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const [hour, minute, second] = [Number(match[4] ?? 0), Number(match[5] ?? 0), Number(match[6] ?? 0)];
  const fraction = extended ? (match[7] ?? '') : '';
  const zone = extended ? match[8] : (match[7] ?? match[8]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const offset = offsetMinutes(zone);
  if (offset === null) return null;
  const micros = Number(fraction.slice(0, 6).padEnd(6, '0'));
  const local =
    daysFromCivil(year, month, day) * MICROS_PER_DAY +
    ((hour * 60 + minute) * 60 + second) * 1_000_000 +
    micros;
  const instant = local - offset * 60_000_000;
  return isExact(local) && isExact(instant) ? instant : null;
}

/**
 * Whether microseconds are counted exactly by a JavaScript number: within some 285 years
 * of 1970 (years 1685 to 2255), beyond which digits would silently be lost.
 */
export function isExact(micros: number): boolean {
  return Number.isSafeInteger(micros);
}

/** `2024-05-01T13:45:00.123456Z`: an instant in UTC with every microsecond, as the importer reads it back. */
export function formatInstant(micros: number): string {
  const millis = Math.floor(micros / 1000);
  const rest = micros - millis * 1000;
  const iso = new Date(millis).toISOString();
  return `${iso.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

// UTC with seconds, 'T' or a space, any fraction: formatInstant's own form once padded.
const UTC_SECONDS = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/;

/**
 * `formatInstant(parseInstant(text))` without the arithmetic, for text `parseInstant` reads
 * (the caller has checked): UTC to the second or finer, as most senders write times
 * (`2024-05-01T13:45:00.123Z`), is that text with six digits of fraction; other forms are
 * converted.
 */
export function canonicalInstant(text: string, micros: number): string {
  const match = UTC_SECONDS.exec(text);
  if (!match) return formatInstant(micros);
  return `${match[1]}T${match[2]}.${(match[3] ?? '').slice(0, 6).padEnd(6, '0')}Z`;
}

/**
 * A stored timestamp as an engine prints it as text (DuckDB `2024-05-01 00:00:00.000999`,
 * UTC; ClickHouse its microseconds since 1970) as ISO text with every microsecond; other
 * text as it is.
 */
export function exactTimeText(text: unknown): string | null {
  if (text === null || text === undefined) return null;
  const value = String(text);
  const micros = /^-?\d+$/.test(value) ? Number(value) : parseInstant(value);
  return micros !== null && isExact(micros) ? formatInstant(micros) : value;
}
