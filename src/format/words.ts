/**
 * Words for numbers and settings: a change by its direction, plurals, lists, durations and
 * playbooks written as sentences rather than JSON.
 */

/** "1 account", "2 accounts"; `plural` for irregular words ("1 entry", "3 entries"). */
export function plural(
  n: number,
  singular: string,
  pluralForm = `${singular}s`,
  shown = n.toLocaleString('en-US'),
): string {
  return `${shown} ${n === 1 ? singular : pluralForm}`;
}

/** "email", "email and call", "email, call and chat". */
export function listWords(items: readonly string[], conjunction = 'and'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1)}`;
}

/**
 * A change by its direction: "rose by 8.3", "fell by 8.3", "did not change". `magnitude` formats
 * the absolute change (a score, money, a count).
 */
export function changeWords(change: number, magnitude: (value: number) => string): string {
  if (!Number.isFinite(change)) return 'has no earlier value to compare';
  const size = magnitude(Math.abs(change));
  if (change === 0 || /^[^1-9]*$/.test(size)) return 'did not change';
  return `${change > 0 ? 'rose' : 'fell'} by ${size}`;
}

const UNITS: readonly [number, string][] = [
  [86_400, 'day'],
  [3_600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/**
 * A duration in words, to its two largest units: "3 days 4 hours", "2 minutes 5 seconds",
 * "0.4 seconds" below one second.
 */
export function durationWords(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'an unknown time';
  if (seconds < 1) return `${(Math.round(seconds * 10) / 10).toString()} seconds`;
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [size, unit] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0 && parts.length < 2) parts.push(plural(n, unit));
    rest -= n * size;
    if (parts.length > 0 && n === 0) break;
  }
  return parts.join(' ');
}

/** A window as strata.yaml writes it (30d, 2w, 3m, 1y) in words: "30 days", "2 weeks". */
export function windowWords(window: string): string {
  const match = /^(\d+)\s*([dwmy])$/.exec(window.trim());
  if (!match) return window;
  const unit = { d: 'day', w: 'week', m: 'month', y: 'year' }[match[2] as 'd' | 'w' | 'm' | 'y'];
  return plural(Number(match[1]), unit);
}

/** A value of a setting as words: lists joined, objects as "key value", no JSON. */
export function valueWords(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return listWords(value.map(valueWords));
  if (typeof value === 'object')
    return Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => `${key} ${valueWords(inner)}`)
      .join('; ');
  return String(value);
}

/** What a playbook says, as strata.yaml's keys may hold it. */
export interface PlaybookWords {
  owner?: string | undefined;
  touch?: string | undefined;
  cadence?: string | undefined;
  channels?: readonly string[] | undefined;
  goal?: string | undefined;
  message?: string | undefined;
  successMetrics?: readonly string[] | undefined;
  priority?: string | undefined;
  [other: string]: unknown;
}

/** Offers as a list: "seats (upsell) and analytics add-on (cross-sell)". */
function offersWords(offers: unknown): string | undefined {
  if (!Array.isArray(offers) || offers.length === 0) return undefined;
  return listWords(
    offers.map((offer) =>
      typeof offer === 'object' && offer !== null && 'offer' in offer
        ? `${String(offer.offer)} (${String((offer as { kind?: unknown }).kind ?? 'offer').replace('_', '-')})`
        : String(offer),
    ),
  );
}

/** A touch model in words: "1:10" is one owner for every 10 accounts, "1:many" one for all. */
function touchWords(touch: string): string {
  const per = touch.split(':')[1];
  if (per === 'many') return `${touch} (one owner for many accounts)`;
  return `${touch} (one owner for every ${per ?? '?'} accounts)`;
}

/** Known playbook keys as labelled lines, in reading order; the others follow as they are. */
export function playbookLines(playbook: PlaybookWords): [string, string][] {
  const lines: [string, string][] = [];
  const add = (label: string, text: string | undefined) => {
    if (text) lines.push([label, text]);
  };
  add('owner', playbook.owner);
  add('goal', playbook.goal);
  add('touch', playbook.touch ? touchWords(playbook.touch) : undefined);
  add('cadence', playbook.cadence);
  add('channels', playbook.channels ? listWords(playbook.channels) : undefined);
  add('message', playbook.message);
  add('offers', offersWords(playbook.offers));
  add('success measured by', playbook.successMetrics ? listWords(playbook.successMetrics) : undefined);
  add('worked in order of', playbook.priority ? `${playbook.priority}, highest first` : undefined);
  const known = new Set([
    'owner',
    'goal',
    'touch',
    'cadence',
    'channels',
    'message',
    'offers',
    'successMetrics',
    'priority',
  ]);
  for (const [key, value] of Object.entries(playbook))
    if (!known.has(key) && value !== undefined && value !== null) add(key, valueWords(value));
  return lines;
}
