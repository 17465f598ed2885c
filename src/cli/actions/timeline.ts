import { CLOCK_WORDS } from '../../engine/clock.js';
import { readDefinition } from '../../engine/definition-versions.js';
import { accountTimeline, type MembershipChange, segmentChanges } from '../../engine/membership-timeline.js';
import { readRun } from '../../engine/run-snapshot.js';
import { StrataError } from '../../errors.js';
import { plural } from '../../format/words.js';
import type { AccountMerge } from '../../identity/account-merges.js';
import type { DefinitionInput, HistoryInput, SegmentChangesInput } from '../commands/timeline.js';
import { count, formatTable, type Output } from '../output.js';
import { withWorkspace } from '../workspace-session.js';

const CAUSES: Readonly<Record<MembershipChange['cause'], string>> = {
  data: 'data changed',
  definition: 'definition changed',
  new_account: 'new account',
  gone: 'account gone',
  merge: 'account merge',
  first_run: 'first run',
  unrecorded: 'before the audit trail',
};

/** One entry or exit in words: what changed, each leaf as "text (was value, holds)". */
export function describeChange(change: Pick<MembershipChange, 'cause' | 'reasons'>): string {
  if (change.reasons.length === 0) return CAUSES[change.cause];
  return change.reasons
    .map((r) => {
      const was = r.before.shown === null ? '' : `was ${r.before.shown}, `;
      return `${r.text} (${was}${r.before.holds} -> ${r.after.holds})`;
    })
    .join('; ');
}

/** A merge in words: "merged acme-dup into acme on 2026-12-07 by ana: same CRM company (undone ...)". */
export function mergeWords(m: AccountMerge): string {
  const undone = m.undone
    ? ` (undone on ${m.undone.at.slice(0, 10)} by ${m.undone.by}: ${m.undone.reason})`
    : '';
  return `merged ${m.mergedId} into ${m.survivorId} on ${m.mergedAt.slice(0, 10)} by ${m.mergedBy}: ${m.reason}${undone}`;
}

/** `strata history <account>`: the account's segments run by run, each entry and exit with why. */
export async function runHistory(options: HistoryInput, output: Output) {
  const { account } = options;
  await withWorkspace(options.workspace, async (store, workspace) => {
    const timeline = await accountTimeline(store, workspace, account);
    const history = timeline.runs.map((r) => ({
      ...r,
      entered: r.changes.filter((c) => c.change === 'entered').map((c) => c.segment),
      exited: r.changes.filter((c) => c.change === 'exited').map((c) => c.segment),
    }));
    output.result({ account, merges: timeline.merges, history }, () =>
      [
        ...timeline.merges.map((m) => `${mergeWords(m)}\n`),
        formatTable(
          ['run', 'as of', 'version', 'primary', 'segments'],
          history.map((h) => [
            h.runId,
            h.asOf,
            h.workspaceHash.slice(0, 8),
            Object.entries(h.primary)
              .map(([scheme, s]) => `${scheme}: ${s}`)
              .join('; '),
            h.segments.join(', '),
          ]),
        ),
        '',
        formatTable(
          ['run', 'as of', 'segment', 'change', 'why'],
          history.flatMap((h) =>
            h.changes.map((c) => [h.runId, h.asOf, c.segment, c.change, describeChange(c)]),
          ),
        ),
      ].join('\n'),
    );
  });
}

/**
 * `strata segments changes <segment> [--since T|30d]`: who entered and left, in which run, and
 * why; a window counts back from the latest run's time (the one clock), said in the answer.
 */
export async function runSegmentChanges(options: SegmentChangesInput, output: Output) {
  const { id: segment, since, limit, offset } = options;
  await withWorkspace(options.workspace, async (store, workspace) => {
    const page = await segmentChanges(store, workspace, segment, {
      ...(since ? { since } : {}),
      limit,
      offset,
    });
    if (since && 'days' in since)
      output.say(
        `--since ${since.given}: ${page.since}, ${since.days} days before ${page.clock.at} (${CLOCK_WORDS[page.clock.source]})`,
      );
    output.result(page, () =>
      [
        `${segment}: ${plural(page.total, 'entry or exit', 'entries and exits', count(page.total))}${page.since ? ` in runs ${page.windowDays === null ? 'as of' : 'after'} ${page.since}${page.windowDays === null ? ' or later' : ''}` : ''}${
          page.total > page.changes.length ? ` (${offset + 1}-${offset + page.changes.length} shown)` : ''
        }`,
        formatTable(
          ['run', 'as of', 'version', 'account', 'change', 'why'],
          page.changes.map((c) => [
            c.runId,
            c.asOf,
            c.workspaceHash.slice(0, 8),
            c.account_id,
            c.change,
            describeChange(c),
          ]),
        ),
      ].join('\n'),
    );
  });
}

/** `strata definition [--run N]`: the strata.yaml a run applied (default the latest), as kept by the audit trail. */
export async function runDefinition(options: DefinitionInput, output: Output) {
  const runId = options.run;
  await withWorkspace(options.workspace, async (store) => {
    const run = await readRun(store, runId);
    const text = await readDefinition(store, run.workspaceHash);
    if (text === null)
      throw new StrataError(
        'definition_not_kept',
        `run ${run.runId}'s definition (version ${run.workspaceHash.slice(0, 12)}) was not kept: the run predates the audit trail`,
      );
    output.result({ runId: run.runId, asOf: run.asOf, workspaceHash: run.workspaceHash, text }, () =>
      text.trimEnd(),
    );
  });
}
