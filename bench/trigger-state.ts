/**
 * The in-memory state `strata serve` keeps for trigger segments (src/activate/incremental/),
 * on a workspace such as bench/segments.sh leaves (M: 100,000 accounts, 10.4M events):
 * - load: every account's state read from the store, as at start-up, and the JS heap it holds;
 * - rank refresh: every account's value of each ranked metric computed again, as each sweep does;
 * - sweep: every account's memberships evaluated in memory, counted per segment (compare with
 *   `strata segments list --json` of a run at the same time);
 * - reread: the state of N touched accounts read again, whole (after a user or an event through
 *   a user changed) and but for their events (after a trait changed).
 * Usage: node --expose-gc --import tsx bench/trigger-state.ts [WORKSPACE=bench/out/seg-M]
 *   [SEGMENTS=top_revenue,at_risk] [AS_OF=2026-10-31T23:59:59Z] [N=70]
 */
import { loadavg } from 'node:os';
import { loadStates } from '../src/activate/incremental/account-state.js';
import { incrementalNeeds } from '../src/activate/incremental/incremental-needs.js';
import { IncrementalSegments } from '../src/activate/incremental/incremental-segments.js';
import { openStore } from '../src/store/open-store.js';
import { loadWorkspace } from '../src/workspace/load-workspace.js';

const [dir = 'bench/out/seg-M', list = 'top_revenue,at_risk', asOf = '2026-10-31T23:59:59Z', n = '70'] =
  process.argv.slice(2);
const workspace = loadWorkspace(dir);
const store = await openStore(workspace);
const segments = list.split(',');
const now = new Date(asOf);
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(3);
const heap = () => {
  global.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
console.log(
  `as of ${now.toISOString()}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const incremental = new IncrementalSegments(store, workspace, segments);
for (const mode of incremental.modes)
  console.log(`${mode.segment}: ${mode.incremental ? 'in memory' : `compiled query (${mode.reason})`}`);
const heapBefore = heap();
let t = performance.now();
await incremental.load(now);
console.log(
  `load: ${seconds(t)} s for ${incremental.size} accounts, ${(heap() - heapBefore).toFixed(0)} MiB of heap`,
);
for (let i = 0; i < 3; i++) {
  t = performance.now();
  await incremental.refreshRanks(now);
  console.log(`rank refresh: ${seconds(t)} s`);
}
t = performance.now();
const counts = new Map<string, number>();
for (const slice of incremental.accountSlices(5_000))
  for (const account of slice)
    for (const segment of incremental.members(account, now, segments) ?? [])
      counts.set(segment, (counts.get(segment) ?? 0) + 1);
console.log(`sweep in memory: ${seconds(t)} s; members ${JSON.stringify(Object.fromEntries(counts))}`);
const verdict = incrementalNeeds(workspace, incremental.segments);
if (verdict.incremental) {
  const { sql } = store.dialect;
  const accounts = (
    await store.query<{ account_id: string }>(
      sql`SELECT account_id FROM accounts ORDER BY hash(account_id) LIMIT ${Number(n)}`,
    )
  ).map((row) => row.account_id);
  for (const whole of [true, false, true, false]) {
    t = performance.now();
    const states = await loadStates(
      store,
      workspace.config.identity,
      verdict.needs,
      now.getTime() * 1000,
      accounts,
      whole,
    );
    console.log(
      `reread ${states.size} accounts ${whole ? 'whole' : 'but for their events'}: ${seconds(t)} s`,
    );
  }
}
await store.close();
