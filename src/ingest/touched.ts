/**
 * What an apply changed for each account: the events it got and the traits that changed
 * (for triggers). `arrived` holds the new events that name the account (their time as
 * stored); `only` says they are all that changed for it (no trait, no account or user row,
 * no event counted through a user, no copy of a stored event), so in-memory state can take
 * them as they are instead of reading the account again.
 */
export type Touched = Map<string, TouchedAccount>;
export interface TouchedAccount {
  readonly events: Set<string>;
  readonly traits: Set<string>;
  readonly arrived: { readonly event: string; readonly ts: string }[];
  only: boolean;
  /**
   * The events that count for it are the stored ones plus `arrived` (none came through a
   * user, no user of it with an event that names no account changed, none was a copy),
   * whatever else changed (its traits, its row, its users): in-memory state may read its
   * other rows again and keep its events.
   */
  eventsKnown: boolean;
}
export const untouched = (): TouchedAccount => ({
  events: new Set(),
  traits: new Set(),
  arrived: [],
  only: true,
  eventsKnown: true,
});

/** What a batch's rows touch, per account (see `Touched`). */
export function touchedBy(batch: {
  readonly events: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  readonly traitChanges: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  readonly changedAccounts: ReadonlyMap<string, unknown>;
  readonly changedUsers: ReadonlyMap<string, unknown>;
  /** The accounts each user of an event without an account, or changed, is linked to now. */
  readonly linked: ReadonlyMap<string, readonly string[]>;
  /** Changed users linked to another account than before, and the account each left. */
  readonly left: ReadonlyMap<string, string>;
  /** Users with an event without an account (in this batch or stored): their accounts' events may move. */
  readonly carriers: ReadonlySet<string>;
  /** Every event was new (none a copy of a stored one). */
  readonly allNew: boolean;
}): Touched {
  const touched: Touched = new Map();
  /** `how`: by an event naming it, by its own row or traits, or through a user. */
  const touch = (account: string, how: 'event' | 'row' | 'user') => {
    const entry = touched.get(account) ?? untouched();
    touched.set(account, entry);
    entry.only &&= how === 'event' && batch.allNew;
    entry.eventsKnown &&= how !== 'user' && batch.allNew;
    return entry;
  };
  for (const event of batch.events.values()) {
    if (event.account_id !== '') {
      const entry = touch(String(event.account_id), 'event');
      entry.events.add(String(event.event));
      entry.arrived.push({ event: String(event.event), ts: String(event.ts) });
      continue;
    }
    for (const account of batch.linked.get(String(event.user_id)) ?? [])
      touch(account, 'user').events.add(String(event.event));
  }
  for (const change of batch.traitChanges.values())
    touch(String(change.account_id), 'row').traits.add(String(change.trait));
  for (const account of batch.changedAccounts.keys()) touch(account, 'row');
  // A changed user is a seat of its accounts (their rows are read again); their events change
  // only when some of the user's events name no account.
  for (const user of batch.changedUsers.keys()) {
    const how = batch.carriers.has(user) ? 'user' : 'row';
    for (const account of batch.linked.get(user) ?? []) touch(account, how);
    const was = batch.left.get(user);
    if (was !== undefined) touch(was, how);
  }
  return touched;
}

/**
 * `touched` with each merged-away account's entry under its survivor (`survivors`: merged id
 * to survivor id), whose data the merged account's rows now count for. The survivor's entry
 * is not `only`: its state is read again, with the merged account's rows under it.
 */
export function underSurvivors(touched: Touched, survivors: ReadonlyMap<string, string>): Touched {
  if (survivors.size === 0 || ![...touched.keys()].some((a) => survivors.has(a))) return touched;
  const moved: Touched = new Map();
  for (const [account, entry] of touched) {
    const survivor = survivors.get(account);
    const into = moved.get(survivor ?? account) ?? untouched();
    moved.set(survivor ?? account, joinTouch(into, entry, survivor === undefined));
  }
  return moved;
}

/**
 * `entry` added to `into` (the same account, from another part of an apply); `own`: false when
 * the entry is another account's (merged away), whose rows the state must read.
 */
export function joinTouch(into: TouchedAccount, entry: TouchedAccount, own = true): TouchedAccount {
  for (const event of entry.events) into.events.add(event);
  for (const trait of entry.traits) into.traits.add(trait);
  into.arrived.push(...entry.arrived);
  into.only &&= entry.only && own;
  into.eventsKnown &&= entry.eventsKnown && own;
  return into;
}
