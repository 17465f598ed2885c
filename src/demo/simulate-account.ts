/**
 * One account from seed to rows: each simulation step draws from its own random
 * stream (keyed by seed, account index and step), so an account's data depends only
 * on the seed, its index and the world size, never on chunking or on other accounts.
 */

import { Rng } from '../random.js';
import { emitAccountRows, groundTruthLine } from './account-rows.js';
import { drawProfile } from './firmographics.js';
import { drawLifecycle } from './lifecycle.js';
import { drawUsers } from './people.js';
import type { Sinks } from './sink.js';
import { emitSurveys, emitTickets } from './support.js';
import { emitEvents } from './usage.js';

/** Random stream number of each step; never renumber, or every world changes. */
const Stream = { Profile: 0, Lifecycle: 1, Users: 2, Events: 3, Tickets: 4, Surveys: 5 } as const;

/** Simulates account `index` of `total` and writes its rows; returns its ground-truth CSV line. */
export function simulateAccount(seed: number, index: number, total: number, sinks: Sinks): string {
  const p = drawProfile(Rng.forAccount(seed, index, Stream.Profile), index, total, seed);
  const life = drawLifecycle(Rng.forAccount(seed, index, Stream.Lifecycle), p);
  const users = drawUsers(Rng.forAccount(seed, index, Stream.Users), p, life);
  emitAccountRows(p, life, users, sinks);
  emitEvents(Rng.forAccount(seed, index, Stream.Events), p, life, users, sinks.events);
  emitTickets(Rng.forAccount(seed, index, Stream.Tickets), p, life, users, sinks.tickets);
  emitSurveys(Rng.forAccount(seed, index, Stream.Surveys), p, life, users, sinks.surveys);
  return groundTruthLine(p, life);
}
