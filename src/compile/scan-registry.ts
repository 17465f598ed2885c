import type { Dialect } from '../dialect/dialect.js';

export type ScannedTable = 'events' | 'users' | 'tickets' | 'surveys' | 'trait_history';

/** Time column of each scanned table: no row after the evaluation time is read. */
const TIME_COLUMN: Readonly<Record<ScannedTable, string>> = {
  events: 'ts',
  users: 'created_at',
  tickets: 'created_at',
  surveys: 'ts',
  trait_history: 'ts',
};

/**
 * The per-account aggregates a compiled workspace needs, grouped by table: each table
 * is scanned once (GROUP BY account_id), every metric and condition being one filtered
 * aggregate of that scan. Identical aggregates are shared.
 */
export class ScanRegistry {
  private readonly aggregates = new Map<ScannedTable, string[]>();
  /** Row conditions of each table's aggregates: the scan reads only rows some aggregate needs. */
  private readonly conditions = new Map<ScannedTable, Set<string>>();

  constructor(
    private readonly dialect: Dialect,
    /** SQL timestamp literal of the evaluation time. */
    private readonly asOf: string,
  ) {}

  /** `fn` of `value` over the rows of `table` where `condition` holds; returns the column holding it. */
  aggregate(
    table: ScannedTable,
    fn: 'count' | 'sum' | 'avg' | 'min' | 'max',
    value: string,
    condition: string,
  ): string {
    return this.add(table, this.dialect.aggregateIf(fn, value, condition), condition);
  }

  /** `value` of the row with the largest `by` where `condition` holds; returns the column holding it. */
  argMax(table: ScannedTable, value: string, by: string, condition: string): string {
    return this.add(table, this.dialect.argMaxIf(value, by, condition), condition);
  }

  private add(table: ScannedTable, aggregate: string, condition: string): string {
    const list = this.aggregates.get(table) ?? [];
    this.aggregates.set(table, list);
    const conditions = this.conditions.get(table) ?? new Set<string>();
    this.conditions.set(table, conditions.add(condition));
    const index = list.indexOf(aggregate);
    const position = index >= 0 ? index : list.push(aggregate) - 1;
    return `${this.alias(table)}.${this.dialect.quoteIdentifier(`c${position}`)}`;
  }

  /** The LEFT JOINs that attach every used scan to `accounts a`. */
  joins(): string {
    const q = this.dialect.quoteIdentifier;
    return [...this.aggregates.entries()]
      .map(([table, list]) => {
        const time = q(TIME_COLUMN[table]);
        // Users may lack a creation time: they count as having always been there.
        const visible =
          table === 'users' ? `(${time} IS NULL OR ${time} <= ${this.asOf})` : `${time} <= ${this.asOf}`;
        // Rows no aggregate wants (events older than every window) are dropped before aggregating.
        const wanted = [...(this.conditions.get(table) ?? [])];
        const needed = wanted.includes('TRUE') ? '' : ` AND (${wanted.map((c) => `(${c})`).join(' OR ')})`;
        const columns = list.map((sql, i) => `${sql} AS ${q(`c${i}`)}`).join(', ');
        return `LEFT JOIN (SELECT account_id, ${columns} FROM ${q(table)} WHERE ${visible}${needed} GROUP BY account_id) ${this.alias(table)}
    ON ${this.alias(table)}.account_id = a.account_id`;
      })
      .join('\n    ');
  }

  private alias(table: ScannedTable): string {
    return this.dialect.quoteIdentifier(`scan_${table}`);
  }
}
