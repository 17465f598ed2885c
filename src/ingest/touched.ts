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
}
export const untouched = (): TouchedAccount => ({
  events: new Set(),
  traits: new Set(),
  arrived: [],
  only: true,
});
