import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HoldoutReport } from '../../src/ml/holdout-report.js';
import { Rng } from '../../src/random.js';
import { readModel } from '../../src/workspace/model-files.js';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * A user's own account table with a yes/no label column: 400 accounts whose label follows
 * a rule of their columns (small starter accounts and a high risk_score churn), 40 of them
 * unlabelled, some risk scores blank. Training on it must find the rule from numbers,
 * categories and blanks, on a seeded random split it names.
 */
// The commands run in this process (helpers/in-process-cli.ts): their answers and printed text
// are the point, not the process around them, and a process start costs half a second.
const dir = tempDir();
const ws = join(dir, 'ws');
const labelled = 360;

beforeAll(async () => {
  mkdirSync(ws);
  writeFileSync(join(ws, 'strata.yaml'), 'segments: {}\n');
  const rng = new Rng(5);
  const plans = ['starter', 'growth', 'enterprise'];
  const industries = ['Retail', 'Healthcare', 'Software', 'Finance'];
  const rows = ['account_id,created_at,employees,industry,plan,mrr,risk_score,churned'];
  for (let i = 0; i < 400; i++) {
    const employees = Math.floor(5 + rng.next() * 300);
    const plan = plans[Math.floor(rng.next() * 3)] as string;
    const risk = rng.next() < 0.1 ? null : Math.round(rng.next() * 100);
    const churned = (plan === 'starter' && employees < 80) || (risk ?? 0) > 85;
    const label = i >= labelled ? '' : churned ? (i % 2 ? 'yes' : 'Yes') : i % 2 ? 'no' : 'No';
    rows.push(
      [
        `t${String(i).padStart(3, '0')}`,
        '2024-01-01',
        employees,
        industries[i % 4],
        plan,
        (employees * 10).toFixed(2),
        risk ?? '',
        label,
      ].join(','),
    );
  }
  writeFileSync(join(dir, 'accounts.csv'), `${rows.join('\n')}\n`);
  const imported = await cliInProcess(['-w', ws, 'import', 'accounts', join(dir, 'accounts.csv')]);
  expect(imported.code, imported.stderr).toBe(0);
});

/** `strata predict train [ARGS...] --table accounts --label LABEL` on `workspace`, in this process. */
const trainOnTable = (workspace: string, label: string, ...args: string[]) =>
  cliInProcess(['-w', workspace, 'predict', 'train', ...args, '--table', 'accounts', '--label', label]);

describe('strata predict train --table accounts --label churned', () => {
  it('learns the rule from numbers, categories and blanks, on a named seeded split', async () => {
    const run = await trainOnTable(ws, 'churned', '--json');
    expect(run.code, run.stderr).toBe(0);
    const trained = run.json<{ name: string; version: number; report: HoldoutReport }>();
    expect(trained).toMatchObject({ name: 'churned', version: 1 });
    const { report } = trained;
    expect(report.split).toBe(
      `random: 80% of the ${labelled} labelled accounts for training, 20% held out (seed 42)`,
    );
    expect(report.holdout.rows).toBe(72);
    expect(report.train.rows).toBe(labelled - 72);
    expect(report.rocAuc).toBeGreaterThan(0.9);
    const { scorer } = readModel(ws, 'churned');
    expect(scorer.features).toEqual(
      expect.arrayContaining(['employees', 'risk_score', 'plan=starter', 'industry=Retail']),
    );
    expect(scorer.features.some((f) => f.startsWith('churned'))).toBe(false);
    // The rule's columns matter most.
    const top = report.topFeatures.slice(0, 3).map((f) => f.feature);
    expect(top).toEqual(expect.arrayContaining(['risk_score']));
    expect(top.some((f) => f === 'employees' || f === 'plan=starter')).toBe(true);
  });

  it('splits the same way for the same seed and differently for another', async () => {
    const again = await trainOnTable(ws, 'churned', '--json');
    const other = await trainOnTable(ws, 'churned', 'other', '--seed', '7', '--json');
    expect(readModel(ws, 'churned@2').scorer).toEqual(readModel(ws, 'churned@1').scorer);
    expect(again.json<{ report: HoldoutReport }>().report.rocAuc).toBe(
      readModel(ws, 'churned@1').report.rocAuc,
    );
    expect(other.json<{ report: HoldoutReport }>().report.split).toMatch(/\(seed 7\)$/);
  });

  it('exports the training set by account_id, each row with the label the user gave', async () => {
    const file = join(dir, 'training.csv');
    const run = await trainOnTable(ws, 'churned', 'exported', '--export-training', file);
    expect(run.code, run.stderr).toBe(0);
    const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
    expect(header?.startsWith('account_id,')).toBe(true);
    const ids = lines.map((l) => l.split(',')[0] as string);
    expect(ids).toEqual([...ids].sort());
    // The labels of accounts.csv (last column, yes/no in any case; blank is unlabelled).
    const given = new Map(
      readFileSync(join(dir, 'accounts.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','))
        .filter((c) => c.at(-1) !== '')
        .map((c) => [c[0] as string, c.at(-1)?.toLowerCase() === 'yes' ? 1 : 0]),
    );
    expect(ids).toEqual([...given.keys()].sort());
    for (const line of lines) {
      const cells = line.split(',');
      expect(Number(cells.at(-2))).toBe(given.get(cells[0] as string));
    }
  });

  it('scores every account, the unlabelled ones too', async () => {
    const run = await cliInProcess(['-w', ws, 'predict', 'score', 'churned', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ accounts: 400, population: 'every account' });
  });

  it('names label values it cannot read, and a missing label column', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'strata.yaml'), 'segments: {}\n');
    writeFileSync(
      join(bad, 'accounts.csv'),
      'account_id,created_at,churned\nb1,2024-01-01,yes\nb2,2024-01-01,maybe\nb3,2024-01-01,maybe\nb4,2024-01-01,no\n',
    );
    expect((await cliInProcess(['-w', bad, 'import', 'accounts', join(bad, 'accounts.csv')])).code).toBe(0);
    const run = await trainOnTable(bad, 'churned');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(
      /label column 'churned' must hold yes\/no values .* found 'maybe' \(2 accounts\)/,
    );
    const missing = await trainOnTable(bad, 'cancelled');
    expect(missing.stderr).toContain(
      "error: --label cancelled: accounts has no column or trait 'cancelled' with values\n",
    );
    // A real column left blank has no values; that is not a missing name.
    const blank = await trainOnTable(bad, 'domain');
    expect(blank.stderr).toContain("accounts has no values in column 'domain' (the label)");
  });

  it('names the label the user meant when the case or a letter is wrong', async () => {
    const wrongCase = await trainOnTable(ws, 'Churned');
    expect(wrongCase.code).toBe(1);
    expect(wrongCase.stderr).toContain(
      "error: --label Churned: accounts has no column or trait 'Churned' with values - did you mean 'churned'? (names are case-sensitive)",
    );
    const typo = await trainOnTable(ws, 'churnd');
    expect(typo.stderr).toContain("- did you mean 'churned'?\n");
    // On history, the targets are words: the same hint.
    const target = await cliInProcess(['-w', ws, 'predict', 'train', '--label', 'Churned']);
    expect(target.stderr).toContain("did you mean 'churned'? (names are case-sensitive)");
  });
});
