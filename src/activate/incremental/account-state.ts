import type { AccountRows } from '../../compile/scan-registry.js';
import type { Sql } from '../../dialect/sql.js';
import { accountRows } from '../../identity/account-rows.js';
import type { IdentityConfig } from '../../identity/identity-config.js';
import { TABLES } from '../../model/tables.js';
import { withKeyChunks } from '../../store/key-chunks.js';
import type { Store } from '../../store/store.js';
import type { IncrementalNeeds } from './incremental-needs.js';

/**
 * What the in-memory evaluation knows of one account, read from the store by SQL (so every
 * text, number and identity rule is the engine's own) and then kept current by the events
 * that arrive naming the account. Times are microseconds since 1970.
 *
 * Events are kept per stream as totals of the rows older than a horizon (count, first and
 * last time) and the times of the newer rows one by one, sorted: a window's edges then
 * fall exactly, to the microsecond, however the evaluation time moves. The horizon is the
 * load time minus the longest window (plus any shift) the segments read, so every later
 * evaluation finds its whole window among the kept times.
 */
export interface StreamState {
  oldCount: number;
  oldFirst: number | null;
  oldLast: number | null;
  /** Rows after the horizon, ascending. */
  readonly recent: number[];
}

export interface TraitValue {
  readonly text: string | null;
  readonly number: number | null;
}

export interface TraitState {
  /** The account's stored value (column or traits key). */
  readonly current: TraitValue;
  /** The latest history row at or before the horizon, if any. */
  readonly before: TraitValue | null;
  /** History rows after the horizon, ascending by time. */
  readonly history: readonly (TraitValue & { readonly ts: number })[];
}

export interface AccountState {
  /** When it was read (µs): each stream's horizon is this minus the stream's days. */
  readonly loadedAt: number;
  readonly createdAt: number | null;
  readonly renewalAt: number | null;
  readonly signupMonth: string | null;
  readonly signupQuarter: string | null;
  readonly traits: ReadonlyMap<string, TraitState>;
  readonly streams: Map<string, StreamState>;
  readonly tickets: readonly { readonly created: number; readonly resolved: number | null }[];
  readonly surveys: readonly { readonly ts: number; readonly nps: number }[];
  /** Users' creation times (null: no time, always counted). */
  readonly users: readonly (number | null)[];
}

const DAY_US = 86_400_000_000;
const NONE: readonly never[] = Object.freeze([]);
const ACCOUNT_COLUMNS = new Set(TABLES.accounts.columns.map((c) => c.name));

const num = (value: unknown): number | null =>
  value === null || value === undefined || value === '' ? null : Number(value);
const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);
const list = (value: unknown): string[] =>
  typeof value === 'string' && value !== '' ? value.split(',') : [];

/**
 * The states of `accounts` (null: every account), as the store holds them now; `loadedAt`
 * (epoch µs) fixes the horizons. One query per table, each aggregated per account.
 */
export async function loadStates(
  store: Store,
  identity: IdentityConfig,
  needs: IncrementalNeeds,
  loadedAt: number,
  accounts: readonly string[] | null,
  /** False: the streams are left empty (the caller keeps the ones it has). */
  streams = true,
): Promise<Map<string, AccountState>> {
  const read = streams ? needs : { ...needs, streams: new Map<string, number>() };
  if (accounts === null)
    return statesOf(store, read, loadedAt, await accountRows(store, identity, { users: needs.users }));
  // Many accounts reach the SQL as the store's key table, not as literals, a chunk at a time.
  const states = new Map<string, AccountState>();
  await withKeyChunks(store, accounts, async (chunk, keys) => {
    const rows = await accountRows(store, identity, { accounts: chunk, keys, users: needs.users });
    const scope = store.dialect.sql`account_id IN ${keys}`;
    for (const [account, state] of await statesOf(store, read, loadedAt, rows, scope))
      states.set(account, state);
  });
  return states;
}

/**
 * The states of the accounts of `rows` (those `scope` holds: a condition on `account_id`,
 * the rows' account after the identity rules and merges; else every account), one query per
 * table.
 */
async function statesOf(
  store: Store,
  needs: IncrementalNeeds,
  loadedAt: number,
  rows: AccountRows,
  scope: Sql | null = null,
): Promise<Map<string, AccountState>> {
  const { sql, fn } = store.dialect;
  // Every query of a reread reads its accounts' rows only (the whole table took seconds at M).
  const within = scope ?? sql`1 = 1`;
  const q = (name: string) => sql.id(name);
  const micros = (column: Sql) => fn.castText(fn.epochMicros(column));
  const traits = [...needs.traits.keys()];
  const currentText = (trait: string) =>
    ACCOUNT_COLUMNS.has(trait) ? fn.castText(q(trait)) : fn.jsonText(q('traits'), trait);
  const accountColumns = traits.flatMap((trait, i) => [
    sql`${currentText(trait)} AS ${q(`t${i}`)}`,
    sql`${fn.toNumber(currentText(trait))} AS ${q(`n${i}`)}`,
  ]);
  const found = await store.query<Record<string, unknown>>(
    sql`SELECT account_id, ${micros(q('created_at'))} AS created, ${micros(q('renewal_at'))} AS renewal,
      ${fn.monthLabel(q('created_at'), 'month')} AS month, ${fn.monthLabel(q('created_at'), 'quarter')} AS quarter
      ${sql.join(
        accountColumns.map((c) => sql`, ${c}`),
        sql.empty,
      )}
     FROM ${rows.accounts} a WHERE ${within}`,
  );
  const states = new Map<string, AccountState>();
  const traitStates = new Map<string, Map<string, TraitState>>();
  for (const row of found) {
    const id = String(row.account_id);
    const own = new Map<string, TraitState>();
    traits.forEach((trait, i) => {
      own.set(trait, {
        current: { text: text(row[`t${i}`]), number: num(row[`n${i}`]) },
        before: null,
        history: [],
      });
    });
    traitStates.set(id, own);
    states.set(id, {
      loadedAt,
      createdAt: num(row.created),
      renewalAt: num(row.renewal),
      signupMonth: text(row.month),
      signupQuarter: text(row.quarter),
      traits: own,
      streams: new Map(),
      // Shared while empty (most accounts have no tickets or surveys): replaced, never pushed to.
      tickets: NONE,
      surveys: NONE,
      users: NONE,
    });
  }
  await loadTraitHistory(store, rows.trait_history, needs, loadedAt, traitStates, within);
  await loadStreams(store, rows.events, needs, loadedAt, states, within);
  type Lists = {
    tickets: AccountState['tickets'];
    surveys: AccountState['surveys'];
    users: AccountState['users'];
  };
  /** Per account, the texts of `item` (numbers and ':' only) over its rows of `relation` where `where` holds. */
  const lists = async (
    relation: Sql,
    item: Sql,
    where: Sql,
    take: (state: Lists, items: string[], rows: number) => void,
  ) => {
    const found = await store.query<{ account_id: string; list: string | null; n: number | bigint }>(
      sql`SELECT account_id, count(*) AS n, ${fn.textList(item)} AS list FROM ${relation} r WHERE ${where} AND ${within} GROUP BY account_id`,
    );
    for (const row of found) {
      const state = states.get(String(row.account_id)) as Lists | undefined;
      if (state) take(state, list(row.list), Number(row.n));
    }
  };
  const pair = (text: string) => text.split(':') as [string, string];
  if (needs.tickets)
    await lists(
      rows.tickets,
      sql`concat(${micros(q('created_at'))}, ':', coalesce(${micros(q('resolved_at'))}, ''))`,
      sql`created_at IS NOT NULL`,
      (state, items) => {
        state.tickets = items
          .map(pair)
          .map(([created, resolved]) => ({ created: Number(created), resolved: num(resolved) }));
      },
    );
  if (needs.surveys)
    await lists(
      rows.surveys,
      sql`concat(${micros(q('ts'))}, ':', ${fn.castText(q('nps'))})`,
      sql`nps IS NOT NULL AND ts IS NOT NULL`,
      (state, items) => {
        state.surveys = items.map(pair).map(([ts, nps]) => ({ ts: Number(ts), nps: Number(nps) }));
      },
    );
  // A user without a creation time counts at every time: the rows beyond the timed ones.
  if (needs.users)
    await lists(rows.users, micros(q('created_at')), sql`1 = 1`, (state, items, n) => {
      state.users = (items.map(Number) as (number | null)[]).concat(
        new Array<null>(n - items.length).fill(null),
      );
    });
  return states;
}

async function loadTraitHistory(
  store: Store,
  history: Sql,
  needs: IncrementalNeeds,
  loadedAt: number,
  states: Map<string, Map<string, TraitState>>,
  within: Sql,
): Promise<void> {
  const { sql, fn } = store.dialect;
  const us = fn.epochMicros(sql`ts`);
  for (const [trait, shift] of needs.traits) {
    const horizon = loadedAt - shift * DAY_US;
    // The value at the horizon: the latest row at or before it, as the compiled query reads it.
    const latest = fn.latestIf(sql`value`, sql`ts`, sql`${us} <= ${horizon}`);
    const [found, value] = [fn.latestFound(latest), fn.latestValue(latest)];
    const before = await store.query<Record<string, unknown>>(
      // Aliases unlike any column: ClickHouse would read \`value\` inside the aggregate as the alias.
      sql`SELECT account_id, ${found} AS held, ${value} AS held_text, ${fn.toNumber(value)} AS held_number
       FROM ${history} r WHERE trait = ${trait} AND ${within} GROUP BY account_id`,
    );
    for (const row of before) {
      const state = states.get(String(row.account_id))?.get(trait);
      if (!state || !row.held) continue;
      (state as { before: TraitValue | null }).before = {
        text: text(row.held_text),
        number: num(row.held_number),
      };
    }
    const after = await store.query<Record<string, unknown>>(
      sql`SELECT account_id, ${fn.castText(us)} AS at_us, value AS row_text, ${fn.toNumber(sql`value`)} AS row_number
       FROM ${history} r WHERE trait = ${trait} AND ${us} > ${horizon} AND ${within}`,
    );
    for (const row of after) {
      const state = states.get(String(row.account_id))?.get(trait);
      if (!state) continue;
      (state.history as (TraitValue & { ts: number })[]).push({
        ts: Number(row.at_us),
        text: text(row.row_text),
        number: num(row.row_number),
      });
    }
    for (const account of states.values())
      (account.get(trait)?.history as { ts: number }[] | undefined)?.sort((a, b) => a.ts - b.ts);
  }
}

/**
 * Each stream's totals before its horizon and its times after, per account: one scan of the
 * events for every stream (a reread of a few accounts at M read 10M events once per stream).
 */
async function loadStreams(
  store: Store,
  events: Sql,
  needs: IncrementalNeeds,
  loadedAt: number,
  states: Map<string, AccountState>,
  within: Sql,
): Promise<void> {
  const { sql, fn } = store.dialect;
  const us = fn.epochMicros(sql`ts`);
  const streams = [...needs.streams];
  if (streams.length === 0) return;
  const columns = streams.map(([stream, days], i) => {
    const horizon = loadedAt - days * DAY_US;
    const named = stream === 'any' ? sql`1 = 1` : sql`event = ${stream}`;
    const old = sql`${named} AND ${us} <= ${horizon}`;
    return sql`${fn.aggregateIf('count', sql``, old)} AS ${sql.id(`n${i}`)},
      ${fn.castText(fn.aggregateIf('min', us, old))} AS ${sql.id(`first${i}`)},
      ${fn.castText(fn.aggregateIf('max', us, old))} AS ${sql.id(`last${i}`)},
      ${fn.textList(sql`CASE WHEN ${named} AND ${us} > ${horizon} THEN ${fn.castText(us)} END`)} AS ${sql.id(`recent${i}`)}`;
  });
  const names = streams.map(([stream]) => stream);
  const only = names.includes('any')
    ? sql.empty
    : sql` AND event IN (${sql.join(names.map((n) => sql.value(n)))})`;
  const rows = await store.query<Record<string, unknown>>(
    sql`SELECT account_id, ${sql.join(columns)} FROM ${events} r WHERE ${within}${only} GROUP BY account_id`,
  );
  for (const row of rows) {
    const state = states.get(String(row.account_id));
    if (!state) continue;
    streams.forEach(([stream], i) => {
      const recent = list(row[`recent${i}`]);
      // A stream with no row at all stays absent, as when it was read one stream at a time.
      if (Number(row[`n${i}`]) === 0 && recent.length === 0) return;
      state.streams.set(stream, {
        oldCount: Number(row[`n${i}`]),
        oldFirst: num(row[`first${i}`]),
        oldLast: num(row[`last${i}`]),
        recent: recent.map(Number).sort((a, b) => a - b),
      });
    });
  }
}

/** Index of the first time in `sorted` greater than `bound` (where `bound` would be inserted after its equals). */
export function firstAfter(sorted: readonly number[], bound: number): number {
  let [low, high] = [0, sorted.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) <= bound) low = middle + 1;
    else high = middle;
  }
  return low;
}
