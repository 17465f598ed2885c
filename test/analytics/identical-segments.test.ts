import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identicalSegments } from '../../src/analytics/validation/identical-segments.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * a1 (500 employees, sessions 06-05 and 06-12), a2 (20, a session 06-03), a3 (150, none).
 * Run 1 as of 06-07, run 2 as of 06-14:
 *   big (>= 100) and not_small (> 99): {a1, a3} in both runs -> the same members: flagged;
 *   active (a session in 7 days): {a1, a2}, then {a1}; named (500 or 20): {a1, a2} in both:
 *     alike in run 1 only -> not flagged;
 *   named and big: 2 members each in run 2 but not the same ones -> not flagged;
 *   huge and tiny: empty both -> alike, but saying nothing -> not flagged.
 */
const dir = tempDir();
let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'i.duckdb'));
  await store.execute(sql`
    INSERT INTO accounts (account_id, created_at, employees) VALUES ('a1', '2024-01-01', 500), ('a2', '2024-01-01', 20), ('a3', '2024-01-01', 150);
    INSERT INTO events (event_id, account_id, event, ts) VALUES ('e1', 'a1', 'session_start', '2024-06-05'),
      ('e2', 'a1', 'session_start', '2024-06-12'), ('e3', 'a2', 'session_start', '2024-06-03');
  `);
  mkdirSync(join(dir, 'ws'));
  writeFileSync(
    join(dir, 'ws', 'strata.yaml'),
    `metrics:
  sessions_7d: { count: { event: session_start }, within: 7d }
segments:
  big: { where: { trait: employees, gte: 100 } }
  not_small: { where: { trait: employees, gt: 99 } }
  active: { where: { metric: sessions_7d, gte: 1 } }
  named: { where: { trait: employees, in: [500, 20] } }
  huge: { where: { trait: employees, gte: 10000 } }
  tiny: { where: { trait: employees, lt: 1 } }
`,
  );
  const workspace = loadWorkspace(join(dir, 'ws'));
  await runWorkspace(store, workspace, new Date('2024-06-07T00:00:00Z'));
  await runWorkspace(store, workspace, new Date('2024-06-14T00:00:00Z'));
});
afterAll(() => store.close());

describe('segments with the same members run after run (issue #19)', () => {
  it('are found over the last runs, by members, not by size', async () => {
    expect(await identicalSegments(store)).toEqual([
      { segments: ['big', 'not_small'], members: 2, runs: [1, 2] },
    ]);
    // The latest run alone: named and big have two members each there, but not the same two.
    expect(await identicalSegments(store, { runs: 1 })).toEqual([
      { segments: ['big', 'not_small'], members: 2, runs: [2] },
    ]);
  });
});
