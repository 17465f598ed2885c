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
