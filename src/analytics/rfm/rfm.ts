import { randomUUID } from 'node:crypto';
import { compileLayers, metricColumn } from '../../compile/compile-workspace.js';
import { NEVER_ACTIVE, NON_PAYING, rfmFragments } from '../../compile/rfm-sql.js';
import type { Sql } from '../../dialect/sql.js';
import { evaluateLayers } from '../../engine/evaluate.js';
import { StrataError } from '../../errors.js';
import { accountRows } from '../../identity/account-rows.js';
import type { MetricNode } from '../../language/ast.js';
import type { Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import { metricNode, withInputs } from '../../workspace/metric-closure.js';
import { DEFAULT_RFM_CELLS, type RfmCell } from '../../workspace/workspace-schema.js';

/**
 * RFM for SaaS: recency (days since last activity), frequency (activity per period) and
 * monetary value (MRR by default), each scored 1-5 by quintile and combined into named
 * cells. All in the database; only the per-cell totals come back.
 *
 * Only paying accounts (monetary above 0; a missing value counts as 0) are scored, among
 * themselves; the others form the NON_PAYING cell with no scores. Scoring rule: payers are
 * sorted from the worst value to the best, equal values sharing the mean of their positions
 * (pandas rank(method='average'); never split by account_id); position p among n scores k when
 * 1 + (n-1)(k-1)/5 < p <= 1 + (n-1)k/5. Worse is lower for frequency and monetary, and less
 * recent for recency (an account never active is the least recent). A missing frequency
 * counts as 0. FM is the mean of F and M rounded half up. A dimension without any data
 * (see missingDimensions) is refused rather than scored as ties.
 */

export interface RfmScores {
  /** Scratch table: account_id, recency, frequency, monetary, r, f, m, fm, cell. Drop it with store.dropScratch. */
  readonly table: Sql;
  readonly accounts: number;
  readonly metrics: { readonly recency: string; readonly frequency: string; readonly monetary: string };
}

export interface RfmReport {
  readonly asOf: string;
  readonly accounts: number;
  /** Accounts with a monetary value above 0: the ones scored into the grid and named cells. */
  readonly paying: number;
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
  /** Each account's scores, when asked for (`analyze rfm --accounts`): a page, highest monetary first. */
  readonly accountScores?: {
    /** Accounts scored (all of them, paying or not). */
    readonly total: number;
    readonly shown: number;
    readonly order: string;
    readonly rows: readonly AccountScores[];
  };
}

/** One account's RFM: its scores 1-5 (null when not paying), FM, cell and the three values scored. */
export interface AccountScores {
  readonly account_id: string;
  readonly name: string | null;
  readonly r: number | null;
  readonly f: number | null;
  readonly m: number | null;
  readonly fm: number | null;
  readonly cell: string;
  readonly recency: number | null;
  readonly frequency: number | null;
  readonly monetary: number | null;
}

/** The order of every page of scored accounts: the grid's drill-down and `analyze rfm --accounts`. */
const SCORES_ORDER = 'highest monetary first, then account_id';

/** A page of scored accounts (`where` filters, `limit` null for all), in SCORES_ORDER. */
async function readAccountScores(
  store: Store,
  scores: RfmScores,
  page: { where?: Sql; limit: number | null; offset: number },
): Promise<{ total: number; rows: AccountScores[] }> {
  const sql = store.dialect.sql;
  const where = page.where ?? sql`1 = 1`;
  const [total] = await store.query<{ n: number }>(
    sql`SELECT count(*) AS n FROM ${scores.table} s WHERE ${where}`,
  );
  const limit = page.limit === null ? sql.empty : sql` LIMIT ${page.limit} OFFSET ${page.offset}`;
  const rows = await store.query<Record<keyof AccountScores, unknown>>(
    sql`SELECT s.account_id AS account_id, a.name AS name, s.r AS r, s.f AS f, s.m AS m, s.fm AS fm, s.cell AS cell,
         s.recency AS recency, s.frequency AS frequency, s.monetary AS monetary
       FROM ${scores.table} s LEFT JOIN accounts a ON a.account_id = s.account_id
       WHERE ${where} ORDER BY s.monetary DESC, s.account_id${limit}`,
  );
  const numberOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    total: Number(total?.n ?? 0),
    rows: rows.map((row) => ({
      account_id: String(row.account_id),
      name: row.name === null || row.name === undefined ? null : String(row.name),
      r: numberOrNull(row.r),
      f: numberOrNull(row.f),
      m: numberOrNull(row.m),
      fm: numberOrNull(row.fm),
      cell: String(row.cell),
      recency: numberOrNull(row.recency),
      frequency: numberOrNull(row.frequency),
      monetary: numberOrNull(row.monetary),
    })),
  };
}

/** Scores every account at `asOf` into a scratch table. */
export async function scoreRfm(store: Store, workspace: Workspace, asOf: Date): Promise<RfmScores> {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
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
  const metrics = {
    recency: config.recency ?? 'last_seen_days',
    frequency: config.frequency ?? 'sessions_30d',
    monetary: config.monetary ?? 'mrr',
  };
  const id = randomUUID().replaceAll('-', '').slice(0, 12);
  const names = {
    values: `strata_rfm_values_${id}`,
    positions: `strata_rfm_positions_${id}`,
    scores: `strata_rfm_${id}`,
  };
  const layers = compileLayers(store.dialect, {
    metrics: withInputs(workspace, roots),
    segments: [],
    asOf,
    rows: await accountRows(store, workspace.config.identity),
  });
  const column = (name: string) => q(metricColumn(`rfm:${name}`));
  const evaluation = await evaluateLayers(store, layers, 'strata_rfm_evaluation');
  try {
    // Sort keys without NULLs: never active sorts as the least recent, no value as 0.
    await store.createScratch(
      names.values,
      sql`SELECT account_id, ${column('recency')} AS recency, coalesce(${column('frequency')}, 0) AS frequency,
         coalesce(${column('monetary')}, 0) AS monetary, ${rfmFragments.paying(column('monetary'))} AS paying,
         -coalesce(${fn.toDouble(column('recency'))}, ${NEVER_ACTIVE}) AS recency_key
       FROM ${evaluation}`,
    );
  } finally {
    await store.dropScratch(evaluation);
  }
  try {
    const [counted] = await store.query<{ n: number }>(sql`SELECT count(*) AS n FROM ${q(names.values)}`);
    const n = Number(counted?.n ?? 0);
    if (n > 0) await refuseMissing(store, q(names.values), metrics, asOf);
    await store.createScratch(
      names.positions,
      fn.positionLayer(q(names.values), [
        { column: 'recency_key', alias: 'r_position', pool: 'paying' },
        { column: 'frequency', alias: 'f_position', pool: 'paying' },
        { column: 'monetary', alias: 'm_position', pool: 'paying' },
      ]),
    );
    const quintile = (position: string) => rfmFragments.quintile(q(position), q(`${position}_count`));
    const scored = sql`SELECT account_id, recency, frequency, monetary, paying, ${quintile('r_position')} AS r,
        ${quintile('f_position')} AS f, ${quintile('m_position')} AS m FROM ${q(names.positions)}`;
    const cells: readonly RfmCell[] = config.cells ?? DEFAULT_RFM_CELLS;
    const [r, f, m, fm, paying] = [sql`r`, sql`f`, sql`m`, sql`fm`, sql`paying`];
    const cell = rfmFragments.cell(store.dialect, cells, { r, f, m, fm, paying });
    await store.createScratch(
      names.scores,
      sql`SELECT account_id, recency, frequency, monetary, r, f, m, fm, ${cell} AS cell
       FROM (SELECT scored.*, CASE WHEN paying = 0 THEN NULL ELSE ${rfmFragments.fm(f, m)} END AS fm
         FROM (${scored}) scored) with_fm`,
    );
    return { table: q(names.scores), accounts: n, metrics };
  } finally {
    await store.dropScratch(names.values);
    await store.dropScratch(names.positions);
  }
}

/**
 * Refuses scores that would only be ties: a dimension with no data at all (no account with
 * a recency, a frequency above 0, or a monetary value above 0) names what to add.
 */
async function refuseMissing(store: Store, values: Sql, metrics: RfmScores['metrics'], asOf: Date) {
  const [have] = await store.query<{ recency: number; frequency: number; monetary: number }>(
    store.dialect.sql`SELECT sum(CASE WHEN recency IS NULL THEN 0 ELSE 1 END) AS recency,
       sum(CASE WHEN frequency > 0 THEN 1 ELSE 0 END) AS frequency, sum(paying) AS monetary FROM ${values}`,
  );
  const at = asOf.toISOString();
  const missing = [
    Number(have?.recency ?? 0) === 0 &&
      `recency (${metrics.recency}): no account has an event up to ${at}; import events (strata import events <file>) or set rfm.recency`,
    Number(have?.frequency ?? 0) === 0 &&
      `frequency (${metrics.frequency}): every account has 0 in the window ending ${at}; import events (sessions_30d counts session_start events) or set rfm.frequency to a metric your events carry`,
    Number(have?.monetary ?? 0) === 0 &&
      `monetary (${metrics.monetary}): no account has a value above 0 (no revenue data); import accounts with an mrr column (strata import accounts <file>) or set rfm.monetary to a revenue metric`,
  ].filter((m): m is string => typeof m === 'string');
  if (missing.length > 0)
    throw new StrataError('rfm_no_data', `RFM cannot score: ${missing.join('; ')}`, {}, missing);
}

/**
 * `strata analyze rfm`: accounts and KPIs per named cell, and the R x FM grid; with
 * `accounts`, also each account's scores (at most that many, or `all`).
 */
export async function analyzeRfm(
  store: Store,
  workspace: Workspace,
  asOf: Date,
  options: { accounts?: number | 'all' } = {},
): Promise<RfmReport> {
  const scores = await scoreRfm(store, workspace, asOf);
  const sql = store.dialect.sql;
  try {
    const perCell = await store.query<{
      cell: string;
      accounts: number;
      recency: number | null;
      frequency: number | null;
      monetary: number | null;
      monetary_total: number | null;
    }>(
      sql`SELECT cell, count(*) AS accounts, avg(recency) AS recency, avg(frequency) AS frequency,
         avg(monetary) AS monetary, sum(monetary) AS monetary_total FROM ${scores.table} GROUP BY cell`,
    );
    const grid = await store.query<{ r: number; fm: number; accounts: number }>(
      sql`SELECT r, fm, count(*) AS accounts FROM ${scores.table} WHERE r IS NOT NULL
       GROUP BY r, fm ORDER BY r DESC, fm DESC`,
    );
    const configured = (workspace.config.rfm?.cells ?? DEFAULT_RFM_CELLS).map((c) => c.name);
    const names = [...configured, NON_PAYING, 'Other'];
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
    const nonPaying = cells.find((c) => c.cell === NON_PAYING)?.accounts ?? 0;
    const wanted = options.accounts;
    const page =
      wanted === undefined
        ? undefined
        : await readAccountScores(store, scores, { limit: wanted === 'all' ? null : wanted, offset: 0 });
    return {
      asOf: asOf.toISOString(),
      accounts: scores.accounts,
      paying: scores.accounts - nonPaying,
      metrics: scores.metrics,
      cells,
      grid: grid.map((g) => ({ r: Number(g.r), fm: Number(g.fm), accounts: Number(g.accounts) })),
      ...(page
        ? {
            accountScores: {
              total: page.total,
              shown: page.rows.length,
              order: SCORES_ORDER,
              rows: page.rows,
            },
          }
        : {}),
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
  const sql = store.dialect.sql;
  const scores = await scoreRfm(store, workspace, asOf);
  try {
    const { total, rows } = await readAccountScores(store, scores, {
      where: sql`s.r = ${options.r} AND s.fm = ${options.fm}`,
      limit: options.limit,
      offset: options.offset,
    });
    // The API's answer names the cell once: each row keeps its values, not its scores.
    const accounts = rows.map(({ account_id, name, recency, frequency, monetary, cell }) => ({
      account_id,
      name,
      recency,
      frequency,
      monetary,
      cell,
    }));
    return { asOf: asOf.toISOString(), r: options.r, fm: options.fm, total, accounts };
  } finally {
    await store.dropScratch(scores.table);
  }
}
