import { metricColumn, segmentColumn } from '../compile/compile-workspace.js';
import { evaluateWorkspace } from '../engine/evaluate.js';
import { listRuns, runTableColumns, schemeColumn } from '../engine/run-snapshot.js';
import { TABLES } from '../model/tables.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { answerRow } from './answers.js';

type Row = Record<string, unknown>;

/** An account's profile evaluated at a time of its own, not read from a run. */
export interface EvaluatedProfile {
  readonly account: Row;
  /** Null: evaluated at `asOf`, not read from a stored run. */
  readonly run: null;
  readonly segments: string[];
  /** Its segments in the latest run before `asOf` (none without one): a playbook's "entered". */
  readonly previousSegments: string[];
  readonly primary: Record<string, string | null>;
  readonly metrics: Record<string, number | string | null>;
}

/**
 * An account's profile at `at` (`?asOf=`, or the workspace clock before the first run):
 * the workspace evaluated then in the database, as a run would be but stored nowhere, and
 * the account's row read back. A full evaluation (ranks and percentiles need every account),
 * so the profile route does it only for a time the latest run's view cannot answer. Null when
 * the account does not exist.
 */
export async function profileAt(
  store: Store,
  workspace: Workspace,
  accountId: string,
  at: Date,
): Promise<EvaluatedProfile | null> {
  const sql = store.dialect.sql;
  const [account] = await store.query<Row>(sql`SELECT * FROM accounts WHERE account_id = ${accountId}`);
  if (!account) return null;
  const segments = workspace.segments.map((s) => s.id);
  const metrics = Object.keys(workspace.metrics);
  const schemes = workspace.config.schemes;
  const evaluation = await evaluateWorkspace(store, workspace, at);
  let row: Row | undefined;
  try {
    [row] = await store.query<Row>(
      sql`SELECT ${runTableColumns(store, { segments, metrics, schemes })} FROM ${evaluation}
       WHERE account_id = ${accountId}`,
    );
  } finally {
    await store.dropScratch(evaluation);
  }
  const before = (await listRuns(store)).filter((r) => Date.parse(r.asOf) < at.getTime()).at(-1);
  const [stored] = before
    ? await store.query<Row>(sql`SELECT * FROM ${before.table} WHERE account_id = ${accountId}`)
    : [];
  const value = (v: unknown) =>
    v === null || v === undefined ? null : typeof v === 'string' ? v : Number(v);
  return {
    account: answerRow(TABLES.accounts, account),
    run: null,
    // An account created after `at` has no row in the evaluation: in nothing then.
    segments: segments.filter((id) => Boolean(row?.[segmentColumn(id)])).sort(),
    previousSegments: (before?.segments ?? []).filter((id) => Boolean(stored?.[segmentColumn(id)])).sort(),
    primary: Object.fromEntries(
      Object.keys(schemes).map((scheme) => [
        scheme,
        (row?.[schemeColumn(scheme)] as string | undefined) ?? null,
      ]),
    ),
    metrics: Object.fromEntries(metrics.map((name) => [name, value(row?.[metricColumn(name)])])),
  };
}
