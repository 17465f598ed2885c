import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  latestDataTime,
  readClock,
  runClock,
  staleDataWarning,
  workspaceClock,
} from '../../src/engine/clock.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * The one clock (issue #19, item 1). The data: events on 2024-06-05 and 2024-06-12, a
 * trait change on 2024-06-13T08:00Z (the latest time in the data), and one event dated
 * in the future (2999), which "never later than now" leaves out.
 */
const dir = tempDir();
let store: DuckDBStore;
const yaml = (settings: string) => `settings: { ${settings} }
metrics:
  sessions_7d: { count: { event: session_start }, within: 7d }
segments:
  active: { where: { metric: sessions_7d, gte: 1 } }
`;
const workspaceWith = (name: string, settings: string) => {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'strata.yaml'), yaml(settings));
  return loadWorkspace(join(dir, name));
};
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'clock.duckdb'));
  await store.execute(sql`
    INSERT INTO accounts (account_id, created_at) VALUES ('a1', '2024-01-01');
    INSERT INTO events (event_id, account_id, event, ts) VALUES ('e1', 'a1', 'session_start', '2024-06-05'),
      ('e2', 'a1', 'session_start', '2024-06-12'), ('future', 'a1', 'session_start', '2999-01-01');
    INSERT INTO trait_history (account_id, trait, value, ts, source) VALUES ('a1', 'plan', 'pro', '2024-06-13T08:00:00Z', 'import');
  `);
});
afterAll(() => store.close());

const LATEST = '2024-06-13T08:00:00.000Z';

describe('the one clock', () => {
  it('is the latest time in the data (never later than now) by default, or now when told', async () => {
    const now = new Date('2026-12-06T12:00:00Z');
    expect((await latestDataTime(store, now))?.toISOString()).toBe(LATEST);
    const data = workspaceWith('data', 'staleAfter: 2d');
    expect(await workspaceClock(store, data, now)).toEqual({ at: new Date(LATEST), source: 'latest data' });
    const live = workspaceWith('live', 'clock: now');
    expect(await workspaceClock(store, live, now)).toEqual({ at: now, source: 'now' });
  });

  it('reads at the latest run, runs never before it, and a given time wins', async () => {
    const workspace = workspaceWith('runs', 'clock: data');
    // No run yet: a read falls back on the workspace clock.
    expect(await readClock(store, workspace)).toEqual({ at: new Date(LATEST), source: 'latest data' });
    await runWorkspace(store, workspace, new Date('2024-06-20T00:00:00Z'));
    expect(await readClock(store, workspace)).toEqual({
      at: new Date('2024-06-20T00:00:00Z'),
      source: 'latest run',
    });
    // The data ends before the latest run: a new run stays at the latest run's time.
    expect(await runClock(store, workspace)).toEqual({
      at: new Date('2024-06-20T00:00:00Z'),
      source: 'latest run',
    });
    const given = new Date('2024-06-07T00:00:00Z');
    expect(await readClock(store, workspace, given)).toEqual({ at: given, source: 'given' });
    expect(await runClock(store, workspace, given)).toEqual({ at: given, source: 'given' });
  });

  it('warns when the data ends more than settings.staleAfter before the time used', async () => {
    const strict = workspaceWith('strict', 'staleAfter: 2d');
    const lenient = workspaceWith('lenient', 'staleAfter: 1w');
    // 6.67 days after the latest data.
    const clock = { at: new Date('2024-06-20T00:00:00Z'), source: 'given' as const };
    expect(await staleDataWarning(store, strict, clock)).toBe(
      'the latest data is from 2024-06-13, 6 days before 2024-06-20: data has stopped arriving, or the time is past it (settings.staleAfter: 2d)',
    );
    expect(await staleDataWarning(store, lenient, clock)).toBeNull();
  });
});
