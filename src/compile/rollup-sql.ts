import type { Dialect } from '../dialect/dialect.js';
import { walkUp } from '../dialect/parent-walk.js';
import { rawSql } from '../dialect/sql.js';
import type { RollupFunction } from '../language/ast.js';
import { MAX_HIERARCHY_DEPTH } from '../model/tables.js';

/**
 * Roll-up metrics as one layer over the per-account relation: each account's value is
 * aggregated over its subtree, itself included, so a parent's rolled-up MRR is its own plus
 * all its descendants' (a leaf's is its own). The subtree comes from the ancestor closure of
 * the accounts table, walked up MAX_HIERARCHY_DEPTH levels with self-joins (no recursive SQL
 * on ClickHouse 18.16; imports refuse deeper chains, so the walk sees every ancestor). Parent
 * links are current state; accounts that do not exist at the time have no row in `relation`,
 * so they add nothing, though a chain still passes through them.
 */
export function rollupLayer(
  d: Dialect,
  relation: string,
  rollups: readonly { readonly column: string; readonly alias: string; readonly using: RollupFunction }[],
  /** The accounts relation (merged accounts left out, their children under the survivor). */
  accounts: string,
): string {
  const q = d.quoteIdentifier;
  const depth = MAX_HIERARCHY_DEPTH;
  const links = rawSql(`SELECT account_id, coalesce(parent_account_id, '') AS parent FROM ${accounts} tree`);
  const walk = walkUp(d, links, depth, 'every account').text;
  // One row per (member, ancestor-or-self): the walk's levels turned into rows.
  const level = Array.from({ length: depth }, (_, i) => `WHEN k = ${i + 1} THEN ${q(`p${i + 1}`)}`).join(' ');
  const pairs = `SELECT start AS account_id, ancestor FROM (
      SELECT start, CASE WHEN k = 0 THEN start ${level} END AS ancestor
      FROM (SELECT start, ${Array.from({ length: depth }, (_, i) => q(`p${i + 1}`)).join(', ')}, ${d.explodeRange(d.literal(0), d.literal(depth))} AS k
            FROM (${walk}) AS walked) AS levels) AS leveled
    WHERE ancestor <> ''`;
  const values = `SELECT account_id, ${rollups.map((r) => `${q(r.column)} AS ${q(`v_${r.alias}`)}`).join(', ')} FROM ${relation} AS rolled_values`;
  const aggregates = rollups.map((r) => {
    const v = q(`v_${r.alias}`);
    const value = r.using === 'count' ? v : d.toDouble(v);
    return `${d.aggregateIf(r.using, value, `${v} IS NOT NULL`)} AS ${q(r.alias)}`;
  });
  const members = d.joinOnAccount([`(${pairs}) AS subtree`, `(${values}) AS member_values`]);
  return `SELECT ancestor AS account_id, ${aggregates.join(', ')} FROM ${members} GROUP BY ancestor`;
}

/** The `layer` (a SELECT with account_id) with the roll-up columns joined to it. */
export function withRollups(
  d: Dialect,
  layer: string,
  relation: string,
  rollups: readonly { readonly column: string; readonly alias: string; readonly using: RollupFunction }[],
  accounts: string,
): string {
  if (rollups.length === 0) return layer;
  return `SELECT * FROM ${d.joinOnAccount([`(${layer}) AS unrolled`, `(${rollupLayer(d, relation, rollups, accounts)}) AS rolled`])}`;
}
