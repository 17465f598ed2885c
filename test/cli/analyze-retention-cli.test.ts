import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

// The commands run in this process (helpers/in-process-cli.ts): their answers and printed text
// are the point, not the process around them, and a process start costs half a second.
const dir = tempDir();
const table = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('strata analyze retention --survival', () => {
  it("fits the paper's high-end cohort and projects it with a discounted LTV", async () => {
    // Fader & Hardie (2007), high-end customers, years 0-7: alpha 0.668, beta 3.806.
    const file = table(
      'high-end.csv',
      'period,alive\n0,1000\n1,869\n2,743\n3,653\n4,593\n5,551\n6,517\n7,491\n',
    );
    const run = await cliInProcess([
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

  it('names the file and line of a bad row and exits non-zero', async () => {
    const file = table('bad.csv', 'period,alive\n0,100\n1,80\n3,70\n');
    const run = await cliInProcess(['analyze', 'retention', '--survival', file]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`${file}:4: expected period 2 (periods run 0, 1, 2, ... in order), got 3`);
    const header = await cliInProcess([
      'analyze',
      'retention',
      '--survival',
      table('h.csv', 'month,count\n0,1\n'),
    ]);
    expect(header.stderr).toBe(
      `error: ${join(dir, 'h.csv')}:1: the header must be 'period,alive', got 'month,count'\n`,
    );
    // The file and line are printed once, and --json gives them as the location.
    expect(run.stderr).toBe(
      `error: ${file}:4: expected period 2 (periods run 0, 1, 2, ... in order), got 3\n`,
    );
    const json = await cliInProcess(['analyze', 'retention', '--survival', file, '--json']);
    expect(json.json<{ error: { location: unknown } }>().error.location).toEqual({
      file,
      line: 4,
      column: 'period',
    });
  });

  it('refuses survivor counts that are not whole numbers, naming file, line and column', async () => {
    const file = table('shares.csv', 'period,alive\n0,100\n1,90.5\n2,80\n');
    const run = await cliInProcess(['analyze', 'retention', '--survival', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: ${file}:3: column alive: expected a whole number of customers (0 or more), got '90.5'\n`,
    );
    const growing = table('growing.csv', 'period,alive\n0,100\n1,90\n2,95\n');
    expect((await cliInProcess(['analyze', 'retention', '--survival', growing])).stderr).toBe(
      `error: ${growing}:4: column alive: 95 is more than the 90 of period 1; a cohort only shrinks\n`,
    );
  });

  it('says a cohort that lost no one cannot be projected, instead of printing parameters', async () => {
    const file = table('flat.csv', 'period,alive\n0,100\n1,100\n2,100\n3,100\n');
    const run = await cliInProcess(['analyze', 'retention', '--survival', file]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'no churn observed: all 100 customers of period 0 are still there after 3 periods',
    );
    expect(run.stdout).toContain('no churn observed: retention cannot be projected');
    expect(run.stdout).not.toMatch(/alpha|beta|lifetime at/);
    const json = (await cliInProcess(['analyze', 'retention', '--survival', file, '--json'])).json<{
      fit: string;
      alpha: number | null;
      beta: number | null;
      warnings: string[];
      byPeriod: { observed: number; expected: number | null }[];
    }>();
    expect(json).toMatchObject({ fit: 'no_churn', alpha: null, beta: null });
    expect(json.warnings[0]).toMatch(/^no churn observed/);
    expect(json.byPeriod.map((p) => [p.observed, p.expected])).toEqual([
      [100, null],
      [100, null],
      [100, null],
      [100, null],
    ]);
  });

  it('warns when churn does not slow down: alpha and beta run to the edge, the steady rate holds', async () => {
    // 100 -> 90 -> 81 -> 72.9: a constant 90% retention, which the sBG reaches only as alpha
    // and beta grow without bound with beta / (alpha + beta) = 0.9; counts rounded to 73.
    const file = table('steady.csv', 'period,alive\n0,1000\n1,900\n2,810\n3,729\n');
    const run = await cliInProcess(['analyze', 'retention', '--survival', file, '--json']);
    const result = run.json<{ fit: string; warnings: string[]; alpha: number; beta: number }>();
    expect(result.fit).toBe('fitted');
    expect(result.beta / (result.alpha + result.beta)).toBeCloseTo(0.9, 4);
    expect(result.warnings[0]).toMatch(/edge of its range .* steady retention rate of about 90.0% a period$/);
  });
});
