import { randomUUID } from 'node:crypto';
import { StrataError } from '../errors.js';
import type { Store } from '../store/store.js';

/**
 * Account merges: two accounts found to be one (the same CRM company imported twice, a
 * renamed domain) are merged by recording it, never by rewriting rows. Every row of the
 * merged account (events, users, tickets, surveys, trait history, subscriptions) counts for
 * the survivor when read (src/identity/account-rows.ts), and the merged account is no longer
 * evaluated; undoing the merge makes both what they were, with nothing lost. Records are
 * appended (a merge, then perhaps its undo), so ClickHouse needs no UPDATE and the history of
 * who did what, when and why stays whole.
 */
export interface AccountMerge {
  readonly mergeId: string;
  readonly mergedId: string;
  readonly survivorId: string;
  readonly mergedAt: string;
  readonly mergedBy: string;
  readonly reason: string;
  /** When undone: when, by whom and why; null while the merge holds. */
  readonly undone: { readonly at: string; readonly by: string; readonly reason: string } | null;
}

/**
 * At most this many merges hold at once. They reach every evaluation as one CASE over literal
 * ids per column it maps (about ten): 200 keep that near 80 KB, inside the 256 KiB ClickHouse
 * parses of one query with room for the workspace's own SQL. A map joined from a table would
 * lift the limit.
 */
export const MAX_ACTIVE_MERGES = 200;

interface MergeRow extends Record<string, unknown> {
  merge_id: string;
  action: 'merge' | 'undo';
  merged_id: string;
  survivor_id: string;
  at: string;
  actor: string;
  reason: string;
}

/** Every merge, oldest first, with its undo when there is one. */
export async function listMerges(store: Store): Promise<AccountMerge[]> {
  const { sql, fn } = store.dialect;
  const rows = await store.query<MergeRow>(
    sql`SELECT merge_id, action, merged_id, survivor_id, ${fn.isoTimestamp(sql`recorded_at`)} AS at, actor, reason
      FROM strata_account_merges ORDER BY recorded_at, merge_id, action`,
  );
  const undos = new Map(rows.filter((r) => r.action === 'undo').map((r) => [r.merge_id, r]));
  return rows
    .filter((r) => r.action === 'merge')
    .map((r) => {
      const undo = undos.get(r.merge_id);
      return {
        mergeId: r.merge_id,
        mergedId: r.merged_id,
        survivorId: r.survivor_id,
        mergedAt: r.at,
        mergedBy: r.actor,
        reason: r.reason,
        undone: undo ? { at: undo.at, by: undo.actor, reason: undo.reason } : null,
      };
    });
}

/**
 * The account every merged account counts for now: its survivor, or the survivor's survivor
 * when that was merged in turn. Merges only join live accounts, so the chains have no cycle.
 */
export function survivorsOf(merges: readonly AccountMerge[]): Map<string, string> {
  const direct = new Map(merges.filter((m) => m.undone === null).map((m) => [m.mergedId, m.survivorId]));
  const final = new Map<string, string>();
  for (const merged of direct.keys()) {
    let survivor = direct.get(merged) as string;
    for (let hops = 0; direct.has(survivor) && hops < direct.size; hops++)
      survivor = direct.get(survivor) as string;
    final.set(merged, survivor);
  }
  return final;
}

/** Merges `merged` into `survivor`: both must be accounts of the store that are not merged away. */
export async function mergeAccounts(
  store: Store,
  input: { survivor: string; merged: string; by: string; reason: string; now: Date },
): Promise<AccountMerge> {
  const { survivor, merged } = input;
  if (survivor === merged)
    throw new StrataError('invalid_argument', `cannot merge account '${merged}' into itself`);
  const away = survivorsOf(await listMerges(store));
  if (away.size >= MAX_ACTIVE_MERGES)
    throw new StrataError(
      'too_many_merges',
      `${away.size} merges hold already, the most Strata applies (${MAX_ACTIVE_MERGES}); undo some (strata accounts merges lists them) or fix the duplicates at their source`,
    );
  for (const id of [survivor, merged]) {
    const into = away.get(id);
    if (into !== undefined)
      throw new StrataError(
        'already_merged',
        `account '${id}' is merged into '${into}' already; undo that merge first (strata accounts unmerge ${id})`,
      );
  }
  const { sql } = store.dialect;
  const found = await store.query<{ account_id: string }>(
    sql`SELECT account_id FROM accounts WHERE account_id IN (${survivor}, ${merged})`,
  );
  for (const id of [survivor, merged])
    if (!found.some((r) => r.account_id === id))
      throw new StrataError('unknown_account', `no account '${id}' in the store`);
  const mergeId = randomUUID();
  await store.execute(
    sql`INSERT INTO strata_account_merges (merge_id, action, merged_id, survivor_id, recorded_at, actor, reason)
      VALUES (${mergeId}, 'merge', ${merged}, ${survivor}, ${input.now}, ${input.by}, ${input.reason})`,
  );
  return {
    mergeId,
    mergedId: merged,
    survivorId: survivor,
    mergedAt: input.now.toISOString(),
    mergedBy: input.by,
    reason: input.reason,
    undone: null,
  };
}

/** Undoes the merge that holds `merged` (an account id or a merge id). */
export async function undoMerge(
  store: Store,
  input: { merged: string; by: string; reason: string; now: Date },
): Promise<AccountMerge> {
  const merges = await listMerges(store);
  const holding = merges.find(
    (m) => m.undone === null && (m.mergedId === input.merged || m.mergeId === input.merged),
  );
  if (!holding)
    throw new StrataError(
      'not_merged',
      `account '${input.merged}' is not merged into another (strata accounts merges lists the merges)`,
    );
  const { sql } = store.dialect;
  await store.execute(
    sql`INSERT INTO strata_account_merges (merge_id, action, merged_id, survivor_id, recorded_at, actor, reason)
      VALUES (${holding.mergeId}, 'undo', ${holding.mergedId}, ${holding.survivorId}, ${input.now}, ${input.by}, ${input.reason})`,
  );
  return { ...holding, undone: { at: input.now.toISOString(), by: input.by, reason: input.reason } };
}

/** The accounts a merge or an undo recorded after `since` (ISO) touched: both sides of each. */
export async function accountsMergedSince(store: Store, since: string): Promise<string[]> {
  const touched = new Set<string>();
  const after = (at: string) => Date.parse(at) > Date.parse(since);
  for (const m of await listMerges(store)) {
    if (after(m.mergedAt) || (m.undone && after(m.undone.at))) {
      touched.add(m.mergedId);
      touched.add(m.survivorId);
    }
  }
  return [...touched].sort();
}
