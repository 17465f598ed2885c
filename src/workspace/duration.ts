/** Days in one unit of a window: d, w, m (30 days) and y (365 days). */
const UNIT_DAYS: Readonly<Record<string, number>> = { d: 1, w: 7, m: 30, y: 365 };

/** Parses a window such as `30d`, `12w`, `6m` or `1y` into whole days, or undefined if it is not one. */
export function parseWindowDays(text: string): number | undefined {
  const match = /^(\d+)\s*([dwmy])$/.exec(text.trim());
  if (!match) return undefined;
  const days = Number(match[1]) * (UNIT_DAYS[match[2] ?? 'd'] ?? 1);
  return days > 0 && days <= 36_500 ? days : undefined;
}
