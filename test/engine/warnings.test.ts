import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

// 12 accounts: e1..e12 with employees 1..12. Segment sizes below are counted by hand.
const dir = tempDir();
let store: DuckDBStore;
const segment = (n: number) => `  s${n}: { where: { trait: employees, gte: ${n} } }`;

function workspace(name: string, text: string) {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'strata.yaml'), text);
  return loadWorkspace(join(dir, name));
}

beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'strata.duckdb'));
  const rows = Array.from({ length: 12 }, (_, i) => `('e${i + 1}', '2024-01-01', ${i + 1})`);
  await store.execute(
    testSql(`INSERT INTO accounts (account_id, created_at, employees) VALUES ${rows.join(', ')}`),
  );
});
afterAll(() => store.close());

describe('run warnings', () => {
  it('flags schemes over 7 and over 10 segments, small segments and segments without a playbook', async () => {
    const eight = Array.from({ length: 8 }, (_, i) => `s${i + 1}`).join(', ');
    const eleven = Array.from({ length: 11 }, (_, i) => `s${i + 1}`).join(', ');
    const ws = workspace(
      'many',
      `segments:\n${Array.from({ length: 11 }, (_, i) => segment(i + 1)).join('\n')}
schemes:\n  eight: { order: [${eight}] }\n  eleven: { order: [${eleven}] }
playbooks:\n${Array.from({ length: 10 }, (_, i) => `  s${i + 1}: { owner: cs }`).join('\n')}
settings: { minSegmentSize: 3 }\n`,
    );
    const report = await runWorkspace(store, ws, new Date('2024-06-01T00:00:00Z'));
    const byCode = (code: string) => report.warnings.filter((w) => w.code === code);
    expect(byCode('scheme_too_many').map((w) => [w.level, w.message.split(' has')[0]])).toEqual([
      ['warning', "scheme 'eight'"],
      ['strong', "scheme 'eleven'"],
    ]);
    // s_n holds accounts with n..12 employees: 13 - n of them; under 3 are s11 (2) only.
    expect(byCode('segment_too_small').map((w) => w.segment)).toEqual(['s11']);
    expect(byCode('no_playbook').map((w) => w.message)).toEqual([
      '1 segment has no playbook, so nobody is told what to do with it: s11',
    ]);
    // Every pair with playbooks shares both schemes, so no overlap warning.
    expect(byCode('overlap_outside_scheme')).toEqual([]);
  });

  it('flags segments with playbooks that share accounts outside any common scheme', async () => {
    const ws = workspace(
      'overlap',
      `segments:\n${segment(5)}\n${segment(10)}\n  small: { where: { trait: employees, lt: 3 } }
playbooks:\n  s5: { owner: cs }\n  s10: { owner: sales }\n  small: { owner: cs }\n`,
    );
    const report = await runWorkspace(store, ws, new Date('2024-06-01T00:00:00Z'));
    // s5 = e5..e12, s10 = e10..e12 (3 shared); small = e1, e2 shares nothing.
    expect(report.warnings.filter((w) => w.code === 'overlap_outside_scheme').map((w) => w.message)).toEqual([
      "segments 's10' and 's5' both have a playbook and share 3 accounts; put them in one scheme or give their playbooks different ranks to decide which next action is primary",
    ]);
    // Different ranks decide as a scheme would: no warning.
    const ranked = workspace(
      'overlap-ranked',
      `segments:\n${segment(5)}\n${segment(10)}\nplaybooks:\n  s5: { owner: cs, rank: 2 }\n  s10: { owner: sales, rank: 1 }\n`,
    );
    const decided = await runWorkspace(store, ranked, new Date('2024-06-01T00:00:00Z'));
    expect(decided.warnings.filter((w) => w.code === 'overlap_outside_scheme')).toEqual([]);
  });

  it('flags segments unchanged over the last N runs at different times', async () => {
    const ws = workspace(
      'stale',
      `segments:\n${segment(6)}\nplaybooks:\n  s6: { owner: cs }\nsettings: { staleRuns: 3 }\n`,
    );
    const first = await runWorkspace(store, ws, new Date('2024-06-01T00:00:00Z'));
    expect(first.warnings.filter((w) => w.code === 'segment_stale')).toEqual([]);
    await runWorkspace(store, ws, new Date('2024-06-02T00:00:00Z'));
    const third = await runWorkspace(store, ws, new Date('2024-06-03T00:00:00Z'));
    expect(third.warnings.filter((w) => w.code === 'segment_stale').map((w) => w.message)).toEqual([
      '1 segment has not changed over the last 3 runs (are they still useful?): s6',
    ]);
  });
});
