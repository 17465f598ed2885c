import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir();
const table = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('strata analyze retention --survival', () => {
  it("fits the paper's high-end cohort and projects it with a discounted LTV", () => {
    // Fader & Hardie (2007), high-end customers, years 0-7: alpha 0.668, beta 3.806.
    const file = table(
      'high-end.csv',
      'period,alive\n0,1000\n1,869\n2,743\n3,653\n4,593\n5,551\n6,517\n7,491\n',
    );
    const run = runCli([
      'analyze',
      'retention',
      '--survival',
      file,
      '--horizon',
      '12',
      '--value',
      '50',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const result = run.json<{
      alpha: number;
      beta: number;
      byPeriod: { period: number; observed: number | null; expected: number }[];
      discountedLifetime: number;
      discountedLtv: number;
    }>();
    expect(result.alpha).toBeCloseTo(0.668, 3);
    expect(result.beta).toBeCloseTo(3.806, 3);
    expect(result.byPeriod).toHaveLength(13);
    expect(result.byPeriod[12]).toMatchObject({ period: 12, observed: null });
    // The paper's year-12 count was 394: the projection lands within 2% of the cohort.
    expect(Math.abs((result.byPeriod[12]?.expected ?? 0) - 394)).toBeLessThan(20);
    expect(result.discountedLtv).toBeCloseTo(result.discountedLifetime * 50, 6);
  });

  it('names the file and line of a bad row and exits non-zero', () => {
    const file = table('bad.csv', 'period,alive\n0,100\n1,80\n3,70\n');
    const run = runCli(['analyze', 'retention', '--survival', file]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`${file}:4: expected period 2 (periods run 0, 1, 2, ... in order), got 3`);
    const header = runCli(['analyze', 'retention', '--survival', table('h.csv', 'month,count\n0,1\n')]);
    expect(header.stderr).toContain("the header must be 'period,alive'");
  });
});
