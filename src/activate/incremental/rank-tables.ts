/**
 * Percentile ranks among accounts, held in memory for the trigger segments evaluated there.
 * A rank compares one account's value with every other account's, so it cannot be kept
 * exact by the touched accounts alone: every account's value of each ranked metric is
 * computed again on a timer (the sweep, `refresh`), sorted, and held. Between refreshes a
 * touched account is ranked against the held values with its own replaced by its current
 * one, and the held values take it (so later evaluations see it too); accounts whose rank
 * moved only because others' values did are found at the next refresh. At a refresh's own
 * time the ranks are exact: the compiled SQL's percent_rank among the accounts existing
 * then, NULLs apart (src/dialect: `rankLayer`).
 */
export class RankTables {
  private readonly tables = new Map<string, RankTable>();
  /** The time (µs) of the latest refresh; null before the first. */
  refreshedAt: number | null = null;
  /** Data arrived since the latest refresh: the held ranks may be behind. */
  stale = false;

  constructor(
    /** The ranked metrics (innermost, never a percentile themselves). */
    readonly metrics: ReadonlySet<string>,
  ) {}

  get empty(): boolean {
    return this.metrics.size === 0;
  }

  /**
   * Holds every account's value of every ranked metric at `at` (µs): `values` has the
   * accounts existing then, each with its value per metric (the caller computes them, in
   * slices that let requests in).
   */
  replaceAll(values: ReadonlyMap<string, ReadonlyMap<string, number | null>>, at: number): void {
    for (const metric of this.metrics) {
      const own = new Map<string, number>();
      for (const [account, byMetric] of values) {
        const value = byMetric.get(metric);
        if (value !== null && value !== undefined && !Number.isNaN(value)) own.set(account, value);
      }
      const sorted = Float64Array.from(own.values()).sort();
      this.tables.set(metric, { own, sorted: Array.from(sorted) });
    }
    this.refreshedAt = at;
  }

  /**
   * The percentile rank (0-100, as SQL's percent_rank) of `account` whose value of `metric`
   * is now `value`, among the held values with its own replaced; null for a NULL value.
   * The held values take the new one.
   */
  percentile(metric: string, account: string, value: number | null): number | null {
    // Before the first refresh (or after one failed), the accounts ranked so far: never a crash
    // of the apply loop, and the next sweep's refresh makes the ranks exact.
    let table = this.tables.get(metric);
    if (!table) {
      table = { own: new Map(), sorted: [] };
      this.tables.set(metric, table);
      this.stale = true;
    }
    this.hold(table, account, value);
    if (value === null || Number.isNaN(value)) return null;
    const n = table.sorted.length;
    const below = countBelow(table.sorted, value);
    // The same double arithmetic as the SQL: 100 * ((rank - 1) / (count - 1)).
    return n === 1 ? 0 : 100 * (below / (n - 1));
  }

  /** Replaces the held value of `account` (removing it for NULL). */
  private hold(table: RankTable, account: string, value: number | null): void {
    const held = table.own.get(account);
    const next = value === null || Number.isNaN(value) ? undefined : value;
    if (held === next) return;
    if (held !== undefined) {
      table.sorted.splice(countBelow(table.sorted, held), 1);
      table.own.delete(account);
    }
    if (next !== undefined) {
      table.sorted.splice(countBelow(table.sorted, next), 0, next);
      table.own.set(account, next);
    }
  }
}

interface RankTable {
  /** Each account's held value (accounts with NULL are absent). */
  readonly own: Map<string, number>;
  /** Every held value, ascending. */
  readonly sorted: number[];
}

/** How many of the ascending `sorted` are strictly below `value` (binary search). */
function countBelow(sorted: readonly number[], value: number): number {
  let [low, high] = [0, sorted.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
