import type { ActivationDb } from './activation-db.js';

/**
 * The live memberships of the accounts triggers have seen, held in memory once read
 * (`load`), so an apply compares with them without a query. The activation file stays their
 * durable copy and is written first: the held copy changes only after a record has
 * committed. A sweep that writes the file by itself drops it (`forget`); until it is read
 * again, each apply asks the file for its accounts, as before.
 */
export class LiveMemberships {
  private held: Map<string, Set<string>> | null = null;

  constructor(private readonly db: ActivationDb) {}

  get loaded(): boolean {
    return this.held !== null;
  }

  /** Every known account's memberships (100,000 accounts: about a second). */
  async load(): Promise<void> {
    this.held = await this.db.memberships(null);
  }

  /** The memberships of those of `accounts` seen before (copies); the others are left out. */
  async of(accounts: readonly string[]): Promise<Map<string, Set<string>>> {
    if (!this.held) return this.db.memberships(accounts);
    const found = new Map<string, Set<string>>();
    for (const account of accounts) {
      const segments = this.held.get(account);
      if (segments) found.set(account, new Set(segments));
    }
    return found;
  }

  /** What `ActivationDb.record` committed: accounts seen for the first time, and changes. */
  recorded(
    changes: readonly { account: string; entered: readonly string[]; exited: readonly string[] }[],
    initial: readonly { account: string; segments: readonly string[] }[],
  ): void {
    const held = this.held;
    if (!held) return;
    for (const { account, segments } of initial) held.set(account, new Set(segments));
    for (const { account, entered, exited } of changes) {
      const segments = held.get(account) ?? new Set<string>();
      held.set(account, segments);
      for (const segment of entered) segments.add(segment);
      for (const segment of exited) segments.delete(segment);
    }
  }

  /** The file was written by other means (a sweep): ask it until loaded again. */
  forget(): void {
    this.held = null;
  }
}
