import { exactTimeText } from '../model/instant.js';
import { withKeyChunks } from '../store/key-chunks.js';
import type { Store } from '../store/store.js';
import { type Row, timestampColumns } from './message-traits.js';

/**
 * Stored rows (of `ids`, any number) to merge a message with. Timestamps are read as text: the driver's dates
 * keep only milliseconds, and the merged row is written back whole, so a second group
 * call would otherwise move a signup at 23:59:59.9995 to 23:59:59.999.
 */
export async function storedRows(
  store: Store,
  table: 'accounts' | 'users',
  key: string,
  ids: readonly string[],
): Promise<Row[]> {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const times = timestampColumns(table);
  const rows: Row[] = [];
  // As many ids as one query of the store takes at a time (a temporary table on DuckDB).
  await withKeyChunks(store, ids, async (_, keys) => {
    const found = await store.query<Row>(
      sql`SELECT *${sql.join(
        times.map((c) => sql`, ${fn.castText(q(c))} AS ${q(`__text_${c}`)}`),
        sql.empty,
      )} FROM ${q(table)} WHERE ${q(key)} IN ${keys}`,
    );
    // One by one: on DuckDB one chunk holds every id (a spread of a million overflows the stack).
    for (const row of found) rows.push(row);
  });
  for (const row of rows)
    for (const c of times) {
      row[c] = exactTimeText(row[`__text_${c}`]);
      delete row[`__text_${c}`];
    }
  return rows;
}

/**
 * Those of `users` with a stored event that names no account (counted for the accounts the
 * user is linked to when read): a change of such a user may move events between accounts.
 */
export async function usersWithAccountlessEvents(
  store: Store,
  users: readonly string[],
): Promise<Set<string>> {
  const sql = store.dialect.sql;
  const found = new Set<string>();
  await withKeyChunks(store, users, async (_, keys) => {
    const rows = await store.query<{ user_id: string }>(
      sql`SELECT DISTINCT user_id FROM events WHERE account_id = '' AND user_id IN ${keys}`,
    );
    for (const row of rows) found.add(String(row.user_id));
  });
  return found;
}
