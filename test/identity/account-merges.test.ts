import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * test/fixtures/merges, worked by hand (sessions = session_start events; active: >= 3, using: >= 1):
 *   run 1: acme 2 (using), acme-dup 2 (using), globex 1 (using)
 *   merge acme-dup into acme: acme has e1-e4 = 4 sessions and u1, u2 = 2 seats
 *   run 2: acme enters active (cause merge); acme-dup is no longer evaluated: exits using (merge)
 *   unmerge acme-dup: both as in run 1
 *   run 3: acme exits active (merge); acme-dup enters using again (merge); globex never moves
 * Subscriptions: acme 100 from January, acme-dup 50 from February; cohorts by signup month
 * (acme, globex in 2024-01; acme-dup in 2024-02), MRR at each month's end.
 */
// The commands run in this process (helpers/in-process-cli.ts): their answers and printed text
// are the point, not the process around them, and a process start costs half a second.
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'merges');
const ws = join(tempDir(), 'ws');

const json = async (args: readonly string[]) => {
  const run = await cliInProcess([...args, '-w', ws, '--json']);
  if (run.code !== 0) throw new Error(`strata ${args.join(' ')}: ${run.stderr}`);
  return JSON.parse(run.stdout);
};
const runAt = () => json(['run', '--as-of', '2024-04-01']);
const changes = (answer: { history: { changes: { segment: string; change: string; cause: string }[] }[] }) =>
  answer.history.map((r) => r.changes.map((c) => `${c.change} ${c.segment} (${c.cause})`));

/** Each signup cohort's accounts and MRR at the end of each month (strata analyze cohorts). */
const cohortMrr = async () =>
  (
    (await json(['analyze', 'cohorts', '--as-of', '2024-04-01'])).cohorts as {
      cohort: string;
      accounts: number;
      periods: { mrr: number }[];
    }[]
  ).map((c) => [c.cohort, c.accounts, c.periods.map((p) => p.mrr)]);

beforeAll(async () => {
  cpSync(FIXTURE, ws, { recursive: true });
  await json(['import']);
  await runAt();
});

describe('strata accounts merge and unmerge', () => {
  it('finds accounts sharing a domain or a CRM id, whatever its case, the oldest surviving', async () => {
    expect(await json(['accounts', 'merge', '--same', 'domain', '--dry-run'])).toEqual({
      dryRun: true,
      merges: [{ survivor: 'acme', merged: 'acme-dup', value: 'acme.com' }],
    });
    // The same CRM id in a trait (hubspot_id), written with spaces and case: globex and acme-dup.
    expect((await json(['accounts', 'merge', '--same', 'hubspot_id', '--dry-run'])).merges).toEqual([
      { survivor: 'globex', merged: 'acme-dup', value: 'hs-7' },
    ]);
    expect(await json(['accounts', 'merges'])).toEqual({ merges: [] });
  });

  it('refuses a merge into itself, an unknown account and a merge without a reason', async () => {
    const itself = await cliInProcess(['accounts', 'merge', 'acme', 'acme', '--reason', 'x', '-w', ws]);
    expect(itself.code).not.toBe(0);
    expect(itself.stderr).toContain("cannot merge account 'acme' into itself");
    const unknown = await cliInProcess(['accounts', 'merge', 'acme', 'acme-typo', '--reason', 'x', '-w', ws]);
    expect(unknown.stderr).toContain("no account 'acme-typo' in the store");
    const silent = await cliInProcess(['accounts', 'merge', 'acme', 'acme-dup', '-w', ws]);
    expect(silent.stderr).toContain('--reason is required');
    // Every later evaluation reads the records: their text is bounded.
    const long = await cliInProcess([
      'accounts',
      'merge',
      'acme',
      'acme-dup',
      '--reason',
      'x'.repeat(1001),
      '-w',
      ws,
    ]);
    expect(long.stderr).toContain('--reason is longer than 1000 characters');
  });

  it('counts the merged account’s rows for the survivor, says so in the timeline, and undoes it', async () => {
    const merge = await json([
      'accounts',
      'merge',
      'acme',
      'acme-dup',
      '--reason',
      'same CRM company',
      '--by',
      'ana',
    ]);
    expect(merge).toMatchObject({ mergedId: 'acme-dup', survivorId: 'acme', mergedBy: 'ana', undone: null });
    const twice = await cliInProcess(['accounts', 'merge', 'globex', 'acme-dup', '--reason', 'x', '-w', ws]);
    expect(twice.stderr).toContain("account 'acme-dup' is merged into 'acme' already");

    await runAt();
    const members = await json(['segments', 'members', 'active']);
    expect(
      members.members.map((m: { account_id?: string; accountId?: string }) => m.accountId ?? m.account_id),
    ).toEqual(['acme']);
    expect(changes(await json(['history', 'acme']))).toEqual([
      ['entered using (first_run)'],
      ['entered active (merge)'],
    ]);
    expect(changes(await json(['history', 'acme-dup']))).toEqual([
      ['entered using (first_run)'],
      ['exited using (merge)'],
    ]);
    // Analyses too: acme-dup's subscription (50 from February) is acme's, its cohort is gone.
    expect(await cohortMrr()).toEqual([['2024-01', 2, [100, 150, 150]]]);

    const undo = await json([
      'accounts',
      'unmerge',
      'acme-dup',
      '--reason',
      'two companies after all',
      '--by',
      'bo',
    ]);
    expect(undo.undone).toMatchObject({ by: 'bo', reason: 'two companies after all' });
    await runAt();
    const acme = await json(['history', 'acme']);
    expect(changes(acme)).toEqual([
      ['entered using (first_run)'],
      ['entered active (merge)'],
      ['exited active (merge)'],
    ]);
    expect(acme.merges).toEqual([
      expect.objectContaining({
        mergedId: 'acme-dup',
        survivorId: 'acme',
        reason: 'same CRM company',
        mergedBy: 'ana',
      }),
    ]);
    expect(changes(await json(['history', 'acme-dup']))).toEqual([
      ['entered using (first_run)'],
      ['exited using (merge)'],
      ['entered using (merge)'],
    ]);
    expect(changes(await json(['history', 'globex']))).toEqual([['entered using (first_run)'], [], []]);
    expect(await cohortMrr()).toEqual([
      ['2024-01', 2, [100, 100, 100]],
      ['2024-02', 1, [50, 50]],
    ]);
    const text = (await cliInProcess(['history', 'acme', '-w', ws])).stdout;
    expect(text).toMatch(
      /merged acme-dup into acme on \d{4}-\d\d-\d\d by ana: same CRM company \(undone on .* by bo: two companies after all\)/,
    );
  });
});
