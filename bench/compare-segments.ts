/**
 * Checks the memberships of the latest `strata run` in a workspace's database (the
 * `segment:` columns of table strata_run_<highest run_id>) against those of bench/reference-segments.ts
 * (table reference_memberships in its own file). Prints every segment with its count on
 * each side and, where they differ, how many accounts only one side has and a few of them.
 * Exits 1 if any segment differs.
 * Usage: node --import tsx bench/compare-segments.ts <workspace.duckdb> <reference.duckdb>
 */
import { DuckDBInstance } from '@duckdb/node-api';

const [workspaceDb, referenceDb] = process.argv.slice(2);
if (!workspaceDb || !referenceDb) {
  throw new Error('usage: compare-segments.ts <workspace.duckdb> <reference.duckdb>');
}
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

const instance = await DuckDBInstance.create(referenceDb, { access_mode: 'READ_ONLY' });
const connection = await instance.connect();
await connection.run("SET TimeZone = 'UTC'");
await connection.run(`ATTACH ${quote(workspaceDb)} AS ws (READ_ONLY)`);
const query = async <Row>(sql: string) =>
  (await connection.runAndReadAll(sql)).getRowObjectsJS() as unknown as Row[];

const [run] = await query<{ run_id: bigint; as_of: Date; accounts: bigint }>(
  'SELECT run_id, as_of, accounts FROM ws.strata_runs ORDER BY run_id DESC LIMIT 1',
);
if (!run) throw new Error(`no run in ${workspaceDb}`);
const rows = await query<{
  segment_id: string;
  strata: bigint;
  reference: bigint;
  only_strata: bigint;
  only_reference: bigint;
  sample_only_strata: string[];
  sample_only_reference: string[];
}>(`
  WITH s AS (SELECT substr(segment_id, 9) AS segment_id, account_id
             FROM (UNPIVOT (SELECT account_id, COLUMNS('^segment:') FROM ws.strata_run_${run.run_id})
                   ON COLUMNS(* EXCLUDE (account_id)) INTO NAME segment_id VALUE member)
             WHERE member),
       r AS (SELECT segment_id, account_id FROM reference_memberships),
       j AS (SELECT coalesce(s.segment_id, r.segment_id) AS segment_id,
                    coalesce(s.account_id, r.account_id) AS account_id,
                    s.account_id IS NOT NULL AS in_s, r.account_id IS NOT NULL AS in_r
             FROM s FULL OUTER JOIN r ON s.segment_id = r.segment_id AND s.account_id = r.account_id)
  SELECT segment_id,
         count(*) FILTER (WHERE in_s) AS strata,
         count(*) FILTER (WHERE in_r) AS reference,
         count(*) FILTER (WHERE in_s AND NOT in_r) AS only_strata,
         count(*) FILTER (WHERE in_r AND NOT in_s) AS only_reference,
         (list(account_id ORDER BY account_id) FILTER (WHERE in_s AND NOT in_r))[1:5] AS sample_only_strata,
         (list(account_id ORDER BY account_id) FILTER (WHERE in_r AND NOT in_s))[1:5] AS sample_only_reference
  FROM j GROUP BY segment_id ORDER BY segment_id`);

const differing = rows.filter((r) => r.only_strata > 0n || r.only_reference > 0n);
const pad = (text: string | bigint, width: number) => String(text).padStart(width);
console.log(
  `strata run ${run.run_id} as of ${run.as_of.toISOString()} (${run.accounts} accounts) against the reference`,
);
console.log(
  `${'segment'.padEnd(20)}${pad('strata', 10)}${pad('reference', 11)}${pad('only strata', 13)}${pad('only ref', 10)}`,
);
for (const r of rows) {
  const mark = r.only_strata > 0n || r.only_reference > 0n ? '  DIFFERS' : '';
  console.log(
    `${r.segment_id.padEnd(20)}${pad(r.strata, 10)}${pad(r.reference, 11)}${pad(r.only_strata, 13)}${pad(r.only_reference, 10)}${mark}`,
  );
}
for (const r of differing) {
  console.log(
    `${r.segment_id}: only in strata e.g. ${r.sample_only_strata?.join(', ') || '-'}; only in reference e.g. ${r.sample_only_reference?.join(', ') || '-'}`,
  );
}
console.log(
  differing.length === 0
    ? `memberships identical: ${rows.length} segments`
    : `memberships differ in ${differing.length} of ${rows.length} segments: ${differing.map((r) => r.segment_id).join(', ')}`,
);
connection.closeSync();
instance.closeSync();
process.exitCode = differing.length === 0 ? 0 : 1;
