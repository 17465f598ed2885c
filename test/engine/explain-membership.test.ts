import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainMembership } from '../../src/engine/explain-membership.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace, type Workspace } from '../../src/workspace/load-workspace.js';
import { ENGINES, type Engine, insertRows, openEngine } from '../helpers/engines.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Three accounts as of 2024-06-01, sessions in the 30 days before it:
 *   a  2,000 employees, Healthcare,  3 sessions
 *   b     50 employees, Retail,      0 sessions
 *   c  1,500 employees, Retail,     12 sessions
 * target = any[ all[ big, not(industry = Retail) ], sessions >= 10 ]
 *   a: all[0] big true, all[1] not(Retail? no) true -> any[0] true; any[1] 3 >= 10 false -> in, by any[0]
 *   b: big false, not(Retail? yes) false -> any[0] false (both decide); any[1] 0 false -> out, by both
 *   c: big true, not(Retail? yes) false -> any[0] false (by all[1]); any[1] 12 true -> in, by any[1]
 * scheme tiers: order [engaged, big], fallback other:
 *   a: not engaged, big -> big;  b: neither -> other;  c: engaged -> engaged.
 * big_healthcare (parent big, industry = Healthcare): a in; c out (its parent holds, Retail fails).
 * fit = score of sessions (weight 3, 0 -> 12) and employees (weight 1, 0 -> 1,000), 100 * points / 4:
 *   a: 3 * 3/12 = 0.75 -> 18.75 points; employees clamped at 1 -> 25 points; fit 43.75 < 60: out.
 * Every engine (DuckDB, ClickHouse 18.16, chdb) must give these answers.
 */
const dir = tempDir();
const database = `explain_${process.pid}`;
const YAML = `metrics:
  sessions: { count: { event: session_start }, within: 30d }
  fit: { score: [ { metric: sessions, weight: 3, bad: 0, good: 12 }, { metric: employees, weight: 1, bad: 0, good: 1000 } ] }
segments:
  big: { where: { trait: employees, gte: 1000 } }
  engaged: { where: { metric: sessions, gte: 10 } }
  target: { where: { any: [ { all: [ { segment: big }, { not: { trait: industry, eq: Retail } } ] }, { metric: sessions, gte: 10 } ] } }
  big_healthcare: { parent: big, where: { trait: industry, eq: Healthcare } }
  fit_ok: { where: { metric: fit, gte: 60 } }
schemes:
  tiers: { order: [engaged, big], fallback: other }
`;
mkdirSync(join(dir, 'ws'));
writeFileSync(join(dir, 'ws', 'strata.yaml'), YAML);
const workspace: Workspace = loadWorkspace(join(dir, 'ws'));

/** The accounts above and their sessions (a's 3, then c's 12, an hour apart from 2024-05-20), run once. */
async function openWorld(engine: Engine): Promise<Store> {
  mkdirSync(join(dir, engine));
  const store = await openEngine(engine, join(dir, engine), database);
  const created = new Date('2024-01-01T00:00:00Z');
  await insertRows(
    store,
    'accounts',
    ['account_id', 'created_at', 'employees', 'industry'],
    [
      ['a', created, 2000, 'Healthcare'],
      ['b', created, 50, 'Retail'],
      ['c', created, 1500, 'Retail'],
    ],
  );
  const sessions = [...Array.from({ length: 3 }, () => 'a'), ...Array.from({ length: 12 }, () => 'c')];
  await insertRows(
    store,
    'events',
    ['event_id', 'account_id', 'event', 'ts'],
    sessions.map((id, i) => [`e${i}`, id, 'session_start', new Date(Date.UTC(2024, 4, 20, i))]),
  );
  await runWorkspace(store, workspace, new Date('2024-06-01T00:00:00Z'));
  return store;
}

/** The tree as [path, holds, decidedBy?] rows, parents first. */
function rows(node: {
  path: string;
  holds: boolean;
  decidedBy?: readonly string[];
  children?: readonly unknown[];
}): unknown[] {
  return [
    [node.path, node.holds, ...(node.decidedBy ? [node.decidedBy] : [])],
    ...(node.children ?? []).flatMap((c) => rows(c as Parameters<typeof rows>[0])),
  ];
}

describe.each(ENGINES)('why an account is in or out of a segment, on %s', (engine: Engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openWorld(engine);
  });
  afterAll(() => store?.close());

  it('walks a nested any / all / not tree, naming the branch that decided it', async () => {
    const target = async (account: string) =>
      (await explainMembership(store, workspace, account, { segment: 'target' })).segments[0];
    const a = await target('a');
    expect(a?.member).toBe(true);
    expect(rows(a?.tree as never)).toEqual([
      ['where', true, ['where.any[0]']],
      ['where.any[0]', true, ['where.any[0].all[0]', 'where.any[0].all[1]']],
      ['where.any[0].all[0]', true],
      ['where.any[0].all[1]', true],
      ['where.any[0].all[1].not', false],
      ['where.any[1]', false],
    ]);
    const b = await target('b');
    expect(b?.member).toBe(false);
    expect(rows(b?.tree as never)).toEqual([
      ['where', false, ['where.any[0]', 'where.any[1]']],
      ['where.any[0]', false, ['where.any[0].all[0]', 'where.any[0].all[1]']],
      ['where.any[0].all[0]', false],
      ['where.any[0].all[1]', false],
      ['where.any[0].all[1].not', true],
      ['where.any[1]', false],
    ]);
    const c = await target('c');
    expect(c?.member).toBe(true);
    expect(c?.tree.decidedBy).toEqual(['where.any[1]']);
    expect(c?.tree.children?.[0]?.decidedBy).toEqual(['where.any[0].all[1]']);
    // Leaves carry the value they compared, typed (a number for a number), in words beside the threshold.
    expect(c?.tree.children?.[1]).toMatchObject({
      value: 12,
      text: 'metric sessions = 12, needs >= 10',
      holds: true,
    });
    expect(a?.tree.children?.[0]?.children?.[1]?.children?.[0]).toMatchObject({
      value: 'Healthcare',
      text: 'trait industry = Healthcare, needs = Retail',
    });
    expect(a?.storedMember).toBeNull();
  });

  it('gives each scheme its primary segment by the order, and a child its parent', async () => {
    const primary = async (account: string) =>
      (await explainMembership(store, workspace, account)).schemes.map((s) => [
        s.primary,
        s.storedPrimary,
        s.reason,
      ]);
    expect(await primary('a')).toEqual([['big', 'big', 'not in engaged; first match in the order']]);
    expect(await primary('b')).toEqual([['other', 'other', 'in none of engaged, big: the fallback']]);
    expect(await primary('c')).toEqual([['engaged', 'engaged', 'first match in the order']]);
    const c = await explainMembership(store, workspace, 'c', { segment: 'big_healthcare' });
    expect(c.segments[0]).toMatchObject({ member: false, parent: { segment: 'big', member: true } });
  });

  it('shows the components that drove a score, adding up to it', async () => {
    const a = (await explainMembership(store, workspace, 'a', { segment: 'fit_ok' })).segments[0];
    expect(a?.member).toBe(false);
    expect(a?.tree.value).toBeCloseTo(43.75, 10);
    // A score reads with one decimal in words (43.75 -> 43.8), full precision in the value.
    expect(a?.tree.text).toBe('metric fit = 43.8, needs >= 60');
    expect(a?.tree.components).toEqual([
      { metric: 'sessions', value: 3, weight: 3, bad: 0, good: 12, points: 18.75 },
      { metric: 'employees', value: 2000, weight: 1, bad: 0, good: 1000, points: 25 },
    ]);
  });

  it('names an unknown account or segment', async () => {
    await expect(explainMembership(store, workspace, 'zz')).rejects.toThrow("no account 'zz'");
    await expect(explainMembership(store, workspace, 'a', { segment: 'targt' })).rejects.toThrow(
      "unknown segment 'targt'",
    );
  });
});
