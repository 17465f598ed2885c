/**
 * The users of an account: the founder-admin at signup, colleagues invited during the
 * trial, and seat holders who join after payment. Head count follows the largest number
 * of seats the account ever bought, and nobody joins after the account went quiet.
 */

import type { Rng } from '../random.js';
import { DAY_MS, HOUR_MS } from './calendar.js';
import { FIRST_NAMES, LAST_NAMES } from './catalog.js';
import type { Lifecycle, Profile, User } from './story.js';

/** Upper bound of users per account, so one huge customer cannot dominate the event table. */
const MAX_USERS = 250;
/** Mean days after payment until a seat holder first logs in. */
const JOIN_MEAN_DAYS = 70;

/** Draws the users of one account, sorted by creation time (ids follow that order). */
export function drawUsers(rng: Rng, p: Profile, life: Lifecycle): User[] {
  const times: number[] = [p.createdAt];
  if (life.trialStart !== null) {
    const invited = rng.poisson(0.9);
    for (let k = 0; k < invited; k++) times.push(life.trialStart + rng.uniform(0.1, 10) * DAY_MS);
  }
  if (life.paidAt !== null) {
    let maxSeats = 1;
    for (const period of life.periods) if (period.seats > maxSeats) maxSeats = period.seats;
    const target = Math.min(MAX_USERS, Math.max(1, Math.round(maxSeats * rng.uniform(0.55, 0.95))));
    for (let k = times.length; k < target; k++)
      times.push(life.paidAt + rng.exponential(JOIN_MEAN_DAYS * DAY_MS));
  }
  const alive = times.filter((t) => t <= life.activeEnd - HOUR_MS || t === p.createdAt).sort((a, b) => a - b);

  const used = new Set<string>();
  const users: User[] = [];
  for (let k = 0; k < alive.length; k++) {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    let local = `${first}.${last}`;
    if (used.has(local)) local = `${first}.${last}${k}`;
    used.add(local);
    const role =
      k === 0 ? 'admin' : k === 1 && life.paidAt !== null ? 'billing' : rng.bool(0.08) ? 'admin' : 'member';
    users.push({
      userId: `u_${p.code}_${k.toString(36)}`,
      email: `${local}@${p.domain}`,
      role,
      createdAt: alive[k] ?? p.createdAt,
    });
  }
  return users;
}
