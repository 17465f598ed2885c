import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace, type Workspace } from '../../src/workspace/load-workspace.js';
import { sql, testSql } from './sql.js';

/*
 * The account page's world (test/web/account.test.ts), small enough to work out by hand;
 * every account created 2024-01-01:
 *   acme  2,000 employees, Healthcare, 3 sessions on 2024-05-20
 *   bolt     50 employees, Retail,     no sessions
 *   cato  1,500 employees, Retail,     12 sessions on 2024-05-20
 * Three runs: 2024-05-15 (no session in the 30 days yet), 2024-06-01, and 2024-06-01 again
 * after an edit of strata.yaml (small: employees < 100 becomes < 5000).
 *
 * acme at the last run (sessions = 3, fit = 100 * (3 * 3/12 + 1 * 1) / 4 = 43.75):
 *   target = any[ all[ segment big, not(industry = Retail) ], sessions >= 10 ]
 *     all[0] big (2,000 >= 1,000) holds; all[1] not(Healthcare = Retail) holds -> any[0]
 *     holds, decided by both; any[1] 3 >= 10 fails -> IN, decided by any[0].
 *   growth = all[ segment big, any[ sessions >= 10, not(industry = Healthcare) ] ]
 *     any[0] 3 >= 10 fails; any[1] not(Healthcare = Healthcare) fails -> the any fails,
 *     decided by both -> OUT, decided by all[1] (all[0] big holds and did not decide).
 *   engaged (sessions >= 10): out. big, big_healthcare (parent big: in), small: in.
 *   fit_ok (fit >= 40): in; sessions 3 of 0..12 gives 3 * 0.25 / 4 * 100 = 18.75 points,
 *     employees 2,000 clamped to 1,000 gives 1 / 4 * 100 = 25 points.
 *   scheme tiers [engaged, growth, big]: not in engaged, growth -> big.
 *   playbook big_healthcare (weekly, call): not new in the last run -> "weekly touch:
 *     expand" by call, due 7 days after 2024-06-01.
 * Its timeline: run 1 (sessions 0, fit 25) entered big, big_healthcare, target (first
 * run); run 2 entered fit_ok (data: its one leaf, fit >= 40, failed at 25 and holds at
 * 43.75); run 3 entered small (the definition changed; no leaf reasons for that cause).
 * bolt is out of target: both branches fail (50 employees, Retail, no sessions).
 */
/** The hand-worked answers above: trees as [path, holds, text, decided its parent]. */
export const BY_HAND = {
  acmeTarget: [
    ['where', 'true', 'any of', 'false'],
    ['where.any[0]', 'true', 'all of', 'true'],
    ['where.any[0].all[0]', 'true', 'in segment big', 'true'],
    ['where.any[0].all[1]', 'true', 'not', 'true'],
    ['where.any[0].all[1].not', 'false', 'trait industry = Healthcare, needs = Retail', 'false'],
    ['where.any[1]', 'false', 'metric sessions = 3, needs >= 10', 'false'],
  ],
  acmeGrowth: [
    ['where', 'false', 'all of', 'false'],
    ['where.all[0]', 'true', 'in segment big', 'false'],
    ['where.all[1]', 'false', 'any of', 'true'],
    ['where.all[1].any[0]', 'false', 'metric sessions = 3, needs >= 10', 'true'],
    ['where.all[1].any[1]', 'false', 'not', 'true'],
    ['where.all[1].any[1].not', 'true', 'trait industry = Healthcare, needs = Healthcare', 'false'],
  ],
  // 50 employees and Retail fail both sides of the all; no sessions fail the other branch.
  boltTarget: [
    ['where', 'false', 'any of', 'false'],
    ['where.any[0]', 'false', 'all of', 'true'],
    ['where.any[0].all[0]', 'false', 'in segment big', 'true'],
    ['where.any[0].all[1]', 'false', 'not', 'true'],
    ['where.any[0].all[1].not', 'true', 'trait industry = Retail, needs = Retail', 'false'],
    ['where.any[1]', 'false', 'metric sessions = 0, needs >= 10', 'true'],
  ],
  // Per run: its id, acme's segments, and each [segment, change, cause].
  acmeTimeline: [
    [
      1,
      ['big', 'big_healthcare', 'target'],
      [
        ['big', 'entered', 'first_run'],
        ['big_healthcare', 'entered', 'first_run'],
        ['target', 'entered', 'first_run'],
      ],
    ],
    [2, ['big', 'big_healthcare', 'fit_ok', 'target'], [['fit_ok', 'entered', 'data']]],
    [3, ['big', 'big_healthcare', 'fit_ok', 'small', 'target'], [['small', 'entered', 'definition']]],
  ],
};

const yaml = (smallBelow: number) => `metrics:
  sessions: { count: { event: session_start }, within: 30d }
  fit: { score: [ { metric: sessions, weight: 3, bad: 0, good: 12 }, { metric: employees, weight: 1, bad: 0, good: 1000 } ] }
segments:
  big: { where: { trait: employees, gte: 1000 } }
  engaged: { where: { metric: sessions, gte: 10 } }
  target: { where: { any: [ { all: [ { segment: big }, { not: { trait: industry, eq: Retail } } ] }, { metric: sessions, gte: 10 } ] } }
  growth: { where: { all: [ { segment: big }, { any: [ { metric: sessions, gte: 10 }, { not: { trait: industry, eq: Healthcare } } ] } ] } }
  big_healthcare: { parent: big, where: { trait: industry, eq: Healthcare } }
  fit_ok: { where: { metric: fit, gte: 40 } }
  small: { where: { trait: employees, lt: ${smallBelow} } }
schemes:
  tiers: { order: [engaged, growth, big], fallback: other }
playbooks:
  big_healthcare: { owner: cs, cadence: weekly, channels: [call, email], goal: expand }
`;

/** Writes the workspace into `dir`, seeds its store and makes the three runs; the store stays open. */
export async function buildAccountWorld(dir: string): Promise<{ store: Store; workspace: Workspace }> {
  writeFileSync(join(dir, 'strata.yaml'), yaml(100));
  const store = await openStore(loadWorkspace(dir));
  await store.execute(sql`INSERT INTO accounts (account_id, name, created_at, employees, industry, plan, mrr) VALUES
    ('acme', 'Acme Health', '2024-01-01', 2000, 'Healthcare', 'enterprise', 5000),
    ('bolt', 'Bolt Shop', '2024-01-01', 50, 'Retail', 'starter', 100),
    ('cato', 'Cato Stores', '2024-01-01', 1500, 'Retail', 'growth', 900)`);
  const sessions = [...Array.from({ length: 3 }, () => 'acme'), ...Array.from({ length: 12 }, () => 'cato')];
  await store.execute(
    testSql(
      `INSERT INTO events (event_id, account_id, event, ts) VALUES ${sessions
        .map((id, i) => `('e${i}', '${id}', 'session_start', TIMESTAMP '2024-05-20' + INTERVAL (${i}) HOUR)`)
        .join(', ')}`,
    ),
  );
  await runWorkspace(store, loadWorkspace(dir), new Date('2024-05-15T00:00:00Z'));
  await runWorkspace(store, loadWorkspace(dir), new Date('2024-06-01T00:00:00Z'));
  writeFileSync(join(dir, 'strata.yaml'), yaml(5000));
  const workspace = loadWorkspace(dir);
  await runWorkspace(store, workspace, new Date('2024-06-01T00:00:00Z'));
  return { store, workspace };
}
