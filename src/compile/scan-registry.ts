import type { AggregateFunction, Dialect } from '../dialect/dialect.js';
import type { Sql } from '../dialect/sql.js';

/**
 * The rows of each account, as relations with the tables' columns in which `account_id` is
 * the account a row counts for (src/identity/account-rows.ts builds them from the identity
 * rules and the merges; the bare tables when nothing changes them). `accounts` holds the
 * accounts evaluated (not those merged into another).
 */
export interface AccountRows {
  readonly accounts: Sql;
  readonly users: Sql;
  readonly events: Sql;
  readonly tickets: Sql;
  readonly surveys: Sql;
  readonly trait_history: Sql;
  readonly subscriptions: Sql;
  /**
   * The relations move rows between shards (a user of one shard counts for an account of
   * another): the scans must be joined to the accounts on the node that asked, not per shard.
   */
  readonly acrossShards: boolean;
}

/**
 * Which rows an aggregate needs: those of the last `days` days, or all rows of one `key` (an
 * event's name in events, a trait's in trait_history: the table's KEY_COLUMN).
 */
export interface Reach {
  readonly days: number | null;
  readonly key: string | null;
}

export type ScannedTable = 'events' | 'users' | 'tickets' | 'surveys' | 'trait_history';

/** Time column of each scanned table: no row after the evaluation time is read. */
const TIME_COLUMN: Readonly<Record<ScannedTable, string>> = {
  events: 'ts',
  users: 'created_at',
  tickets: 'created_at',
  surveys: 'ts',
  trait_history: 'ts',
};

/** The column a Reach's `key` names rows by, in the tables whose scans are narrowed by it. */
const KEY_COLUMN: Readonly<Partial<Record<ScannedTable, string>>> = {
  events: 'event',
  trait_history: 'trait',
};

/**
 * The per-account aggregates a compiled workspace needs, grouped by table: each table
 * is scanned once (GROUP BY account_id), every metric and condition being one filtered
 * aggregate of that scan. Identical aggregates are shared.
 */
export class ScanRegistry {
  private readonly aggregates = new Map<ScannedTable, string[]>();
  /**
   * How far back each table's aggregates reach, so the scan skips rows none of them
   * needs; a table with an aggregate of unknown reach is read whole.
   */
  private readonly reaches = new Map<ScannedTable, Reach[]>();
  private readonly unbounded = new Set<ScannedTable>();

  constructor(
    private readonly dialect: Dialect,
    /** SQL timestamp literal of the evaluation time. */
    private readonly asOf: string,
    /** The users and events of each account as the identity rules link them. */
    private readonly rows: AccountRows,
  ) {}

  /** `fn` of `value` over the rows of `table` where `condition` holds; returns the column holding it. */
  aggregate(
    table: ScannedTable,
    fn: AggregateFunction,
    value: string,
    condition: string,
    reach?: Reach | readonly Reach[],
  ): string {
    return this.add(table, this.dialect.aggregateIf(fn, value, condition), reach);
  }

  /** `value` of the row with the largest `by` where `condition` holds; returns the column holding it. */
  argMax(table: ScannedTable, value: string, by: string, condition: string): string {
    return this.add(table, this.dialect.argMaxIf(value, by, condition));
  }

  /** The latest row (by `by`) where `condition` holds, see Dialect.latestIf; returns the column holding it. */
  latest(table: ScannedTable, value: string, by: string, condition: string, reach?: Reach): string {
    return this.add(table, this.dialect.latestIf(value, by, condition), reach);
  }

  /** `reach`: how far back the aggregate reads, one per event when it reads several. */
  private add(table: ScannedTable, aggregate: string, reach?: Reach | readonly Reach[]): string {
    const list = this.aggregates.get(table) ?? [];
    this.aggregates.set(table, list);
    const reaches: readonly Reach[] = reach === undefined ? [] : 'days' in reach ? [reach] : reach;
    if (reaches.length > 0 && reaches.every((r) => r.days !== null || r.key !== null)) {
      this.reaches.set(table, [...(this.reaches.get(table) ?? []), ...reaches]);
    } else {
      this.unbounded.add(table);
    }
    const index = list.indexOf(aggregate);
    const position = index >= 0 ? index : list.push(aggregate) - 1;
    return this.column(table, position);
  }

  /** The tables some aggregate reads: the only relations of `rows` that `relations()` uses. */
  tables(): ReadonlySet<ScannedTable> {
    return new Set(this.aggregates.keys());
  }

  /** Every used scan as `(query) alias`: one row per account, columns `account_id` and `<table>_c<i>`. */
  relations(): string[] {
    const q = this.dialect.quoteIdentifier;
    return [...this.aggregates.entries()].map(([table, list]) => {
      const time = q(TIME_COLUMN[table]);
      // Users may lack a creation time: they count as having always been there.
      const visible =
        table === 'users' ? `(${time} IS NULL OR ${time} <= ${this.asOf})` : `${time} <= ${this.asOf}`;
      const needed = this.unbounded.has(table) ? '' : this.reachFilter(table, time);
      const columns = list.map((sql, i) => `${sql} AS ${this.column(table, i)}`).join(', ');
      const from = `${this.rows[table].text} rows`;
      return `(SELECT account_id, ${columns} FROM ${from} WHERE ${visible}${needed} GROUP BY account_id) ${this.alias(table)}`;
    });
  }

  /**
   * ` AND (time > as-of - longest window OR key IN (keys needed over all time))`: cheap per
   * row (the trait history read for the traits the workspace uses, as hand-written SQL does).
   */
  private reachFilter(table: ScannedTable, time: string): string {
    const reaches = this.reaches.get(table) ?? [];
    const windows = reaches.flatMap((r) => (r.days === null ? [] : [r.days]));
    const allTime = [...new Set(reaches.flatMap((r) => (r.days === null && r.key !== null ? [r.key] : [])))];
    const key = KEY_COLUMN[table];
    // Keys without a column to name them by: the whole table is read.
    if (allTime.length > 0 && !key) return '';
    const parts: string[] = [];
    if (windows.length > 0)
      parts.push(`${time} > ${this.dialect.minusDays(this.asOf, Math.max(...windows))}`);
    if (allTime.length > 0 && key) {
      const keys = allTime.map((k) => this.dialect.literal(k)).join(', ');
      parts.push(`${this.dialect.quoteIdentifier(key)} IN (${keys})`);
    }
    return parts.length > 0 ? ` AND (${parts.join(' OR ')})` : '';
  }

  /** Unique across scans and accounts, so it is referenced by bare name after the joins. */
  private column(table: ScannedTable, position: number): string {
    return this.dialect.quoteIdentifier(`${table}_c${position}`);
  }

  private alias(table: ScannedTable): string {
    return this.dialect.quoteIdentifier(`scan_${table}`);
  }
}
