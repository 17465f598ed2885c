import { metricColumn, segmentColumn } from '../compile/compile-workspace.js';
import { previousRun, readRun, type StoredRun } from '../engine/run-snapshot.js';
import { didYouMean, StrataError } from '../errors.js';
import { hasOwnKey, ownValue } from '../own-key.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { CADENCE_DAYS, type Playbook, playbookSchema } from '../workspace/workspace-schema.js';

/**
 * Playbooks: what to do with the accounts of a segment (`playbooks:` in strata.yaml). Who
 * owns them, the touch model (one owner for how many accounts), how often, through which
 * channels, the message, upsell and cross-sell offers, and the metrics that say whether it
 * works. `strata playbook <segment>` turns one into a worklist: each member with its next
 * action and when it is due; the strategy matrix puts every playbook side by side with the
 * size and revenue of its segment and the owners its touch model needs.
 */

/** The playbook of a segment, or a clear error. */
export function playbookOf(workspace: Workspace, segment: string): Playbook {
  const ids = workspace.segments.map((s) => s.id);
  if (!ids.includes(segment))
    throw new StrataError('unknown_segment', `unknown segment '${segment}'${didYouMean(segment, ids)}`);
  const raw = ownValue(workspace.config.playbooks, segment);
  if (!raw)
    throw new StrataError(
      'no_playbook',
      `segment '${segment}' has no playbook (strata.yaml playbooks: ${segment}: {...})`,
    );
  return playbookSchema.parse(raw);
}

/** Owners the touch model needs for `accounts` accounts (null for 1:many). */
export function ownersNeeded(playbook: Playbook, accounts: number): number | null {
  const per = playbook.touch?.slice(2) ?? 'many';
  return per === 'many' ? null : Math.ceil(accounts / Number(per));
}

/**
 * An account's next action: a first touch through the first channel when it entered the
 * segment in the latest run, else the cadence's touch, the channels taken in turn. Without
 * a cadence every touch is due now; without channels the channel is left to the owner.
 */
export function nextAction(playbook: Playbook, options: { entered: boolean; turn: number; asOf: Date }) {
  const channels = playbook.channels ?? ['any'];
  const channel = (options.entered ? channels[0] : channels[options.turn % channels.length]) as string;
  const days = options.entered || !playbook.cadence ? 0 : CADENCE_DAYS[playbook.cadence];
  const what = playbook.message ?? playbook.goal ?? 'check in';
  return {
    action: `${options.entered ? 'first touch' : `${playbook.cadence ?? 'next'} touch`}: ${what}`,
    channel,
    owner: playbook.owner,
    due: new Date(options.asOf.getTime() + days * 86_400_000).toISOString().slice(0, 10),
  };
}

/** The worklist of a segment's playbook: a page of members, priority first, each with its next action. */
export async function playbookWorklist(
  store: Store,
  workspace: Workspace,
  segment: string,
  options: { limit: number; offset: number; run?: number },
) {
  const playbook = playbookOf(workspace, segment);
  const run = await readRun(store, options.run);
  if (!run.segments.includes(segment))
    throw new StrataError(
      'unknown_segment',
      `run ${run.runId} has no segment '${segment}': run strata run first`,
    );
  const before = await previousRun(store, run.runId);
  const sql = store.dialect.sql;
  const q = (name: string) => sql.id(name);
  const priority = playbook.priority ?? 'mrr';
  if (!run.metrics.includes(priority) && priority !== 'mrr')
    throw new StrataError(
      'unknown_metric',
      `playbook '${segment}': priority metric '${priority}' is not in run ${run.runId}`,
    );
  const success = (playbook.successMetrics ?? []).filter((m) => run.metrics.includes(m));
  const order = run.metrics.includes(priority) ? q(metricColumn(priority)) : sql`a.mrr`;
  const enteredSql = before?.segments.includes(segment)
    ? sql`CASE WHEN r.account_id IN (SELECT account_id FROM ${before.table} WHERE ${q(segmentColumn(segment))}) THEN 0 ELSE 1 END`
    : sql`1`;
  const [count] = await store.query<{ n: number }>(
    sql`SELECT count(*) AS n FROM ${run.table} WHERE ${q(segmentColumn(segment))}`,
  );
  const rows = await store.query<Record<string, unknown>>(
    sql`SELECT r.account_id AS account_id, a.name AS name, a.mrr AS mrr, ${enteredSql} AS entered
       ${sql.join(
         success.map((m, i) => sql`, ${q(metricColumn(m))} AS ${q(`m${i}`)}`),
         sql.empty,
       )}
     FROM ${run.table} r LEFT JOIN accounts a ON a.account_id = r.account_id
     WHERE ${q(segmentColumn(segment))}
     ORDER BY ${order} DESC NULLS LAST, r.account_id LIMIT ${options.limit} OFFSET ${options.offset}`,
  );
  const asOf = new Date(run.asOf);
  return {
    segment,
    runId: run.runId,
    asOf: run.asOf,
    playbook,
    accounts: count?.n ?? 0,
    ownersNeeded: ownersNeeded(playbook, count?.n ?? 0),
    members: rows.map((row, i) => ({
      account_id: String(row.account_id),
      name: (row.name as string | null) ?? null,
      mrr: (row.mrr as number | null) ?? null,
      enteredThisRun: Number(row.entered) === 1,
      ...nextAction(playbook, { entered: Number(row.entered) === 1, turn: options.offset + i, asOf }),
      metrics: Object.fromEntries(success.map((m, j) => [m, row[`m${j}`] as number | null])),
    })),
  };
}

/** Every playbook side by side: the segment's size and MRR in the latest run, and the owners it needs. */
export async function strategyMatrix(store: Store, workspace: Workspace, runId?: number) {
  const run: StoredRun = await readRun(store, runId);
  const segments = workspace.segments.filter(
    (s) => hasOwnKey(workspace.config.playbooks, s.id) && run.segments.includes(s.id),
  );
  const { sql, fn } = store.dialect;
  const sums =
    segments.length === 0
      ? {}
      : ((
          await store.query<Record<string, number | null>>(
            sql`SELECT ${sql.join(
              segments.map(
                (s, i) =>
                  sql`${fn.aggregateIf('sum', sql`coalesce(a.mrr, 0)`, sql.id(segmentColumn(s.id)))} AS ${sql.id(`s${i}`)}`,
              ),
            )} FROM ${run.table} r LEFT JOIN accounts a ON a.account_id = r.account_id`,
          )
        )[0] ?? {});
  return {
    runId: run.runId,
    asOf: run.asOf,
    rows: segments.map((s, i) => {
      const playbook = playbookSchema.parse(ownValue(workspace.config.playbooks, s.id));
      const accounts = ownValue(run.sizes.segments, s.id) ?? 0;
      return {
        segment: s.id,
        framework: s.framework,
        accounts,
        mrr: Math.round(Number(sums[`s${i}`] ?? 0) * 100) / 100,
        owner: playbook.owner,
        touch: playbook.touch ?? '',
        ownersNeeded: ownersNeeded(playbook, accounts),
        cadence: playbook.cadence ?? '',
        channels: (playbook.channels ?? []).join(', '),
        goal: playbook.goal ?? '',
        message: playbook.message ?? '',
        offers: (playbook.offers ?? [])
          .map((o) => (typeof o === 'string' ? o : `${o.kind}: ${o.offer}`))
          .join('; '),
        successMetrics: (playbook.successMetrics ?? []).join(', '),
      };
    }),
  };
}
