import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/demo/generate-world.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

// The commands run in this process (helpers/in-process-cli.ts): their answers and printed text
// are the point, not the process around them, and a process start costs half a second.
const dir = tempDir();

beforeAll(async () => {
  const world = await generateWorld({ scale: 'S', seed: 9, outDir: join(dir, 'data'), accounts: 500 });
  const sources = Object.fromEntries(Object.entries(world.files).map(([t, f]) => [t, join('data', f)]));
  writeFileSync(join(dir, 'strata.yaml'), saasWorkspaceYaml(sources));
  expect((await cliInProcess(['import', '-w', dir])).code).toBe(0);
  expect((await cliInProcess(['run', '-w', dir, '--as-of', '2026-10-01'])).code).toBe(0);
});

describe('strata ab', () => {
  it('sizes, creates, reports, and refuses a second test of the same name', async () => {
    expect(
      (await cliInProcess(['ab', 'size', '--baseline', '0.1', '--mde', '0.02', '--json'])).json(),
    ).toMatchObject({
      perVariant: 3841,
    });
    expect((await cliInProcess(['ab', 'size', '--baseline', '0.1', '--mde', '0.02'])).stdout).toBe(
      '3,841 accounts per variant to detect 10.00% -> 12.00% (two-sided, alpha 0.05, power 80%)\n',
    );
    const created = await cliInProcess([
      'ab',
      'create',
      'nudge',
      '--segment',
      'paying',
      '--ratio',
      '0.4',
      '--planned',
      '150',
      '-w',
      dir,
      '--json',
    ]);
    expect(created.code).toBe(0);
    const split = created.json<{ control: number; treatment: number; warnings: string[] }>();
    // About 55% of the 500 accounts pay (test/demo/generate-world.test.ts), and 40% of those
    // (about 110) is fewer than the 150 planned: the treatment cannot reach it.
    expect(split.treatment).toBeLessThan(150);
    expect(split.warnings).toEqual([expect.stringContaining('planned 150 accounts per variant')]);
    // 10 per variant fits in both variants: no warning.
    const fits = await cliInProcess([
      'ab',
      'create',
      'fits',
      '--segment',
      'paying',
      '--planned',
      '10',
      '-w',
      dir,
      '--json',
    ]);
    expect(fits.code, fits.stderr).toBe(0);
    expect(fits.json<{ warnings: string[] }>().warnings).toEqual([]);
    expect(fits.stderr).not.toContain('warning');
    const [paying] = (await cliInProcess(['segments', 'list', '-w', dir, '--json']))
      .json<{ segments: { segment: string; accounts: number }[] }>()
      .segments.filter((s) => s.segment === 'paying');
    expect(split.control + split.treatment).toBe(paying?.accounts);
    const report = await cliInProcess([
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
    // For people: shares as percentages with two decimals, the p-value to three.
    const text = await cliInProcess([
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
    ]);
    const share = (x: number) => `${(x * 100).toFixed(2)}%`;
    for (const v of result.variants) expect(text.stdout).toMatch(new RegExp(`\\s${share(v.value)}\\n`));
    const p = result.comparison.pValue;
    expect(text.stdout).toContain(p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);
    // --baseline 0.1 --mde 0.02 plans 3,841 per variant (ab size above): more than the segment.
    const oversized = await cliInProcess([
      'ab',
      'create',
      'big',
      '--segment',
      'paying',
      '--baseline',
      '0.1',
      '--mde',
      '0.02',
      '-w',
      dir,
      '--json',
    ]);
    expect(oversized.code, oversized.stderr).toBe(0);
    const big = oversized.json<{ control: number; treatment: number; warnings: string[] }>();
    const members = big.control + big.treatment;
    expect(members).toBe(paying?.accounts);
    expect(members).toBeLessThan(3841);
    const warning = `planned 3841 accounts per variant, but segment 'paying' has ${members} members (control ${big.control}, treatment ${big.treatment})`;
    expect(big.warnings).toEqual([expect.stringContaining(warning)]);
    expect(oversized.stderr).toContain(`warning: ${warning}`);
    const again = await cliInProcess(['ab', 'create', 'nudge', '--segment', 'paying', '-w', dir]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("A/B test 'nudge' exists already");
    const both = await cliInProcess(['ab', 'report', 'nudge', '-w', dir]);
    expect(both.stderr).toContain('give exactly one outcome');
  });
});
