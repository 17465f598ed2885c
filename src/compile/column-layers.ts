import type { Dialect } from '../dialect/dialect.js';
import type { RollupFunction } from '../language/ast.js';

interface Column {
  readonly name: string;
  readonly sql: string;
}

/**
 * The columns of the compiled layers, each computed once: `b<i>` in the base layer (one
 * row per account over the scans), `d<i>` in a derived layer around it (saved models over
 * their feature columns), `t<i>` staged for the derived layer in a layer of their own and
 * dropped after it (a boosted model's trees, one column each: DuckDB plans a sum of a hundred
 * trees in one expression four times slower), `p<i>` percentile ranks, `q<i>` rank positions and `u<i>` roll-ups of those. A
 * column is found again by a structural key the caller gives (a metric's definition, a
 * trait and its type), never by comparing SQL text. References are `r."<name>"`.
 */
export class ColumnLayers {
  private readonly base = new Map<string, Column>();
  private readonly derived = new Map<string, Column>();
  private readonly staged = new Map<string, Column>();
  /** Ranked columns by name; rank i is `p<i>`. */
  private readonly ranked: string[] = [];
  /** Positioned (column, pool) pairs; position i is `q<i>`, with the pool's size in `q<i>_count`. */
  private readonly positioned: { readonly column: string; readonly pool: string }[] = [];
  /** Rolled-up (column, function) pairs; roll-up i is `u<i>`. */
  private readonly rolled: { readonly column: string; readonly using: RollupFunction }[] = [];
  /** The column name behind each reference handed out. */
  private readonly names = new Map<string, string>();

  constructor(private readonly dialect: Dialect) {}

  /** The base column for `key`, computing its SQL (`build`) the first time. */
  baseColumn(key: string, build: () => string): string {
    return this.add(this.base, 'b', key, build);
  }

  /** The derived column for `key` (over base columns), computing its SQL the first time. */
  derivedColumn(key: string, build: () => string): string {
    return this.add(this.derived, 'd', key, build);
  }

  /**
   * A column over base columns for a derived column's SQL to read: its quoted name in the
   * derived layer (`"t<i>"`), computing its SQL the first time.
   */
  stagedColumn(key: string, build: () => string): string {
    this.add(this.staged, 't', key, build);
    return this.dialect.quoteIdentifier(this.staged.get(key)?.name ?? '');
  }

  /** The percentile rank (0-100) of a base or derived column. */
  rank(ref: string): string {
    const column = this.nameOf(ref);
    const index = this.ranked.indexOf(column);
    return this.ref(`p${index >= 0 ? index : this.ranked.push(column) - 1}`);
  }

  /** The rank position of a column among the rows whose `pool` column is 1, and the pool's size. */
  position(ref: string, poolRef: string): { readonly position: string; readonly count: string } {
    const column = this.nameOf(ref);
    const pool = this.nameOf(poolRef);
    const index = this.positioned.findIndex((p) => p.column === column && p.pool === pool);
    const i = index >= 0 ? index : this.positioned.push({ column, pool }) - 1;
    return { position: this.ref(`q${i}`), count: this.ref(`q${i}_count`) };
  }

  /** `using` of a base or derived column over each account's hierarchy (src/compile/rollup-sql.ts). */
  rollup(ref: string, using: RollupFunction): string {
    const column = this.nameOf(ref);
    const index = this.rolled.findIndex((r) => r.column === column && r.using === using);
    return this.ref(`u${index >= 0 ? index : this.rolled.push({ column, using }) - 1}`);
  }

  /** The quoted name of a base or derived column, as a layer around it sees it. */
  quotedName(ref: string): string {
    return this.dialect.quoteIdentifier(this.nameOf(ref));
  }

  /**
   * The base layer: the account columns and scans joined (`from`), filtered by `where`,
   * with every base column, wrapped in the derived layer when there is one.
   */
  baseLayer(from: string, where: string): string {
    const q = this.dialect.quoteIdentifier;
    const columns = (list: Map<string, Column>) =>
      [...list.values()].map(({ name, sql }) => `,\n      ${sql} AS ${q(name)}`).join('');
    const inner = `SELECT account_id${columns(this.base)}
    FROM ${from}
    WHERE ${where}`;
    if (this.derived.size === 0) return inner;
    if (this.staged.size === 0)
      return `SELECT *${columns(this.derived)}
    FROM (${inner}) features`;
    // The staged columns are read by the derived ones and left out of what follows.
    const kept = ['account_id', ...[...this.base.values()].map(({ name }) => name)].map(q).join(', ');
    return `SELECT ${kept}${columns(this.derived)}
    FROM (SELECT *${columns(this.staged)}
      FROM (${inner}) features) staged`;
  }

  get ranks(): { readonly column: string; readonly alias: string }[] {
    return this.ranked.map((column, i) => ({ column, alias: `p${i}` }));
  }

  get rollups(): { readonly column: string; readonly alias: string; readonly using: RollupFunction }[] {
    return this.rolled.map(({ column, using }, i) => ({ column, alias: `u${i}`, using }));
  }

  get positions(): { readonly column: string; readonly alias: string; readonly pool: string }[] {
    return this.positioned.map(({ column, pool }, i) => ({ column, alias: `q${i}`, pool }));
  }

  private add(list: Map<string, Column>, prefix: string, key: string, build: () => string): string {
    let column = list.get(key);
    if (!column) {
      // Built before the name is taken: building may add other columns (features of a model).
      const sql = build();
      column = { name: `${prefix}${list.size}`, sql };
      list.set(key, column);
    }
    return this.ref(column.name);
  }

  private ref(name: string): string {
    const ref = `r.${this.dialect.quoteIdentifier(name)}`;
    this.names.set(ref, name);
    return ref;
  }

  private nameOf(ref: string): string {
    const name = this.names.get(ref);
    if (name === undefined || !/^[bd]\d+$/.test(name)) throw new Error(`not a base column: ${ref}`);
    return name;
  }
}
