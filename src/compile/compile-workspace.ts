import type { Dialect } from '../dialect/dialect.js';
import { rawSql, type Sql } from '../dialect/sql.js';
import type { ConditionNode, MetricNode, SegmentNode } from '../language/ast.js';
import { conditionPaths, isBranch } from '../language/condition-paths.js';
import { withRollups } from './rollup-sql.js';
import type { AccountRows, ScannedTable } from './scan-registry.js';
import { WorkspaceCompiler } from './workspace-compiler.js';

/** What a workspace compiles from: named metrics and segments, already checked by src/workspace. */
export interface CompileInput {
  readonly metrics: Readonly<Record<string, MetricNode>>;
  readonly segments: readonly SegmentNode[];
  /** The instant the workspace is evaluated at: no row after it is seen. */
  readonly asOf: Date;
  /** The users and events of each account (src/identity/account-rows.ts): who counts where. */
  readonly rows: AccountRows;
  /** Metrics given a column of the output (default every one); conditions may use others. */
  readonly metricOutputs?: readonly string[];
  /**
   * Also output condition nodes of every segment (`explainColumn`: holds or not) and each
   * leaf's value (`explainValueColumn`), from the same expressions the segment flags use:
   * every node with values as text for `strata explain` ('nodes'), the leaves with their
   * values as computed for a run's audit trail ('leaves': what changed when an account
   * entered or left).
   */
  readonly explain?: 'nodes' | 'leaves';
}

/** Column name of a metric and of a segment flag in the compiled relation. */
export const metricColumn = (name: string) => `metric:${name}`;
export const segmentColumn = (id: string) => `segment:${id}`;
/** Columns of an explained condition node (`path` as in strata.yaml: where.any[1]): whether it holds, and a leaf's value. */
export const explainColumn = (id: string, path: string) => `explain:${id}:${path}`;
export const explainValueColumn = (id: string, path: string) => `explain-value:${id}:${path}`;

/** Whether a leaf has a value column (`explainValueColumn`): every kind but segment membership. */
export const leafHasValue = (node: ConditionNode) => !isBranch(node) && node.kind !== 'segment';

/**
 * Compiles a workspace into ONE query with one row per account that exists at `asOf`:
 * its metric values and a boolean per segment. Each table is scanned once, every metric
 * and condition being a filtered aggregate of that scan; percentile ranks are one window
 * layer over the result; segment references and parents are inlined (cycles were
 * rejected when the workspace was loaded).
 */
export function compileWorkspace(dialect: Dialect, input: CompileInput): Sql {
  const layers = compileLayers(dialect, input);
  if (layers.needsTable) {
    throw new Error(`${dialect.name} ranks need the base layer in a table: use compileLayers`);
  }
  return layers.finish(dialect.sql`(${layers.base})`);
}

/**
 * The compiled workspace in two layers: `base` (one row per account, one column per
 * aggregate-derived value) and `finish(relation)`, which adds the percentile ranks of
 * base columns and names the outputs. A dialect without window functions needs the base
 * in a table first (`rankNeedsTable`).
 */
export interface CompiledLayers {
  readonly base: Sql;
  readonly ranks: readonly { readonly column: string; readonly alias: string }[];
  /** The dialect needs the base layer in a table before `finish` (ranks or positions without window functions). */
  readonly needsTable: boolean;
  finish(relation: Sql): Sql;
}

/** The output columns: metrics, segment flags, and with `explain` condition nodes and leaf values. */
function outputColumns(dialect: Dialect, compiler: WorkspaceCompiler, input: CompileInput): string[] {
  const q = dialect.quoteIdentifier;
  const outputNames = new Set(input.metricOutputs ?? Object.keys(input.metrics));
  const explained = (s: SegmentNode) =>
    conditionPaths(s.where).flatMap(({ node, path }) => {
      const leaves = input.explain === 'leaves';
      if (leaves && isBranch(node)) return [];
      // The metric column has an output metric's value; a segment's flag says whether
      // its whole condition holds when it has no parent.
      const kept = leaves && node.kind === 'metric' && outputNames.has(node.metric);
      const value = kept ? null : compiler.leafValue(node, !leaves);
      const flagged = leaves && path === 'where' && !s.parent;
      return [
        ...(flagged ? [] : [`${compiler.condition(node)} AS ${q(explainColumn(s.id, path))}`]),
        ...(value ? [`${value} AS ${q(explainValueColumn(s.id, path))}`] : []),
      ];
    });
  return [
    ...[...outputNames].map((name) => `${compiler.metricRef(name)} AS ${q(metricColumn(name))}`),
    ...input.segments.map((s) => `${compiler.segment(s.id)} AS ${q(segmentColumn(s.id))}`),
    ...(input.explain ? input.segments.flatMap(explained) : []),
  ];
}

/**
 * The tables whose rows the compiled workspace aggregates, found by compiling its outputs
 * without laying them out (a few milliseconds): a caller builds only the relations read, so a
 * workspace that counts no users pays nothing for the identity rules' links of users.
 */
export function scannedTables(
  dialect: Dialect,
  input: Omit<CompileInput, 'rows'>,
): ReadonlySet<ScannedTable> {
  const q = (table: string) => rawSql(dialect.quoteIdentifier(table));
  // Never read: the scans' relations are laid out only by compileLayers.
  const rows: AccountRows = {
    accounts: q('accounts'),
    users: q('users'),
    events: q('events'),
    tickets: q('tickets'),
    surveys: q('surveys'),
    trait_history: q('trait_history'),
    subscriptions: q('subscriptions'),
    acrossShards: false,
  };
  const compiler = new WorkspaceCompiler(dialect, { ...input, rows });
  outputColumns(dialect, compiler, { ...input, rows });
  return compiler.scans.tables();
}

/**
 * Compiles the workspace's outputs (which gathers the columns and scans they need), then
 * lays out the base layer over those scans and the rank layers over it.
 */
export function compileLayers(dialect: Dialect, input: CompileInput): CompiledLayers {
  const compiler = new WorkspaceCompiler(dialect, input);
  const outputs = outputColumns(dialect, compiler, input);
  const { columns, scans, asOf } = compiler;
  // Account columns are referenced by bare name and scan columns have unique names, so
  // the dialect may nest the joins (ClickHouse 18.16 allows one JOIN per SELECT).
  // A subquery as the left side keeps every join on the node that asked (ClickHouse rewrites
  // a join of a Distributed table into per-shard joins).
  const accountRows = input.rows.accounts.text;
  const accounts =
    accountRows === dialect.quoteIdentifier('accounts') && !input.rows.acrossShards
      ? accountRows
      : `(SELECT * FROM ${accountRows} evaluated) ${dialect.quoteIdentifier('all_accounts')}`;
  const from = dialect.joinOnAccount([accounts, ...scans.relations()]);
  const base = columns.baseLayer(from, `created_at <= ${asOf}`);
  const { ranks, positions, rollups } = columns;
  return {
    base: rawSql(base),
    ranks,
    // Roll-ups read the base layer a second time (the values of an account's subtree).
    needsTable: dialect.rankNeedsTable && (ranks.length > 0 || positions.length > 0 || rollups.length > 0),
    finish: (relation: Sql) => {
      let layer =
        ranks.length > 0 ? dialect.rankLayer(relation.text, ranks) : `SELECT * FROM ${relation.text}`;
      if (positions.length > 0) layer = dialect.positionLayer(relation.text, positions, layer);
      layer = withRollups(dialect, layer, relation.text, rollups, accountRows);
      return rawSql(`SELECT r.account_id${outputs.map((o) => `,\n  ${o}`).join('')}\nFROM (${layer}) r`);
    },
  };
}
