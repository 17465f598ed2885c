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
 * size and revenue of its segment and the owners its touch model needs. An account in several
 * segments with playbooks gets one primary next action and the others as secondary, by the
 * one rule of `rankActions`, which the profile API, the worklist and `--account` all use.
 */

/**
 * The rule that picks an account's one primary next action when it is in several segments
 * with playbooks, in one sentence for people (the profile API gives it with the actions).
 */
export const NEXT_ACTION_RULE =
  "The primary next action is the playbook with the lowest rank (a ranked playbook before an unranked one); without a rank or on a tie, the segment that comes first in the schemes' orders, schemes taken in strata.yaml order; segments in no scheme follow in the order of playbooks:, and the segment id ends any tie.";

/** What the rule reads of a workspace: its schemes' orders and its playbooks' ranks. */
export interface RankingConfig {
  readonly schemes: Readonly<Record<string, { readonly order: readonly string[] }>>;
  readonly playbooks?: Readonly<Record<string, { readonly rank?: number | undefined }>> | null | undefined;
}

/** A segment's place in the rule, with why it ranks there ("rank 1", "cs_tiers order 1 of 4"). */
export interface RankedSegment {
  readonly segment: string;
  readonly reason: string;
}

/**
 * The account's segments that have a playbook, in the order of NEXT_ACTION_RULE: the first
 * is its primary action, the others secondary. Pure: the same segments and config give the
 * same order wherever it is asked (profile API, worklist, `strata playbook --account`).
 * Reading the schemes' orders one after another makes a segment's place its first
 * appearance: an earlier scheme before a later one, then the position within that scheme.
 */
export function rankActions(segments: readonly string[], config: RankingConfig): RankedSegment[] {
  // Key order is strata.yaml's, except that JavaScript puts integer-like keys (a scheme or
  // segment named 2024) first, in numeric order; such names take that place here.
  const schemes = Object.entries(config.schemes);
  const playbookIds = Object.keys(config.playbooks ?? {});
  const keyed = [...new Set(segments)]
    .filter((segment) => hasOwnKey(config.playbooks, segment))
    .map((segment) => {
      const rank = ownValue(config.playbooks, segment)?.rank ?? Number.POSITIVE_INFINITY;
      const scheme = schemes.findIndex(([, s]) => s.order.includes(segment));
      const found = schemes[scheme];
      const position = found ? found[1].order.indexOf(segment) : playbookIds.indexOf(segment);
      const place = found
        ? `${found[0]} order ${position + 1} of ${found[1].order.length}`
        : `playbooks order ${position + 1} of ${playbookIds.length}`;
      // Segments in no scheme come after every scheme's segments.
      return { segment, rank, scheme: found ? scheme : schemes.length, position, place };
    })
    .sort(
      (a, b) =>
        a.rank - b.rank ||
        a.scheme - b.scheme ||
        a.position - b.position ||
        (a.segment < b.segment ? -1 : a.segment > b.segment ? 1 : 0),
    );
  const anyRanked = keyed.some((k) => Number.isFinite(k.rank));
  return keyed.map(({ segment, rank, place }) => {
    const tied = keyed.filter((k) => k.rank === rank).length > 1;
    const reason = !Number.isFinite(rank)
      ? `${anyRanked ? 'no rank, ' : ''}${place}`
      : tied
        ? `rank ${rank}, then ${place}`
        : `rank ${rank}`;
    return { segment, reason };
  });
}

/** One playbook's next action for an account, with the place the rule gives it. */
export interface PlannedAction {
  readonly segment: string;
  readonly owner: string;
  readonly action: string;
  readonly channel: string;
  readonly due: string;
  readonly goal: string | null;
  readonly reason: string;
}

/** An account's next actions: the primary one (null without any playbook), the others in rule order, the rule. */
export interface NextActions {
  readonly primary: PlannedAction | null;
  readonly secondary: PlannedAction[];
  readonly rule: string;
}

/**
 * The next actions of an account in `segments` at `asOf`, ranked by NEXT_ACTION_RULE;
 * `entered` says whether it entered a segment at that time (a first touch).
 */
export function plannedActions(
  workspace: Workspace,
  segments: readonly string[],
  options: { entered: (segment: string) => boolean; asOf: Date },
): NextActions {
  const actions = rankActions(segments, workspace.config).map(({ segment, reason }): PlannedAction => {
    // Parsed with strata.yaml, and rankActions keeps only segments with a playbook; no parse
    // again on the profile API's path, which answers from memory.
    const playbook = ownValue(workspace.config.playbooks, segment) as Playbook;
    const next = nextAction(playbook, { entered: options.entered(segment), turn: 0, asOf: options.asOf });
    return { segment, ...next, goal: playbook.goal ?? null, reason };
  });
  return { primary: actions[0] ?? null, secondary: actions.slice(1), rule: NEXT_ACTION_RULE };
}

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
  // The account's other segments with a playbook decide whether this one's action is its primary.
  const others = run.segments.filter((s) => s !== segment && hasOwnKey(workspace.config.playbooks, s));
  const [count] = await store.query<{ n: number }>(
    sql`SELECT count(*) AS n FROM ${run.table} WHERE ${q(segmentColumn(segment))}`,
  );
  const rows = await store.query<Record<string, unknown>>(
    sql`SELECT r.account_id AS account_id, a.name AS name, a.mrr AS mrr, ${enteredSql} AS entered
       ${sql.join(
         success.map((m, i) => sql`, ${q(metricColumn(m))} AS ${q(`m${i}`)}`),
         sql.empty,
       )}
       ${sql.join(
         others.map((s, i) => sql`, ${q(segmentColumn(s))} AS ${q(`o${i}`)}`),
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
    members: rows.map((row, i) => {
      const ranked = rankActions(
        [segment, ...others.filter((_, j) => Boolean(row[`o${j}`]))],
        workspace.config,
      );
      const primarySegment = ranked[0]?.segment ?? segment;
      return {
        account_id: String(row.account_id),
        name: (row.name as string | null) ?? null,
        mrr: (row.mrr as number | null) ?? null,
        enteredThisRun: Number(row.entered) === 1,
        ...nextAction(playbook, { entered: Number(row.entered) === 1, turn: options.offset + i, asOf }),
        /** Whether this segment's action is the account's primary one (NEXT_ACTION_RULE). */
        primary: primarySegment === segment,
        /** The segment whose action is primary: this one, or the one that outranks it. */
        primarySegment,
        /** Why this segment's action ranks where it does among the account's. */
        reason: ranked.find((r) => r.segment === segment)?.reason ?? '',
        metrics: Object.fromEntries(success.map((m, j) => [m, row[`m${j}`] as number | null])),
      };
    }),
  };
}

/**
 * An account's next actions in a run (default the latest): its segments with a playbook
 * ranked by NEXT_ACTION_RULE, a first touch for each it entered in that run.
 */
export async function accountActions(store: Store, workspace: Workspace, account: string, runId?: number) {
  const run = await readRun(store, runId);
  const before = await previousRun(store, run.runId);
  const sql = store.dialect.sql;
  const acted = run.segments.filter((s) => hasOwnKey(workspace.config.playbooks, s));
  const flags = (segments: readonly string[]) =>
    sql.join(
      segments.map((s, i) => sql`, ${sql.id(segmentColumn(s))} AS ${sql.id(`s${i}`)}`),
      sql.empty,
    );
  const [row] = await store.query<Record<string, unknown>>(
    sql`SELECT r.account_id AS account_id, a.name AS name ${flags(acted)}
     FROM ${run.table} r LEFT JOIN accounts a ON a.account_id = r.account_id WHERE r.account_id = ${account}`,
  );
  if (!row) throw new StrataError('unknown_account', `no account '${account}' in run ${run.runId}`);
  const segments = acted.filter((_, i) => Boolean(row[`s${i}`]));
  const shared = before ? segments.filter((s) => before.segments.includes(s)) : [];
  const [earlier] =
    before && shared.length > 0
      ? await store.query<Record<string, unknown>>(
          sql`SELECT account_id ${flags(shared)} FROM ${before.table} WHERE account_id = ${account}`,
        )
      : [];
  const wasIn = new Set(shared.filter((_, i) => Boolean(earlier?.[`s${i}`])));
  return {
    account_id: account,
    name: (row.name as string | null) ?? null,
    runId: run.runId,
    asOf: run.asOf,
    nextAction: plannedActions(workspace, segments, {
      // Without a previous run every membership is new, as the worklist counts it.
      entered: (segment) => !wasIn.has(segment),
      asOf: new Date(run.asOf),
    }),
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
