import { writeFileSync } from 'node:fs';

/**
 * Writes the training set as CSV: account_id (and as_of, the snapshot, when trained on
 * history) first so rows join back to the accounts, then one column per feature (empty when
 * missing), label and split. Rows are sorted by snapshot then account_id, not in the
 * shuffled order of the split, so two exports of the same data compare line by line.
 */
export function exportTrainingSet(
  file: string,
  features: readonly string[],
  parts: Record<'train' | 'holdout', Matrix>,
) {
  const quote = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  const p = features.length;
  const snapshots = parts.train.asOf !== undefined;
  const rows: { key: [string, string]; line: string }[] = [];
  for (const [split, { x, y, ids, asOf }] of Object.entries(parts)) {
    for (let i = 0; i < y.length; i++) {
      const values = Array.from(x.subarray(i * p, i * p + p), (v) => (Number.isNaN(v) ? '' : String(v)));
      const id = ids[i] as string;
      const at = asOf?.[i] ?? '';
      const first = snapshots ? [quote(at), quote(id)] : [quote(id)];
      rows.push({ key: [at, id], line: [...first, ...values, y[i], split].join(',') });
    }
  }
  // Plain code-unit order (not locale order), the same as SQL's ORDER BY on ids.
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  rows.sort((a, b) => compare(a.key[0], b.key[0]) || compare(a.key[1], b.key[1]));
  const header = [...(snapshots ? ['as_of'] : []), 'account_id', ...features, 'label', 'split'];
  writeFileSync(file, `${[header.map(quote).join(','), ...rows.map((r) => r.line)].join('\n')}\n`);
}

/** Rows of a training set: features, labels, account ids and (trained on history) each row's snapshot. */
export type Matrix = { x: Float64Array; y: Float64Array; ids: readonly string[]; asOf?: readonly string[] };
