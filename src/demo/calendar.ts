/**
 * The demo world's fixed calendar: when it starts and ends, how signups spread over
 * the days (growth, seasonality, weekends), and when in a day people work.
 * Fixed dates rather than Date.now(), so the same seed gives the same world any day.
 */
import { Categorical } from '../random.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/** An average calendar month; billing periods step by it so no Date objects are needed per account. */
export const MONTH_MS = 30.436875 * DAY_MS;
export const YEAR_MS = 365.2425 * DAY_MS;

/** First signup day (UTC midnight) and the last instant of the world. */
export const WORLD_START_MS = Date.UTC(2023, 10, 1);
export const WORLD_END_MS = Date.UTC(2026, 9, 31, 23, 59, 59);
export const WORLD_DAYS = Math.ceil((WORLD_END_MS - WORLD_START_MS) / DAY_MS);

/** Relative signups per calendar month (Jan..Dec): Q1 budgets and September back-to-work high, August and December low. */
const SIGNUP_SEASON = [1.2, 1.12, 1.15, 1.0, 0.98, 0.92, 0.85, 0.68, 1.18, 1.08, 1.0, 0.62];
/** Signups at the end of the window relative to its start: the company grows. */
const SIGNUP_GROWTH = 2.6;
/** Relative activity per weekday (Sun..Sat) for both signups and product usage. */
export const WEEKDAY_WEIGHT = [0.22, 1.0, 1.05, 1.05, 1.0, 0.88, 0.26];
/** Relative product usage per calendar month: holidays in August and late December. */
const USAGE_SEASON = [0.95, 1.0, 1.02, 1.0, 1.0, 0.97, 0.92, 0.82, 1.03, 1.03, 1.0, 0.78];

/** Truncates an instant to whole seconds, so instants written as ISO text and as timestamps agree exactly. */
export function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** Weekday (0 = Sunday) of an epoch-millisecond instant, in UTC. */
export function weekdayOf(ms: number): number {
  return (Math.floor(ms / DAY_MS) + 4) % 7; // 1970-01-01 was a Thursday
}

/** Precomputed per-day facts of the window, indexed by whole days since WORLD_START_MS. */
const dayMonth = new Uint8Array(WORLD_DAYS + 1);
const dayOfMonth = new Uint8Array(WORLD_DAYS + 1);
for (let d = 0; d <= WORLD_DAYS; d++) {
  const date = new Date(WORLD_START_MS + d * DAY_MS);
  dayMonth[d] = date.getUTCMonth();
  dayOfMonth[d] = date.getUTCDate();
}

function holidayFactor(d: number): number {
  const m = dayMonth[d] ?? 0;
  const dom = dayOfMonth[d] ?? 1;
  return (m === 11 && dom >= 22) || (m === 0 && dom <= 2) ? 0.45 : 1;
}

/** Usage multiplier for each day of the window (month season x weekday x holidays). */
export const USAGE_DAY_FACTOR = new Float32Array(WORLD_DAYS + 1);
/** Signup distribution over the days of the window. */
export const SIGNUP_DAYS: Categorical = (() => {
  const w: number[] = [];
  for (let d = 0; d <= WORLD_DAYS; d++) {
    const m = dayMonth[d] ?? 0;
    const wd = weekdayOf(WORLD_START_MS + d * DAY_MS);
    USAGE_DAY_FACTOR[d] = (USAGE_SEASON[m] ?? 1) * holidayFactor(d);
    const growth = SIGNUP_GROWTH ** (d / WORLD_DAYS);
    w.push(
      d === WORLD_DAYS ? 0 : growth * (SIGNUP_SEASON[m] ?? 1) * (WEEKDAY_WEIGHT[wd] ?? 1) * holidayFactor(d),
    );
  }
  return new Categorical(w);
})();

/** Usage multiplier (month season and holidays) at an instant; 1 outside the window. */
export function usageSeason(ms: number): number {
  return USAGE_DAY_FACTOR[Math.floor((ms - WORLD_START_MS) / DAY_MS)] ?? 1;
}

/** Relative activity per local hour 0..23: a working day with a lunch dip and a little evening use. */
const LOCAL_HOURS = [
  0.05, 0.03, 0.02, 0.02, 0.03, 0.08, 0.2, 0.45, 0.85, 1.0, 1.0, 0.95, 0.7, 0.85, 0.95, 0.95, 0.85, 0.65, 0.4,
  0.3, 0.25, 0.2, 0.15, 0.08,
];

/** A distribution over UTC hours 0..23 for people working at UTC offset `tzHours`. */
export function utcHourDistribution(tzHours: number): Categorical {
  const w: number[] = [];
  for (let h = 0; h < 24; h++) w.push(LOCAL_HOURS[(((h + tzHours) % 24) + 24) % 24] ?? 0);
  return new Categorical(w);
}

/** For a week starting on each weekday (0 = Sunday), the distribution of the day offset 0..6 of an event. */
export const WEEK_DAY_OFFSET: readonly Categorical[] = [0, 1, 2, 3, 4, 5, 6].map(
  (start) => new Categorical([0, 1, 2, 3, 4, 5, 6].map((k) => WEEKDAY_WEIGHT[(start + k) % 7] ?? 1)),
);

/** ISO-8601 text of an epoch-millisecond instant (UTC, milliseconds dropped). */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
