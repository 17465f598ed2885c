import { segmentColumn } from '../../compile/compile-workspace.js';
import { listRuns, type StoredRun } from '../../engine/run-snapshot.js';
import { didYouMean, StrataError } from '../../errors.js';
import { count } from '../../format/numbers.js';
import { plural } from '../../format/words.js';
import { ownValue } from '../../own-key.js';
import type { Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import {
  accessibleCriterion,
  type CardScope,
  distinctCriterion,
  measurableCriterion,
  stabilityCriterion,
} from './card-criteria.js';
/**
 * The validation card of a segment in a stored run: the five criteria of a good segment
 * (distinct, measurable, accessible, substantial, actionable) and its stability, each
 * pass / warn / fail with the figures behind it, and an overall verdict (the worst).
 */

export type Verdict = 'pass' | 'warn' | 'fail';

export interface Criterion {
  readonly verdict: Verdict | 'n/a';
  readonly reason: string;
}

export interface ValidationCard {
  readonly segment: string;
  readonly runId: number;
  readonly asOf: string;
  readonly members: number;
  readonly overall: Verdict;
  readonly distinct: Criterion & {
    /** Whom members are compared with: the other accounts, or a child's parent's other members. */
    readonly against: string;
    /** Members against the others on each numeric metric: Welch's t-test, Cohen's d. */
    readonly metrics: readonly {
      readonly metric: string;
      readonly members: number | null;
      readonly others: number | null;
      readonly cohensD: number | null;
      readonly pValue: number | null;
      readonly adjustedPValue: number | null;
    }[];
    /** Churn and expansion in the 90 days before the run, of accounts paying then: chi-square test, Cohen's h. */
    readonly rates: readonly {
      readonly outcome: 'churned' | 'expanded';
      readonly members: number | null;
      readonly others: number | null;
      readonly chiSquare: number | null;
      readonly pValue: number | null;
      readonly cohensH: number | null;
    }[];
  };
  readonly measurable: Criterion & {
    readonly coverage: readonly { readonly trait: string; readonly share: number }[];
  };
  readonly accessible: Criterion & { readonly reachable: number; readonly share: number };
  readonly substantial: Criterion & { readonly minimum: number };
  readonly actionable: Criterion;
  readonly stability: Criterion & { readonly againstRunId: number | null; readonly turnover: number | null };
}

const worst = (verdicts: readonly (Verdict | 'n/a')[]): Verdict =>
  verdicts.includes('fail') ? 'fail' : verdicts.includes('warn') ? 'warn' : 'pass';

/** The validation card of `segment` in `options.run` (default the latest run). */
export async function validateSegment(
  store: Store,
  workspace: Workspace,
  segment: string,
  options: { run?: StoredRun } = {},
): Promise<ValidationCard> {
  const runs = await listRuns(store);
  const run = options.run ?? runs[runs.length - 1];
  if (!run) throw new StrataError('no_runs', "no runs yet; run 'strata run' first");
  if (!run.segments.includes(segment)) {
    throw new StrataError(
      'unknown_segment',
      `run ${run.runId} has no segment '${segment}'${didYouMean(segment, run.segments)}`,
    );
  }
  const members = ownValue(run.sizes.segments, segment) ?? 0;
  const parent = workspace.segments.find((x) => x.id === segment)?.parent ?? null;
  const scope: CardScope = {
    store,
    workspace,
    run,
    segment,
    flag: store.dialect.sql.id(segmentColumn(segment)),
    members,
    parent,
    scoped: parent !== null && run.segments.includes(parent),
  };
  const distinct = await distinctCriterion(scope);
  const measurable = await measurableCriterion(scope);
  const accessible = await accessibleCriterion(scope);
  const { minimum, basis } = substantialMinimum(workspace.config.settings, run.accounts);
  const { minSegmentSize } = workspace.config.settings;
  const substantial: ValidationCard['substantial'] = {
    verdict: members >= minimum ? 'pass' : members >= minSegmentSize ? 'warn' : 'fail',
    reason: `${plural(members, 'member', 'members', count(members))}; ${count(minimum)} needed for analysis (${basis}), ${count(minSegmentSize)} at the least (settings.minSegmentSize)`,
    minimum,
  };
  const playbook = ownValue(workspace.config.playbooks, segment);
  const actionable: Criterion = playbook
    ? { verdict: 'pass', reason: 'has a playbook' }
    : { verdict: 'warn', reason: 'no playbook: nobody is told what to do with its members' };
  const stability = await stabilityCriterion(scope, runs);
  return {
    segment,
    runId: run.runId,
    asOf: run.asOf,
    members,
    overall: worst([
      distinct.verdict,
      measurable.verdict,
      accessible.verdict,
      substantial.verdict,
      actionable.verdict,
      stability.verdict,
    ]),
    distinct,
    measurable,
    accessible,
    substantial,
    actionable,
    stability,
  };
}

/** Share of the accounts a segment reaches to be substantial when settings do not say. */
const SUBSTANTIAL_SHARE = 0.05;
/** Members that are substantial in any world (enough for the card's tests to see an effect). */
const SUBSTANTIAL_CAP = 300;

/**
 * Members a segment needs to be substantial: `settings.substantialSize` when set; otherwise
 * 5% of the run's accounts, at least `minSegmentSize` and at most 300, so a world of 1,000
 * accounts asks 50 and one of 100,000 asks 300 (a fixed 300 failed every segment of a
 * small world).
 */
export function substantialMinimum(
  settings: { readonly substantialSize?: number | undefined; readonly minSegmentSize: number },
  accounts: number,
): { minimum: number; basis: string } {
  const { substantialSize, minSegmentSize } = settings;
  if (substantialSize !== undefined) return { minimum: substantialSize, basis: 'settings.substantialSize' };
  const share = Math.ceil(accounts * SUBSTANTIAL_SHARE);
  const minimum = Math.min(SUBSTANTIAL_CAP, Math.max(minSegmentSize, share));
  return {
    minimum,
    basis: `5% of ${accounts.toLocaleString('en-US')} accounts, between settings.minSegmentSize and ${SUBSTANTIAL_CAP}; set settings.substantialSize to fix it`,
  };
}
