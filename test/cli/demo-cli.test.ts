import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../src/store/duckdb/migrations.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir();

interface DemoResult {
  world: { scale: string; seed: number; rows: Record<string, number> };
  imports: { table: string; rowsRead: number; inserted: number; unchanged: number; skipped: number }[];
  tables: { table: string; rows: number; from: string | null; to: string | null }[];
  schemaVersion: number;
  run: {
    runId: number;
    asOf: string;
    accounts: number;
    segments: { segment: string; after: number }[];
    schemes: { scheme: string; accounts: number }[];
  };
  examples: { kind: string; name: string; note: string }[];
}

describe('strata demo on the S world, end to end', () => {
  const ws = join(dir, 'demo');

  it('generates, writes a workspace, imports every table, and reports what is there', () => {
    const run = runCli(['demo', '-w', ws, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const demo = run.json<DemoResult>();
    expect(demo.world).toMatchObject({ scale: 'S', seed: 42 });
    expect(demo.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    // Every generated row reached its table: what the generator counted is what the store holds.
    for (const table of demo.tables) {
      expect(table.rows, table.table).toBe(demo.world.rows[table.table]);
      expect(table.rows, table.table).toBeGreaterThan(0);
    }
    const accounts = demo.tables.find((t) => t.table === 'accounts')?.rows ?? 0;
    const events = demo.tables.find((t) => t.table === 'events')?.rows ?? 0;
    expect(accounts).toBe(1000);
    expect(events).toBeGreaterThan(70_000);
    expect(events).toBeLessThan(130_000);
    expect(demo.imports.every((i) => i.skipped === 0)).toBe(true);
    // The template's segments ran at the world's end over every account; each scheme partitions them.
    // Run 1 is a month before the end, so the dashboard has changes and transitions to show.
    expect(demo.run).toMatchObject({ runId: 2, asOf: '2026-10-31T23:59:59.000Z', accounts: 1000 });
    const moved = runCli(['transitions', '-w', ws, '--json']).json<{
      from: number;
      to: number;
      segments: { entered: number; exited: number }[];
    }>();
    expect([moved.from, moved.to]).toEqual([1, 2]);
    expect(moved.segments.some((m) => m.entered + m.exited > 0)).toBe(true);
    // The dashboard's other examples: a clustering, a churn model and an A/B test, saved in the workspace.
    expect(demo.examples.map((e) => [e.kind, e.name])).toEqual([
      ['clustering', 'usage'],
      ['model', 'churn'],
      ['A/B test', 'save_offer'],
    ]);
    expect(existsSync(join(ws, 'models', 'usage', 'v1.json'))).toBe(true);
    expect(existsSync(join(ws, 'models', 'churn', 'v1.json'))).toBe(true);
    expect(demo.run.segments.length).toBeGreaterThanOrEqual(25);
    for (const scheme of new Set(demo.run.schemes.map((s) => s.scheme))) {
      const total = demo.run.schemes
        .filter((s) => s.scheme === scheme)
        .reduce((sum, s) => sum + s.accounts, 0);
      expect(total, scheme).toBe(1000);
    }
    // The workspace names the generated files as its sources.
    expect(readFileSync(join(ws, 'strata.yaml'), 'utf8')).toMatch(
      /events: \{ file: "data\/events\/\*\.parquet" \}/,
    );
  });

  it('is idempotent: a second run reuses the world, duplicates nothing and keeps an edited strata.yaml', () => {
    const edited = `${readFileSync(join(ws, 'strata.yaml'), 'utf8')}# edited by hand\n`;
    writeFileSync(join(ws, 'strata.yaml'), edited);
    const demo = runCli(['demo', '-w', ws, '--json']).json<DemoResult>();
    expect(demo.imports.every((i) => i.inserted === 0 && i.unchanged === i.rowsRead)).toBe(true);
    expect(readFileSync(join(ws, 'strata.yaml'), 'utf8')).toBe(edited);
    expect(demo.examples).toEqual([]);
    expect(demo.run.runId).toBe(3);
    expect(existsSync(join(ws, 'models', 'churn', 'v2.json'))).toBe(false);
    // Nothing changed since: the latest run is shown again, not repeated.
    expect(runCli(['demo', '-w', ws, '--json']).json<DemoResult>().run.runId).toBe(3);
  });

  it('lists segments, shows one, pages its members, and measures overlaps that agree with the member lists', () => {
    const list = runCli(['segments', 'list', '-w', ws, '--json']).json<{
      segments: { segment: string; accounts: number }[];
    }>();
    const sizes = new Map(list.segments.map((s) => [s.segment, s.accounts]));
    const membersOf = (id: string) =>
      runCli(['segments', 'members', id, '-w', ws, '--limit', '5000', '--json'])
        .json<{ total: number; members: { account_id: string }[] }>()
        .members.map((m) => m.account_id);
    const overlap = runCli(['segments', 'overlap', '-w', ws, '--json']).json<{
      pairs: { a: string; b: string; both: number; jaccard: number }[];
    }>();
    const pair = overlap.pairs.find((p) => p.a === 'healthcare' && p.b === 'mid_market');
    const healthcare = new Set(membersOf('healthcare'));
    const midMarket = membersOf('mid_market');
    expect(healthcare.size).toBe(sizes.get('healthcare'));
    const shared = midMarket.filter((id) => healthcare.has(id)).length;
    expect(pair?.both).toBe(shared);
    expect(pair?.jaccard).toBeCloseTo(shared / (healthcare.size + midMarket.length - shared), 12);
    // A child's members are a subset of its parent's.
    expect(membersOf('mm_healthcare').every((id) => midMarket.includes(id))).toBe(true);
    const show = runCli(['segments', 'show', 'mm_healthcare', '-w', ws]);
    expect(show.stdout).toContain(
      'mm_healthcare: { framework: firmographic, parent: mid_market, where: { segment: healthcare } }',
    );
    const page = runCli([
      'segments',
      'members',
      'paying',
      '-w',
      ws,
      '--limit',
      '3',
      '--sort',
      'health',
      '--json',
    ]).json<{
      members: { metrics: { health: number } }[];
    }>();
    const health = page.members.map((m) => m.metrics.health);
    expect(health).toEqual([...health].sort((a, b) => b - a));
  });

  it('prints a readable summary without --json', () => {
    const run = runCli(['status', '-w', ws]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^table\s+rows\s+from\s+to$/m);
    expect(run.stdout).toMatch(/^accounts\s+1000\s+2023-11-\d\d\s+2026-10-\d\d$/m);
  });
});

describe('strata generate', () => {
  it('writes the same bytes for the same seed', () => {
    const a = runCli(['generate', '--scale', 'S', '--seed', '7', '--out', join(dir, 'a'), '--json']);
    const b = runCli(['generate', '--scale', 'S', '--seed', '7', '--out', join(dir, 'b'), '--json']);
    expect(a.code).toBe(0);
    const files = a.json<{ files: Record<string, string>; groundTruthFile: string }>();
    for (const file of [
      ...Object.values(files.files).filter((f) => !f.includes('*')),
      files.groundTruthFile,
    ]) {
      expect(readFileSync(join(dir, 'b', file)).equals(readFileSync(join(dir, 'a', file))), file).toBe(true);
    }
    expect(b.code).toBe(0);
  });

  it('rejects an unknown scale', () => {
    const run = runCli(['generate', '--scale', 'XL', '--out', join(dir, 'x')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--scale XL: expected one of S, M, L/);
  });
});
