import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/demo/generate-world.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir();

beforeAll(async () => {
  const world = await generateWorld({ scale: 'S', seed: 9, outDir: join(dir, 'data'), accounts: 500 });
  const sources = Object.fromEntries(Object.entries(world.files).map(([t, f]) => [t, join('data', f)]));
  writeFileSync(join(dir, 'strata.yaml'), saasWorkspaceYaml(sources));
  expect(runCli(['import', '-w', dir]).code).toBe(0);
  expect(runCli(['run', '-w', dir, '--as-of', '2026-10-01']).code).toBe(0);
});

describe('strata ab', () => {
  it('sizes, creates, reports, and refuses a second test of the same name', () => {
    expect(runCli(['ab', 'size', '--baseline', '0.1', '--mde', '0.02', '--json']).json()).toMatchObject({
      perVariant: 3841,
    });
    const created = runCli([
      'ab',
      'create',
      'nudge',
      '--segment',
      'paying',
      '--ratio',
      '0.4',
      '--planned',
      '50',
      '-w',
      dir,
      '--json',
    ]);
    expect(created.code).toBe(0);
    const split = created.json<{ control: number; treatment: number }>();
    const [paying] = runCli(['segments', 'list', '-w', dir, '--json'])
      .json<{ segments: { segment: string; accounts: number }[] }>()
      .segments.filter((s) => s.segment === 'paying');
    expect(split.control + split.treatment).toBe(paying?.accounts);
    const report = runCli([
      'ab',
      'report',
      'nudge',
      '--event',
      'session_start',
      '--within',
      '14d',
      '--as-of',
      '2026-10-31',
      '-w',
      dir,
      '--json',
    ]);
    expect(report.code).toBe(0);
    const result = report.json<{
      variants: { accounts: number; value: number }[];
      comparison: { pValue: number };
    }>();
    expect(result.variants.map((v) => v.accounts)).toEqual([split.control, split.treatment]);
    expect(result.comparison.pValue).toBeGreaterThanOrEqual(0);
    expect(result.comparison.pValue).toBeLessThanOrEqual(1);
    const again = runCli(['ab', 'create', 'nudge', '--segment', 'paying', '-w', dir]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("A/B test 'nudge' exists already");
    const both = runCli(['ab', 'report', 'nudge', '-w', dir]);
    expect(both.stderr).toContain('give exactly one outcome');
  });
});
