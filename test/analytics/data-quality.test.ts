import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeQuality } from '../../src/analytics/quality/data-quality.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Five accounts: q1-q2 enterprise (2000 employees), q3-q5 small. industry is missing for q2
 * and q5; the lead_source trait only q1 and q3 have. Overall: industry 3/5 = 60% (below the
 * 80% required), employees 5/5. Enterprise (95% required): industry 1/2 = 50% below.
 * Events: newest 2024-06-30 12:00 (the 07-05 one is after the time), as of 07-01 00:00: 12 hours
 * old, fresh for daily (48 allowed); tickets: newest 06-20, 264 hours old: stale for weekly (192 allowed).
 */
const dir = tempDir();
let store: DuckDBStore;
beforeAll(async () => {
  store = await DuckDBStore.open(join(dir, 'q.duckdb'));
  await store.execute(sql`
    INSERT INTO accounts (account_id, created_at, employees, industry, traits) VALUES
      ('q1', '2024-01-01', 2000, 'Tech', '{"lead_source": "ads"}'), ('q2', '2024-01-01', 2000, NULL, NULL),
      ('q3', '2024-01-01', 10, 'Retail', '{"lead_source": "web"}'), ('q4', '2024-01-01', 12, 'Retail', '{}'),
      ('q5', '2024-01-01', 8, NULL, NULL);
    INSERT INTO events (event_id, account_id, event, ts) VALUES ('e1', 'q1', 'login', '2024-06-30 12:00:00'),
      ('future', 'q1', 'login', '2024-07-05');
    INSERT INTO tickets (ticket_id, account_id, created_at) VALUES ('t1', 'q3', '2024-06-20');
  `);
  mkdirSync(join(dir, 'ws'));
  writeFileSync(
    join(dir, 'ws', 'strata.yaml'),
    `segments:
  enterprise: { where: { trait: employees, gte: 1000 } }
quality:
  coverage: 0.8
  segments: { enterprise: 0.95 }
  attributes: [industry, employees, lead_source]
  freshness: { events: daily, tickets: weekly }
`,
  );
  await runWorkspace(store, loadWorkspace(join(dir, 'ws')), new Date('2024-07-01T00:00:00Z'));
});
afterAll(() => store.close());

describe('data quality and freshness', () => {
  it('measures coverage overall and within segments against their requirements', async () => {
    const report = await analyzeQuality(
      store,
      loadWorkspace(join(dir, 'ws')),
      new Date('2024-07-01T00:00:00Z'),
    );
    expect(report.accounts).toBe(5);
    expect(report.attributes).toEqual([
      { attribute: 'industry', share: 0.6, required: 0.8, ok: false },
      { attribute: 'employees', share: 1, required: 0.8, ok: true },
      { attribute: 'lead_source', share: 0.4, required: 0.8, ok: false },
    ]);
    expect(report.segments).toEqual([
      {
        segment: 'enterprise',
        members: 2,
        required: 0.95,
        attributes: [
          { attribute: 'industry', share: 0.5, ok: false },
          { attribute: 'employees', share: 1, ok: true },
          { attribute: 'lead_source', share: 0.5, ok: false },
        ],
      },
    ]);
  });

  it('compares the newest row of each table with its expected frequency', async () => {
    const report = await analyzeQuality(
      store,
      loadWorkspace(join(dir, 'ws')),
      new Date('2024-07-01T00:00:00Z'),
    );
    const byTable = Object.fromEntries(report.freshness.map((f) => [f.table, f]));
    expect(byTable.events).toMatchObject({
      expected: 'daily',
      newestRow: '2024-06-30T12:00:00.000Z',
      lagHours: 12,
      fresh: true,
    });
    expect(byTable.tickets).toMatchObject({ expected: 'weekly', lagHours: 264, fresh: false });
    expect(byTable.surveys).toMatchObject({ expected: null, newestRow: null, fresh: null });
  });
});
