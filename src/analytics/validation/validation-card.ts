import jstat from 'jstat';
import { metricColumn, segmentColumn } from '../../compile/compile-workspace.js';
import type { Sql } from '../../dialect/sql.js';
import { compareSnapshots } from '../../engine/membership-diff.js';
import { listRuns, type StoredRun } from '../../engine/run-snapshot.js';
import { didYouMean, StrataError } from '../../errors.js';
import type { ConditionNode, MetricNode } from '../../language/ast.js';
import { isTextMetric } from '../../language/value-types.js';
import { TABLES } from '../../model/tables.js';
import { ownValue } from '../../own-key.js';
import type { Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import { benjaminiHochberg, cohensH, pooledZ, welchTest } from '../statistics.js';

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

/** Traits a segment's definition reads (through its conditions, parents and referenced segments). */
function traitsOf(workspace: Workspace, id: string, seen = new Set<string>()): Set<string> {
  const traits = new Set<string>();
  const segment = workspace.segments.find((s) => s.id === id);
  if (!segment || seen.has(id)) return traits;
  seen.add(id);
  const metricTraits = (name: string) => {
    const node: MetricNode | undefined = ownValue(workspace.metrics, name);
    if (node?.kind === 'trait') traits.add(node.trait);
    if (node?.kind === 'change' || node?.kind === 'percentile') metricTraits(node.metric);
    if (node?.kind === 'score') for (const c of node.components) metricTraits(c.metric);
  };
  const visit = (node: ConditionNode): void => {
    if (node.kind === 'trait') traits.add(node.trait);
    if (node.kind === 'metric' || node.kind === 'metricChange' || node.kind === 'rank')
      metricTraits(node.metric);
    if (node.kind === 'recent') traits.add(node.field);
    if (node.kind === 'segment') for (const t of traitsOf(workspace, node.segment, seen)) traits.add(t);
    if (node.kind === 'all' || node.kind === 'any') node.conditions.forEach(visit);
    if (node.kind === 'not') visit(node.condition);
  };
  if (segment.parent) for (const t of traitsOf(workspace, segment.parent, seen)) traits.add(t);
  visit(segment.where);
  return traits;
}

const { jStat } = jstat;

const worst = (verdicts: readonly (Verdict | 'n/a')[]): Verdict =>
  verdicts.includes('fail') ? 'fail' : verdicts.includes('warn') ? 'warn' : 'pass';

export async function validateSegment(
  store: Store,
  workspace: Workspace,
  segment: string,
  options: { run?: StoredRun } = {},
): Promise<ValidationCard> {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const runs = await listRuns(store);
  const run = options.run ?? runs[runs.length - 1];
  if (!run) throw new StrataError('no_runs', "no runs yet; run 'strata run' first");
  if (!run.segments.includes(segment)) {
    throw new StrataError(
      'unknown_segment',
      `run ${run.runId} has no segment '${segment}'${didYouMean(segment, run.segments)}`,
    );
  }
  const flag = q(segmentColumn(segment));
  const members = ownValue(run.sizes.segments, segment) ?? 0;

  // A child segment is chosen among its parent's members, so it is compared with the
  // parent's other members (a child of 'enterprise' differs from small accounts trivially).
  const parent = workspace.segments.find((x) => x.id === segment)?.parent ?? null;
  const scoped = parent !== null && run.segments.includes(parent);
  const inParent = scoped ? sql`WHERE ${q(segmentColumn(parent))}` : sql.empty;
  const othersWord = scoped ? `the other members of '${parent}'` : 'the other accounts';

  // Distinct: every numeric metric, members against the rest, in one pass.
  const metrics = run.metrics.filter((m) => !isTextMetric(m, workspace.metrics));
  const parts = metrics.flatMap((m, i) => {
    const v = fn.toDouble(q(metricColumn(m)));
    return [
      sql`count(${v}) AS ${q(`n${i}`)}`,
      sql`sum(${v}) AS ${q(`s${i}`)}`,
      sql`sum(${v} * ${v}) AS ${q(`ss${i}`)}`,
    ];
  });
  const groups =
    parts.length === 0
      ? []
      : await store.query<Record<string, unknown>>(
          sql`SELECT CASE WHEN ${flag} THEN 1 ELSE 0 END AS member, ${sql.join(parts)} FROM ${run.table} ${inParent} GROUP BY member`,
        );
  const stats = (member: number, i: number) => {
    const row = groups.find((g) => Number(g.member) === member) ?? {};
    const n = Number(row[`n${i}`] ?? 0);
    const mean = n > 0 ? Number(row[`s${i}`] ?? 0) / n : Number.NaN;
    const variance =
      n > 1 ? Math.max(0, (Number(row[`ss${i}`] ?? 0) - n * mean * mean) / (n - 1)) : Number.NaN;
    return { n, mean, variance };
  };
  const tests = metrics.map((metric, i) => {
    const [inside, outside] = [stats(1, i), stats(0, i)];
    if (inside.n < 2 || outside.n < 2) {
      return {
        metric,
        members: inside.n > 0 ? inside.mean : null,
        others: outside.n > 0 ? outside.mean : null,
        cohensD: null,
        pValue: null,
      };
    }
    const pooled = Math.sqrt(
      ((inside.n - 1) * inside.variance + (outside.n - 1) * outside.variance) / (inside.n + outside.n - 2),
    );
    const test = welchTest(outside, inside);
    return {
      metric,
      members: inside.mean,
      others: outside.mean,
      cohensD: pooled > 0 ? (inside.mean - outside.mean) / pooled : null,
      pValue: inside.variance + outside.variance > 0 ? test.pValue : null,
    };
  });
  const tested = tests.filter((t) => t.pValue !== null);
  const adjusted = benjaminiHochberg(tested.map((t) => t.pValue as number));
  const distinctMetrics = tests.map((t) => {
    const index = tested.indexOf(t);
    return { ...t, adjustedPValue: index >= 0 ? (adjusted[index] ?? null) : null };
  });
  const differing = distinctMetrics.filter(
    (t) => t.adjustedPValue !== null && t.adjustedPValue < 0.05 && Math.abs(t.cohensD ?? 0) >= 0.2,
  );
  // Churn and expansion over the 90 days before the run, members against the rest: a
  // chi-square test of the 2x2 table (the pooled two-proportion z-test squared) and Cohen's h.
  const at = (days: number) => sql.value(new Date(Date.parse(run.asOf) - days * 86_400_000));
  const mrrAt = (instant: Sql) =>
    sql`coalesce(${fn.aggregateIf('sum', sql`mrr`, sql`starts_at <= ${instant} AND (ends_at IS NULL OR ends_at > ${instant}) AND mrr > 0`)}, 0)`;
  const revenue = sql`(SELECT account_id, ${mrrAt(at(90))} AS mrr_before, ${mrrAt(sql.value(new Date(run.asOf)))} AS mrr_at
    FROM subscriptions GROUP BY account_id) revenue`;
  const flags = sql`(SELECT account_id, CASE WHEN ${flag} THEN 1 ELSE 0 END AS member FROM ${run.table} ${inParent}) flags`;
  const outcomes = await store.query<{ member: number; paying: number; churned: number; expanded: number }>(
    sql`SELECT member, count(CASE WHEN mrr_before > 0 THEN 1 END) AS paying,
       count(CASE WHEN mrr_before > 0 AND coalesce(mrr_at, 0) = 0 THEN 1 END) AS churned,
       count(CASE WHEN mrr_before > 0 AND mrr_at > mrr_before THEN 1 END) AS expanded
     FROM ${fn.joinOnAccount([flags, revenue])} GROUP BY member`,
  );
  const side = (member: number) => outcomes.find((o) => Number(o.member) === member);
  const rates = (['churned', 'expanded'] as const).map((outcome) => {
    const [inside, outside] = [side(1), side(0)];
    const [n1, n2] = [Number(inside?.paying ?? 0), Number(outside?.paying ?? 0)];
    const [x1, x2] = [Number(inside?.[outcome] ?? 0), Number(outside?.[outcome] ?? 0)];
    if (n1 === 0 || n2 === 0)
      return { outcome, members: null, others: null, chiSquare: null, pValue: null, cohensH: null };
    const chiSquare = pooledZ(x1, n1, x2, n2) ** 2;
    return {
      outcome,
      members: x1 / n1,
      others: x2 / n2,
      chiSquare,
      pValue: chiSquare > 0 ? 1 - jStat.chisquare.cdf(chiSquare, 1) : 1,
      cohensH: cohensH(x1 / n1, x2 / n2),
    };
  });
  const differingRates = rates.filter(
    (r) => r.pValue !== null && r.pValue < 0.05 && Math.abs(r.cohensH ?? 0) >= 0.2,
  );
  const anyTest = tested.length > 0 || rates.some((r) => r.pValue !== null);
  const reasons = [
    ...differing.map((t) => t.metric),
    ...differingRates.map((r) => `${r.outcome === 'churned' ? 'churn' : 'expansion'} rate`),
  ];
  const distinct: ValidationCard['distinct'] = {
    verdict: !anyTest ? 'n/a' : reasons.length > 0 ? 'pass' : 'warn',
    against: scoped ? `the other members of '${parent}'` : 'the other accounts',
    reason: !anyTest
      ? 'no numeric metric or paying account to compare'
      : reasons.length > 0
        ? `differs from ${othersWord} on ${reasons.join(', ')} (p < 0.05, |d| or |h| >= 0.2)`
        : `no metric or rate differs clearly from ${othersWord}: the segment may not be distinct`,
    metrics: distinctMetrics,
    rates,
  };

  // Measurable: how many accounts have a value for each trait the definition reads.
  const traits = [...traitsOf(workspace, segment)].sort();
  const columns = new Set(TABLES.accounts.columns.map((c) => c.name));
  const present = (trait: string) =>
    columns.has(trait) ? sql`${q(trait)} IS NOT NULL` : sql`${fn.jsonText(sql`traits`, trait)} IS NOT NULL`;
  // A child segment's definition is applied to its parent's members: measure coverage there.
  const scope = scoped
    ? fn.joinOnAccount([
        sql`(SELECT account_id FROM ${run.table} WHERE ${q(segmentColumn(parent))}) scope`,
        sql`accounts`,
      ])
    : sql`(SELECT * FROM accounts WHERE created_at <= ${new Date(run.asOf)}) scope`;
  const [coverageRow] =
    traits.length === 0
      ? [{}]
      : await store.query<Record<string, unknown>>(
          sql`SELECT count(*) AS total${sql.join(
            traits.map((t, i) => sql`, count(CASE WHEN ${present(t)} THEN 1 END) AS ${q(`c${i}`)}`),
            sql.empty,
          )}
           FROM ${scope}`,
        );
  const total = Number(coverageRow?.total ?? 0);
  const coverage = traits.map((trait, i) => ({
    trait,
    share: total > 0 ? Number(coverageRow?.[`c${i}`] ?? 0) / total : 0,
  }));
  const lowest = Math.min(1, ...coverage.map((c) => c.share));
  const measurable: ValidationCard['measurable'] = {
    verdict: coverage.length === 0 ? 'n/a' : lowest >= 0.95 ? 'pass' : lowest >= 0.8 ? 'warn' : 'fail',
    reason:
      coverage.length === 0
        ? 'built from events and metrics only: every account is measured'
        : `${coverage.map((c) => `${c.trait} ${(c.share * 100).toFixed(1)}%`).join(', ')} of ${parent ? `the members of '${parent}'` : 'accounts'} have a value (95% passes, 80% warns)`,
    coverage,
  };

  // Accessible: members with at least one user who has an email address.
  const contacts = sql`(SELECT account_id, 1 AS reachable FROM users WHERE email IS NOT NULL GROUP BY account_id) contacts`;
  const [reach] = await store.query<{ reachable: number | null }>(
    sql`SELECT sum(reachable) AS reachable FROM ${fn.joinOnAccount([sql`(SELECT account_id FROM ${run.table} WHERE ${flag}) members`, contacts])}`,
  );
  const reachable = Number(reach?.reachable ?? 0);
  const share = members > 0 ? reachable / members : 0;
  const accessible: ValidationCard['accessible'] = {
    verdict: members === 0 ? 'n/a' : share >= 0.9 ? 'pass' : share >= 0.5 ? 'warn' : 'fail',
    reason: `${reachable} of ${members} members have a user with an email address (90% passes, 50% warns)`,
    reachable,
    share,
  };

  const { minimum, basis } = substantialMinimum(workspace.config.settings, run.accounts);
  const { minSegmentSize } = workspace.config.settings;
  const substantial: ValidationCard['substantial'] = {
    verdict: members >= minimum ? 'pass' : members >= minSegmentSize ? 'warn' : 'fail',
    reason: `${members} members; ${minimum} needed for analysis (${basis}), ${minSegmentSize} at the least (settings.minSegmentSize)`,
    minimum,
  };
  const playbook = ownValue(workspace.config.playbooks, segment);
  const actionable: Criterion = playbook
    ? { verdict: 'pass', reason: 'has a playbook' }
    : { verdict: 'warn', reason: 'no playbook: nobody is told what to do with its members' };

  // Stability: membership turnover against the latest run at least 28 days older.
  const asOf = Date.parse(run.asOf);
  const earlier = runs
    .filter(
      (r) =>
        r.runId !== run.runId && r.segments.includes(segment) && Date.parse(r.asOf) <= asOf - 28 * 86_400_000,
    )
    .sort((a, b) => Date.parse(b.asOf) - Date.parse(a.asOf))[0];
  let stability: ValidationCard['stability'] = {
    verdict: 'n/a',
    reason: 'no run a month or more earlier to compare with',
    againstRunId: null,
    turnover: null,
  };
  if (earlier) {
    const diff = (
      await compareSnapshots(store, { ...earlier, segments: [segment] }, { ...run, segments: [segment] })
    ).segments[0];
    const union = (diff?.after ?? 0) + (diff?.exited ?? 0);
    const turnover = union > 0 ? ((diff?.entered ?? 0) + (diff?.exited ?? 0)) / union : 0;
    stability = {
      verdict: turnover <= 0.3 ? 'pass' : turnover <= 0.6 ? 'warn' : 'fail',
      reason: `${(turnover * 100).toFixed(1)}% of the members of either run changed since run ${earlier.runId} (${earlier.asOf.slice(0, 10)}); 30% passes, 60% warns`,
      againstRunId: earlier.runId,
      turnover,
    };
  }
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
