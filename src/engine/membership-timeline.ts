import { didYouMean, StrataError } from '../errors.js';
import { listMerges } from '../identity/account-merges.js';
import { conditionPaths } from '../language/condition-paths.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { type ChangeCause, PARENT_PATH } from './audit-trail.js';
import { readClock } from './clock.js';
import { definitionWorkspace } from './definition-versions.js';
import { leafReader, leafText, leafValue, shownLeafValue } from './leaf-text.js';
import { listRuns, type StoredRun } from './run-snapshot.js';
import { workspaceHash } from './run-workspace.js';
import { accountHistory } from './snapshots.js';
import { resolveSince, type Since } from './time-arguments.js';

/**
 * Reads of the audit trail (written by audit-trail.ts): an account's timeline (its
 * segments run by run, each entry and exit with the run, as-of time, definition version
 * and why) and a segment's entries and exits since a time. Reasons are worded with the
 * definition version of their own run, so an edited strata.yaml does not reword the past.
 */

export interface LeafState {
  readonly holds: boolean;
  /** The value compared, full precision: a number for a number, text for text and times (null when none). */
  readonly value: number | string | null;
  /** The value as people read it, rounded by its kind ("53.6", "$579.79"); null when none. */
  readonly shown: string | null;
}

export interface LeafChange {
  /** Where the leaf sits in the segment's definition (where.any[0]), or `parent`. */
  readonly path: string;
  /** The leaf in words with its value after the change ("metric health = 35, needs < 40"). */
  readonly text: string;
  readonly before: LeafState;
  readonly after: LeafState;
}

export interface MembershipChange {
  readonly segment: string;
  readonly change: 'entered' | 'exited';
  readonly cause: ChangeCause;
  /** For `data`: the leaves whose truth changed. */
  readonly reasons: readonly LeafChange[];
}

interface ChangeRow extends Record<string, unknown> {
  run_id: number;
  account_id: string;
  segment: string;
  change: 'entered' | 'exited';
  cause: ChangeCause;
  path: string | null;
  holds_before: boolean | number | null;
  holds_after: boolean | number | null;
  value_before: string | null;
  value_after: string | null;
}

/** Words reasons with each run's own definition version (loaded once per version). */
class ReasonWriter {
  private readonly versions = new Map<string, Promise<Workspace | null>>();
  private readonly current: string;
  constructor(
    private readonly store: Store,
    private readonly workspace: Workspace,
  ) {
    this.current = workspaceHash(workspace);
  }

  async reason(run: StoredRun, row: ChangeRow): Promise<LeafChange> {
    const path = row.path ?? '';
    let version = this.versions.get(run.workspaceHash);
    if (!version) {
      version = definitionWorkspace(this.store, this.workspace, run.workspaceHash, this.current).catch(
        () => null,
      );
      this.versions.set(run.workspaceHash, version);
    }
    const definition = await version;
    const segment = definition?.segments.find((s) => s.id === row.segment);
    const node = segment && conditionPaths(segment.where).find((p) => p.path === path)?.node;
    const state = (holds: unknown, raw: string | null): LeafState => {
      if (!node || !definition) return { holds: Boolean(holds), value: raw, shown: raw };
      const reader = leafReader(definition.metrics, definition.config.settings.currency);
      const value = leafValue(node, raw, reader);
      return { holds: Boolean(holds), value, shown: shownLeafValue(node, value, reader) };
    };
    const before = state(row.holds_before, row.value_before);
    const after = state(row.holds_after, row.value_after);
    const text =
      path === PARENT_PATH
        ? `in parent ${segment?.parent ?? ''}`.trim()
        : node && definition
          ? leafText(node, after.value, leafReader(definition.metrics, definition.config.settings.currency))
          : path;
    return { path, text, before, after };
  }
}

/** Change rows grouped into entries and exits with their reasons, in row order. */
async function groupChanges(
  rows: readonly ChangeRow[],
  runs: ReadonlyMap<number, StoredRun>,
  writer: ReasonWriter,
) {
  const changes = new Map<string, { run: number; account: string; change: MembershipChange }>();
  for (const row of rows) {
    const key = `${row.run_id}\u0000${row.account_id}\u0000${row.segment}`;
    let entry = changes.get(key);
    if (!entry) {
      entry = {
        run: row.run_id,
        account: row.account_id,
        change: { segment: row.segment, change: row.change, cause: row.cause, reasons: [] },
      };
      changes.set(key, entry);
    }
    const run = runs.get(row.run_id);
    if (row.path !== null && run) (entry.change.reasons as LeafChange[]).push(await writer.reason(run, row));
  }
  return [...changes.values()];
}

const changeColumns = (store: Store) =>
  store.dialect
    .sql`run_id, account_id, segment, change, cause, path, holds_before, holds_after, value_before, value_after`;

/**
 * An account's timeline: per run (oldest first) its segments, primary segment per scheme,
 * definition version, and the segments it entered and left with why. Runs made before
 * the audit trail show their entries and exits with the cause `unrecorded`.
 */
export async function accountTimeline(store: Store, workspace: Workspace, account: string) {
  const sql = store.dialect.sql;
  const history = await accountHistory(store, account);
  if (history.every((h) => h.segments.length === 0 && Object.keys(h.primary).length === 0)) {
    const [known] = await store.query<{ n: number }>(
      sql`SELECT count(*) AS n FROM accounts WHERE account_id = ${account}`,
    );
    if (!known?.n) throw new StrataError('unknown_account', `no account '${account}'`);
  }
  const runs = new Map((await listRuns(store)).map((r) => [r.runId, r]));
  const rows = await store.query<ChangeRow>(
    sql`SELECT ${changeColumns(store)} FROM strata_changes WHERE account_id = ${account}
     ORDER BY run_id, segment, path NULLS FIRST`,
  );
  const recorded = await groupChanges(rows, runs, new ReasonWriter(store, workspace));
  return {
    account,
    // Merges this account took part in: the cause `merge` of its entries and exits.
    merges: (await listMerges(store)).filter((m) => m.mergedId === account || m.survivorId === account),
    runs: history.map((h) => {
      const own = recorded.filter((c) => c.run === h.runId).map((c) => c.change);
      const ownSegments = new Set(own.map((c) => c.segment));
      // Entries and exits the trail has no row for: runs made before it existed.
      const unrecorded = [
        ...h.entered.map((segment) => ({ segment, change: 'entered' as const })),
        ...h.exited.map((segment) => ({ segment, change: 'exited' as const })),
      ]
        .filter((c) => !ownSegments.has(c.segment))
        .map((c) => ({ ...c, cause: 'unrecorded' as const, reasons: [] }));
      return {
        runId: h.runId,
        asOf: h.asOf,
        workspaceHash: runs.get(h.runId)?.workspaceHash ?? '',
        segments: h.segments,
        primary: h.primary,
        changes: [...own, ...unrecorded].sort(
          (a, b) => a.change.localeCompare(b.change) || a.segment.localeCompare(b.segment),
        ),
      };
    }),
  };
}

/**
 * Who entered and left `segment` in the runs as of `since` or later (all runs without it),
 * newest run first, a page at a time, each with its run, as-of time, definition version and why.
 * A window (`30d`) is the runs of the 30 days up to the one clock's read time (the latest
 * run's), not the machine's, and like a metric's window it leaves out its start: runs 30 days
 * apart (the demo's) are not both in the last 30 days.
 */
export async function segmentChanges(
  store: Store,
  workspace: Workspace,
  segment: string,
  options: { since?: Since; limit: number; offset: number },
) {
  const sql = store.dialect.sql;
  const all = await listRuns(store);
  const known = [...new Set([...workspace.segments.map((s) => s.id), ...all.flatMap((r) => r.segments)])];
  if (!known.includes(segment))
    throw new StrataError('unknown_segment', `unknown segment '${segment}'${didYouMean(segment, known)}`);
  const clock = await readClock(store, workspace);
  const since = options.since === undefined ? undefined : resolveSince(options.since, clock);
  const window = options.since !== undefined && 'days' in options.since ? options.since.days : null;
  const runs = all.filter((r) => {
    const at = Date.parse(r.asOf);
    return since === undefined || at > since.getTime() || (window === null && at === since.getTime());
  });
  const empty = {
    segment,
    since: since?.toISOString() ?? null,
    /** Days of a window (runs after `since`), or null (runs at `since` or after). */
    windowDays: window,
    clock: { at: clock.at.toISOString(), source: clock.source },
    total: 0,
    changes: [],
  };
  if (runs.length === 0) return empty;
  const where = sql`segment = ${segment} AND run_id IN (${sql.join(runs.map((r) => sql.value(r.runId)))})`;
  const [count] = await store.query<{ n: number }>(
    sql`SELECT count(*) AS n FROM strata_changes WHERE ${where} AND path IS NULL`,
  );
  const page = await store.query<ChangeRow>(
    sql`SELECT ${changeColumns(store)} FROM strata_changes WHERE ${where} AND path IS NULL
     ORDER BY run_id DESC, account_id LIMIT ${options.limit} OFFSET ${options.offset}`,
  );
  const reasons =
    page.length === 0
      ? []
      : await store.query<ChangeRow>(
          sql`SELECT ${changeColumns(store)} FROM strata_changes WHERE ${where} AND path IS NOT NULL
           AND account_id IN (${sql.join([...new Set(page.map((r) => r.account_id))].map((a) => sql.value(a)))})
           ORDER BY run_id DESC, account_id, path`,
        );
  const pageKeys = new Set(page.map((r) => `${r.run_id}\u0000${r.account_id}`));
  const byRun = new Map(runs.map((r) => [r.runId, r]));
  const grouped = await groupChanges(
    [...page, ...reasons.filter((r) => pageKeys.has(`${r.run_id}\u0000${r.account_id}`))],
    byRun,
    new ReasonWriter(store, workspace),
  );
  return {
    ...empty,
    total: Number(count?.n ?? 0),
    changes: grouped.map((g) => {
      const run = byRun.get(g.run);
      return {
        runId: g.run,
        asOf: run?.asOf ?? '',
        workspaceHash: run?.workspaceHash ?? '',
        account_id: g.account,
        change: g.change.change,
        cause: g.change.cause,
        reasons: g.change.reasons,
      };
    }),
  };
}
