import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
}

describe('strata demo on the S world, end to end', () => {
  const ws = join(dir, 'demo');

  it('generates, writes a workspace, imports every table, and reports what is there', () => {
    const run = runCli(['demo', '-w', ws, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const demo = run.json<DemoResult>();
    expect(demo.world).toMatchObject({ scale: 'S', seed: 42 });
    expect(demo.schemaVersion).toBe(3);
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
    expect(demo.run).toMatchObject({ runId: 1, asOf: '2026-10-31T23:59:59.000Z', accounts: 1000 });
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

  it('is idempotent: a second run reuses the world and duplicates nothing', () => {
    const demo = runCli(['demo', '-w', ws, '--json']).json<DemoResult>();
    expect(demo.imports.every((i) => i.inserted === 0 && i.unchanged === i.rowsRead)).toBe(true);
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
