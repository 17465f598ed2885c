import { randomUUID } from 'node:crypto';
import type { MetricNode } from '../../compile/ast.js';
import { compileLayers, metricColumn } from '../../compile/compile-workspace.js';
import { cellSql, fmSql, NEVER_ACTIVE, quintileSql } from '../../compile/rfm-sql.js';
import { evaluateLayers } from '../../engine/evaluate.js';
import type { Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import { metricNode, withInputs } from '../../workspace/metric-closure.js';
import { DEFAULT_RFM_CELLS, type RfmCell } from '../../workspace/workspace-schema.js';

/**
 * RFM for SaaS: recency (days since last activity), frequency (activity per period) and
 * monetary value (MRR by default), each scored 1-5 by quintile and combined into named
 * cells. All in the database; only the per-cell totals come back.
 *
 * Scoring rule (the same as pandas `qcut(x.rank(method='first'), 5)`): accounts are ranked
 * 1..n by the value ascending, ties broken by account_id; rank r gets score k when
 * 1 + (n-1)(k-1)/5 < r <= 1 + (n-1)k/5 (score 1 from rank 1). Frequency and monetary
 * score 5 for the highest values; recency scores 5 for the most recent (fewest days), and
 * an account never active counts as the least recent. A missing frequency or monetary
 * value counts as 0. FM is the mean of F and M rounded half up.
 */

export interface RfmScores {
  /** Scratch table: account_id, recency, frequency, monetary, r, f, m, fm, cell. Drop it with store.dropScratch. */
  readonly table: string;
  readonly accounts: number;
  readonly metrics: { readonly recency: string; readonly frequency: string; readonly monetary: string };
}

export interface RfmReport {
  readonly asOf: string;
  readonly accounts: number;
  readonly metrics: RfmScores['metrics'];
  /** Per named cell, in the configured order (cells without accounts included): size and KPIs. */
  readonly cells: readonly {
    readonly cell: string;
    readonly accounts: number;
    readonly share: number;
    readonly recency: number | null;
    readonly frequency: number | null;
    readonly monetary: number | null;
    readonly monetaryTotal: number;
  }[];
  /** Accounts per (R, FM) score pair: the grid a heatmap draws. */
  readonly grid: readonly { readonly r: number; readonly fm: number; readonly accounts: number }[];
}

/** Scores every account at `asOf` into a scratch table. */
export async function scoreRfm(store: Store, workspace: Workspace, asOf: Date): Promise<RfmScores> {
  const q = store.dialect.quoteIdentifier;
  const lit = store.dialect.literal;
  const config = workspace.config.rfm ?? {};
  const roots: Record<string, MetricNode> = {
    'rfm:recency': config.recency
      ? metricNode(workspace, config.recency, ['rfm', 'recency'])
      : { kind: 'builtin', name: 'last_seen_days' },
    'rfm:frequency': config.frequency
      ? metricNode(workspace, config.frequency, ['rfm', 'frequency'])
      : { kind: 'builtin', name: 'sessions_30d' },
    'rfm:monetary': config.monetary
      ? metricNode(workspace, config.monetary, ['rfm', 'monetary'])
      : { kind: 'trait', trait: 'mrr' },
  };
  const id = randomUUID().replaceAll('-', '').slice(0, 12);
  const names = {
    values: `strata_rfm_values_${id}`,
    positions: `strata_rfm_positions_${id}`,
    scores: `strata_rfm_${id}`,
  };
  const layers = compileLayers(store.dialect, { metrics: withInputs(workspace, roots), segments: [], asOf });
  const column = (name: string) => q(metricColumn(`rfm:${name}`));
  const evaluation = await evaluateLayers(store, layers, 'strata_rfm_evaluation');
  try {
    // Sort keys without NULLs: never active sorts as the least recent, no value as 0.
    await store.createScratch(
      names.values,
      `SELECT account_id, ${column('recency')} AS recency, coalesce(${column('frequency')}, 0) AS frequency,
         coalesce(${column('monetary')}, 0) AS monetary, coalesce(${store.dialect.toDouble(column('recency'))}, ${lit(NEVER_ACTIVE)}) AS recency_key
       FROM ${evaluation}`,
    );
  } finally {
    await store.dropScratch(evaluation);
  }
  try {
    const [counted] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM ${q(names.values)}`);
    const n = Number(counted?.n ?? 0);
    await store.createScratch(
      names.positions,
      store.dialect.positionLayer(q(names.values), [
        { column: 'recency_key', alias: 'r_position' },
        { column: 'frequency', alias: 'f_position' },
        { column: 'monetary', alias: 'm_position' },
      ]),
    );
    const quintile = (position: string) => quintileSql(position, `${position}_count`);
    const scored = `SELECT account_id, recency, frequency, monetary, 6 - ${quintile('r_position')} AS r,
        ${quintile('f_position')} AS f, ${quintile('m_position')} AS m FROM ${q(names.positions)}`;
    const cells: readonly RfmCell[] = config.cells ?? DEFAULT_RFM_CELLS;
    const cell = cellSql(cells, { r: 'r', f: 'f', m: 'm', fm: 'fm' }, lit);
    await store.createScratch(
      names.scores,
      `SELECT account_id, recency, frequency, monetary, r, f, m, fm, ${cell} AS cell
       FROM (SELECT scored.*, ${fmSql('f', 'm')} AS fm FROM (${scored}) scored) with_fm`,
    );
    return {
      table: q(names.scores),
      accounts: n,
      metrics: {
        recency: config.recency ?? 'last_seen_days',
        frequency: config.frequency ?? 'sessions_30d',
        monetary: config.monetary ?? 'mrr',
      },
    };
  } finally {
    await store.dropScratch(names.values);
    await store.dropScratch(names.positions);
  }
}

/** `strata analyze rfm`: accounts and KPIs per named cell, and the R x FM grid. */
export async function analyzeRfm(store: Store, workspace: Workspace, asOf: Date): Promise<RfmReport> {
  const scores = await scoreRfm(store, workspace, asOf);
  try {
    const perCell = await store.query<{
      cell: string;
      accounts: number;
      recency: number | null;
      frequency: number | null;
      monetary: number | null;
      monetary_total: number | null;
    }>(
      `SELECT cell, count(*) AS accounts, avg(recency) AS recency, avg(frequency) AS frequency,
         avg(monetary) AS monetary, sum(monetary) AS monetary_total FROM ${scores.table} GROUP BY cell`,
    );
    const grid = await store.query<{ r: number; fm: number; accounts: number }>(
      `SELECT r, fm, count(*) AS accounts FROM ${scores.table} GROUP BY r, fm ORDER BY r DESC, fm DESC`,
    );
    const names = [...(workspace.config.rfm?.cells ?? DEFAULT_RFM_CELLS).map((c) => c.name), 'Other'];
    const cells = names
      .map((cell) => {
        const row = perCell.find((r) => r.cell === cell);
        return {
          cell,
          accounts: Number(row?.accounts ?? 0),
          share: scores.accounts === 0 ? 0 : Number(row?.accounts ?? 0) / scores.accounts,
          recency: row?.recency ?? null,
          frequency: row?.frequency ?? null,
          monetary: row?.monetary ?? null,
          monetaryTotal: Number(row?.monetary_total ?? 0),
        };
      })
      .filter((c) => c.cell !== 'Other' || c.accounts > 0);
    return {
      asOf: asOf.toISOString(),
      accounts: scores.accounts,
      metrics: scores.metrics,
      cells,
      grid: grid.map((g) => ({ r: Number(g.r), fm: Number(g.fm), accounts: Number(g.accounts) })),
    };
  } finally {
    await store.dropScratch(scores.table);
  }
}

/** The accounts of one cell of the R x FM grid (a page of them, highest monetary first), for drill-downs. */
export async function rfmGridAccounts(
  store: Store,
  workspace: Workspace,
  asOf: Date,
  options: { r: number; fm: number; limit: number; offset: number },
) {
  const lit = store.dialect.literal;
  const scores = await scoreRfm(store, workspace, asOf);
  try {
    const where = `s.r = ${lit(options.r)} AND s.fm = ${lit(options.fm)}`;
    const [total] = await store.query<{ n: number }>(
      `SELECT count(*) AS n FROM ${scores.table} s WHERE ${where}`,
    );
    const accounts = await store.query<{
      account_id: string;
      name: string | null;
      recency: number | null;
      frequency: number | null;
      monetary: number | null;
      cell: string;
    }>(
      `SELECT s.account_id AS account_id, a.name AS name, s.recency AS recency, s.frequency AS frequency,
         s.monetary AS monetary, s.cell AS cell
       FROM ${scores.table} s LEFT JOIN accounts a ON a.account_id = s.account_id
       WHERE ${where} ORDER BY s.monetary DESC, s.account_id LIMIT ${lit(options.limit)} OFFSET ${lit(options.offset)}`,
    );
    return { asOf: asOf.toISOString(), r: options.r, fm: options.fm, total: Number(total?.n ?? 0), accounts };
  } finally {
    await store.dropScratch(scores.table);
  }
}
