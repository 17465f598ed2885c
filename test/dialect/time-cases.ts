import type { Dialect } from '../../src/dialect/dialect.js';
import { instant as t } from './fixture-tables.js';
import type { ScalarCase } from './scalar-cases.js';

const iso = (d: Dialect, text: string) => d.isoTimestamp(t(d, text));
const minus = (d: Dialect, text: string, days: number) => d.isoTimestamp(d.minusDays(t(d, text), days));
const between = (d: Dialect, from: string, to: string) => d.wholeDaysBetween(t(d, from), t(d, to));

/** Instants: ISO text, days back and between, month numbers and labels, at leap days and year ends. */
export const TIME_CASES: readonly ScalarCase[] = [
  // Whole microseconds since 1970 (as text: an engine may answer a 64-bit integer as a string).
  {
    member: 'epochMicros',
    name: 'a microsecond into 2024',
    sql: (d) => d.castText(d.epochMicros(t(d, '2024-01-01 00:00:00.000001'))),
    expected: '1704067200000001',
  },
  {
    member: 'epochMicros',
    name: 'the epoch',
    sql: (d) => d.castText(d.epochMicros(t(d, '1970-01-01 00:00:00'))),
    expected: '0',
  },
  // ISO text keeps three digits and drops the rest: .123456 reads .123, and the last
  // microsecond of 2023 stays in 2023 (rounding would give 2024-01-01T00:00:00.000Z).
  {
    member: 'isoTimestamp',
    name: 'micro digits dropped',
    sql: (d) => iso(d, '2024-02-29 13:04:05.123456'),
    expected: '2024-02-29T13:04:05.123Z',
  },
  {
    member: 'isoTimestamp',
    name: 'not rounded',
    sql: (d) => iso(d, '2023-12-31 23:59:59.999999'),
    expected: '2023-12-31T23:59:59.999Z',
  },
  {
    member: 'isoTimestamp',
    name: 'the epoch',
    sql: (d) => iso(d, '1970-01-01 00:00:00'),
    expected: '1970-01-01T00:00:00.000Z',
  },
  {
    member: 'isoTimestamp',
    name: 'year 2100',
    sql: (d) => iso(d, '2100-02-28 00:00:00.05'),
    expected: '2100-02-28T00:00:00.050Z',
  },
  // 2024 is a leap year, 2100 is not (divisible by 100, not by 400), 2000 is (by 400).
  {
    member: 'minusDays',
    name: 'into Feb 29 2024',
    sql: (d) => minus(d, '2024-03-01 00:00:00', 1),
    expected: '2024-02-29T00:00:00.000Z',
  },
  {
    member: 'minusDays',
    name: 'no Feb 29 2100',
    sql: (d) => minus(d, '2100-03-01 00:00:00', 1),
    expected: '2100-02-28T00:00:00.000Z',
  },
  {
    member: 'minusDays',
    name: 'into Feb 29 2000',
    sql: (d) => minus(d, '2000-03-01 00:00:00', 1),
    expected: '2000-02-29T00:00:00.000Z',
  },
  // 2024-03-01 to 2025-03-01 is 365 days (no Feb 29 in it): one more day back is Feb 29.
  {
    member: 'minusDays',
    name: '366 days',
    sql: (d) => minus(d, '2025-03-01 06:30:00', 366),
    expected: '2024-02-29T06:30:00.000Z',
  },
  // 31 days before March 31 2024: March has 31 days, so the last day of February.
  {
    member: 'minusDays',
    name: 'a month of 31 days',
    sql: (d) => minus(d, '2024-03-31 00:00:00', 31),
    expected: '2024-02-29T00:00:00.000Z',
  },
  // Whole days: 1.9 is 1, -1.5 is -1 (one day later).
  {
    member: 'minusDays',
    name: 'fraction truncated',
    sql: (d) => minus(d, '2024-03-01 00:00:00', 1.9),
    expected: '2024-02-29T00:00:00.000Z',
  },
  {
    member: 'minusDays',
    name: 'negative days',
    sql: (d) => minus(d, '2024-02-28 23:00:00', -1.5),
    expected: '2024-02-29T23:00:00.000Z',
  },
  // The microsecond survives: a day before 01-02 00:00:00.000001 is one microsecond after
  // 01-01 00:00, so the days from it back to 01-01 00:00 are floor(-1e-6 / 86400) = -1.
  {
    member: 'minusDays',
    name: 'microsecond kept',
    sql: (d) =>
      d.wholeDaysBetween(d.minusDays(t(d, '2024-01-02 00:00:00.000001'), 1), t(d, '2024-01-01 00:00:00')),
    expected: -1,
  },
  // Feb 28 -> Mar 1 is 2 days in 2024, 1 in 2100; Dec 31 2023 -> Dec 31 2024 is 366.
  {
    member: 'wholeDaysBetween',
    name: 'over Feb 29',
    sql: (d) => between(d, '2024-02-28 00:00:00', '2024-03-01 00:00:00'),
    expected: 2,
  },
  {
    member: 'wholeDaysBetween',
    name: 'no Feb 29 in 2100',
    sql: (d) => between(d, '2100-02-28 00:00:00', '2100-03-01 00:00:00'),
    expected: 1,
  },
  {
    member: 'wholeDaysBetween',
    name: 'a leap year',
    sql: (d) => between(d, '2023-12-31 00:00:00', '2024-12-31 00:00:00'),
    expected: 366,
  },
  // One microsecond short of 24 hours is 0 days; backwards it is -0.99999999 days, floored to -1.
  {
    member: 'wholeDaysBetween',
    name: 'a microsecond short',
    sql: (d) => between(d, '2024-01-01 00:00:00.000001', '2024-01-02 00:00:00'),
    expected: 0,
  },
  {
    member: 'wholeDaysBetween',
    name: 'floored backwards',
    sql: (d) => between(d, '2024-01-02 00:00:00', '2024-01-01 00:00:00.000001'),
    expected: -1,
  },
  {
    member: 'wholeDaysBetween',
    name: 'the same instant',
    sql: (d) => between(d, '2024-06-07 08:09:10.5', '2024-06-07 08:09:10.5'),
    expected: 0,
  },
  // Europe's clocks moved on 2024-03-31 and 2024-10-27; in UTC those days have 24 hours.
  {
    member: 'wholeDaysBetween',
    name: 'spring DST in UTC',
    sql: (d) => between(d, '2024-03-30 12:00:00', '2024-03-31 12:00:00'),
    expected: 1,
  },
  {
    member: 'wholeDaysBetween',
    name: 'autumn DST in UTC',
    sql: (d) => between(d, '2024-10-26 12:00:00', '2024-10-27 11:59:59.999999'),
    expected: 0,
  },
  // 12 * year + month - 1: 2024 * 12 = 24288 (January), 2023 * 12 + 11 = 24287, 1970 * 12 = 23640.
  {
    member: 'monthNumber',
    name: 'last microsecond of January',
    sql: (d) => d.monthNumber(t(d, '2024-01-31 23:59:59.999999')),
    expected: 24288,
  },
  {
    member: 'monthNumber',
    name: 'first of February',
    sql: (d) => d.monthNumber(t(d, '2024-02-01 00:00:00')),
    expected: 24289,
  },
  {
    member: 'monthNumber',
    name: 'leap day',
    sql: (d) => d.monthNumber(t(d, '2024-02-29 12:00:00')),
    expected: 24289,
  },
  {
    member: 'monthNumber',
    name: 'December 2023',
    sql: (d) => d.monthNumber(t(d, '2023-12-31 23:59:59.999999')),
    expected: 24287,
  },
  {
    member: 'monthNumber',
    name: 'the epoch',
    sql: (d) => d.monthNumber(t(d, '1970-01-01 00:00:00')),
    expected: 23640,
  },
  // Across a year the numbers still step by one month.
  {
    member: 'monthNumber',
    name: 'one month across a year',
    sql: (d) =>
      `(${d.monthNumber(t(d, '2025-01-01 00:00:00'))}) - (${d.monthNumber(t(d, '2024-12-31 23:59:59.999999'))})`,
    expected: 1,
  },
  {
    member: 'monthLabel',
    name: 'end of January',
    sql: (d) => d.monthLabel(t(d, '2024-01-31 23:59:59.999999'), 'month'),
    expected: '2024-01',
  },
  {
    member: 'monthLabel',
    name: 'leap day month',
    sql: (d) => d.monthLabel(t(d, '2024-02-29 00:00:00'), 'month'),
    expected: '2024-02',
  },
  {
    member: 'monthLabel',
    name: 'December 2100',
    sql: (d) => d.monthLabel(t(d, '2100-12-01 00:00:00'), 'month'),
    expected: '2100-12',
  },
  {
    member: 'monthLabel',
    name: 'end of Q1',
    sql: (d) => d.monthLabel(t(d, '2024-03-31 23:59:59.999999'), 'quarter'),
    expected: '2024-Q1',
  },
  {
    member: 'monthLabel',
    name: 'start of Q2',
    sql: (d) => d.monthLabel(t(d, '2024-04-01 00:00:00'), 'quarter'),
    expected: '2024-Q2',
  },
  {
    member: 'monthLabel',
    name: 'Q4 2023',
    sql: (d) => d.monthLabel(t(d, '2023-12-31 23:59:59.999999'), 'quarter'),
    expected: '2023-Q4',
  },
];
