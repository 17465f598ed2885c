import { userInfo } from 'node:os';
import { StrataError } from '../../errors.js';
import { plural } from '../../format/words.js';
import {
  type AccountMerge,
  listMerges,
  MAX_ACTIVE_MERGES,
  mergeAccounts,
  survivorsOf,
  undoMerge,
} from '../../identity/account-merges.js';
import { sameValueMerges } from '../../identity/same-value.js';
import { textProblem } from '../../ingest/storable-text.js';
import type { AccountsMergeInput, AccountsMergesInput, AccountsUnmergeInput } from '../commands/accounts.js';
import { formatTable, type Output } from '../output.js';
import { withWorkspace } from '../workspace-session.js';
import { mergeWords } from './timeline.js';

/** Longest --reason or --by kept with a merge. */
const MAX_TEXT = 1000;

/** Text kept with a merge must be storable and short: every later evaluation reads the records. */
function checkedText(flag: string, text: string): string {
  const problem =
    textProblem(text) ?? (text.length > MAX_TEXT ? `is longer than ${MAX_TEXT} characters` : null);
  if (problem) throw new StrataError('invalid_argument', `${flag} ${problem}`);
  return text;
}

/** Who acts: --by, else the system user (a merge is an audit record: it names a person). */
function actor(by: string | undefined): string {
  if (by !== undefined && by.trim() !== '') return checkedText('--by', by.trim());
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** `strata accounts merge SURVIVOR MERGED` or `--same FIELD`: records merges; nothing is rewritten. */
export async function runAccountsMerge(options: AccountsMergeInput, output: Output) {
  const by = actor(options.by);
  return withWorkspace(options.workspace, async (store) => {
    const now = new Date();
    if (options.same !== undefined) {
      const field = options.same;
      if (options.survivor !== undefined)
        throw new StrataError('invalid_argument', '--same finds the accounts itself: name none');
      const planned = await sameValueMerges(store, field);
      if (options.reason !== undefined) checkedText('--reason', options.reason);
      const holding = survivorsOf(await listMerges(store)).size;
      if (!options.dryRun && holding + planned.length > MAX_ACTIVE_MERGES)
        throw new StrataError(
          'too_many_merges',
          `--same ${field} finds ${plural(planned.length, 'merge')}; with the ${holding} that hold, more than the ${MAX_ACTIVE_MERGES} Strata applies: nothing was merged (fix the duplicates at their source)`,
        );
      const made: AccountMerge[] = [];
      if (!options.dryRun)
        for (const p of planned)
          made.push(
            await mergeAccounts(store, {
              survivor: p.survivor,
              merged: p.merged,
              by,
              reason: options.reason ?? `same ${field} ${p.value}`,
              now,
            }),
          );
      const answer = { dryRun: Boolean(options.dryRun), merges: options.dryRun ? planned : made };
      output.result(answer, () =>
        planned.length === 0
          ? `no two accounts have the same ${field}: nothing to merge`
          : [
              `${options.dryRun ? 'would merge' : 'merged'} ${plural(planned.length, 'account')}:`,
              formatTable(
                ['merged', 'survivor', field],
                planned.map((p) => [p.merged, p.survivor, p.value]),
              ),
            ].join('\n'),
      );
      return answer;
    }
    if (options.survivor === undefined || options.merged === undefined)
      throw new StrataError(
        'invalid_argument',
        'name the survivor and the merged account (strata accounts merge SURVIVOR MERGED), or pass --same FIELD',
      );
    if (options.dryRun) throw new StrataError('invalid_argument', '--dry-run goes with --same');
    if (!options.reason)
      throw new StrataError('invalid_argument', '--reason is required: say why the two are one account');
    const merge = await mergeAccounts(store, {
      survivor: options.survivor,
      merged: options.merged,
      by,
      reason: checkedText('--reason', options.reason),
      now,
    });
    output.result(
      merge,
      () =>
        `${mergeWords(merge)}\nthe next strata run evaluates ${merge.mergedId}'s rows as ${merge.survivorId}'s`,
    );
    return merge;
  });
}

/** `strata accounts unmerge MERGED`: appends the undo; both accounts are evaluated as before. */
export async function runAccountsUnmerge(options: AccountsUnmergeInput, output: Output) {
  return withWorkspace(options.workspace, async (store) => {
    const undone = await undoMerge(store, {
      merged: options.merged,
      by: actor(options.by),
      reason: checkedText('--reason', options.reason ?? 'undone'),
      now: new Date(),
    });
    output.result(
      undone,
      () => `${mergeWords(undone)}\nthe next strata run evaluates ${undone.mergedId} on its own again`,
    );
    return undone;
  });
}

/** `strata accounts merges`: the merge records, oldest first. */
export async function runAccountsMerges(options: AccountsMergesInput, output: Output) {
  return withWorkspace(options.workspace, async (store) => {
    const merges = await listMerges(store);
    output.result({ merges }, () =>
      merges.length === 0
        ? 'no merge yet'
        : merges.map((m) => `${m.mergeId.slice(0, 8)}  ${mergeWords(m)}`).join('\n'),
    );
    return { merges };
  });
}
