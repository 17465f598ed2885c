import jstat from 'jstat';
import { metricColumn, segmentColumn } from '../../compile/compile-workspace.js';
import type { Sql } from '../../dialect/sql.js';
import { compareSnapshots } from '../../engine/membership-diff.js';
import type { StoredRun } from '../../engine/run-snapshot.js';
import { count, percent } from '../../format/numbers.js';
import { listWords, plural } from '../../format/words.js';
import type { ConditionNode, MetricNode } from '../../language/ast.js';
import { isTextMetric } from '../../language/value-types.js';
import { TABLES } from '../../model/tables.js';
import { ownValue } from '../../own-key.js';
import type { Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import { benjaminiHochberg, cohensH, pooledZ, welchTest } from '../statistics.js';
import type { ValidationCard } from './validation-card.js';

/*
 * The criteria of a validation card that read the store: distinct (metrics and outcome rates,
 * members against the others), measurable (trait coverage), accessible (reachable members)
 * and stability (turnover against a run a month or more older). src/analytics/validation/
 * validation-card.ts assembles them with the criteria that need no query.
 */

const { jStat } = jstat;

/** What every criterion reads: the run, the segment's flag column, and whom members are compared with. */
export interface CardScope {
  readonly store: Store;
  readonly workspace: Workspace;
  readonly run: StoredRun;
  readonly segment: string;
  /** The segment's flag column in the run's table. */
  readonly flag: Sql;
  readonly members: number;
  /** The segment's parent in strata.yaml, if any. */
  readonly parent: string | null;
  /**
   * Whether the run has the parent: a child segment is chosen among its parent's members, so
   * it is compared with the parent's other members (a child of 'enterprise' differs from
   * small accounts trivially).
   */
  readonly scoped: boolean;
}

/** `WHERE <parent's flag>` when a child is compared within its parent, else nothing. */
function inParent({ store, parent, scoped }: CardScope): Sql {
  const { sql } = store.dialect;
  return scoped && parent !== null ? sql`WHERE ${sql.id(segmentColumn(parent))}` : sql.empty;
}

type DistinctMetric = ValidationCard['distinct']['metrics'][number];
type DistinctRate = ValidationCard['distinct']['rates'][number];

/** Distinct: members against the others on every numeric metric and on churn and expansion. */
export async function distinctCriterion(scope: CardScope): Promise<ValidationCard['distinct']> {
  const { tested, metrics: distinctMetrics } = await metricTests(scope);
  const rates = await rateTests(scope);
  const differing = distinctMetrics.filter(
    (t) => t.adjustedPValue !== null && t.adjustedPValue < 0.05 && Math.abs(t.cohensD ?? 0) >= 0.2,
  );
  const { parent, scoped } = scope;
  const othersWord = scoped ? `the other members of '${parent}'` : 'the other accounts';
  const differingRates = rates.filter(
    (r) => r.pValue !== null && r.pValue < 0.05 && Math.abs(r.cohensH ?? 0) >= 0.2,
  );
  const anyTest = tested > 0 || rates.some((r) => r.pValue !== null);
  const reasons = [
    ...differing.map((t) => t.metric),
    ...differingRates.map((r) => `${r.outcome === 'churned' ? 'churn' : 'expansion'} rate`),
  ];
  return {
    verdict: !anyTest ? 'n/a' : reasons.length > 0 ? 'pass' : 'warn',
    against: scoped ? `the other members of '${parent}'` : 'the other accounts',
    reason: !anyTest
      ? 'no numeric metric or paying account to compare'
      : reasons.length > 0
        ? `differs from ${othersWord} on ${listWords(reasons)} (p < 0.05, |d| or |h| >= 0.2)`
        : `no metric or rate differs clearly from ${othersWord}: the segment may not be distinct`,
    metrics: distinctMetrics,
    rates,
  };
}

/** Each numeric metric, members against the rest in one pass: Welch's t-test, Cohen's d, Benjamini-Hochberg. */
async function metricTests(scope: CardScope): Promise<{ tested: number; metrics: DistinctMetric[] }> {
  const { store, workspace, run, flag } = scope;
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const where = inParent(scope);
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
          sql`SELECT CASE WHEN ${flag} THEN 1 ELSE 0 END AS member, ${sql.join(parts)} FROM ${run.table} ${where} GROUP BY member`,
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
  return { tested: tested.length, metrics: distinctMetrics };
}

/**
 * Churn and expansion over the 90 days before the run, members against the rest: a
 * chi-square test of the 2x2 table (the pooled two-proportion z-test squared) and Cohen's h.
 */
async function rateTests(scope: CardScope): Promise<DistinctRate[]> {
  const { store, run, flag } = scope;
  const { sql, fn } = store.dialect;
  const where = inParent(scope);
  const at = (days: number) => sql.value(new Date(Date.parse(run.asOf) - days * 86_400_000));
  const mrrAt = (instant: Sql) =>
    sql`coalesce(${fn.aggregateIf('sum', sql`mrr`, sql`starts_at <= ${instant} AND (ends_at IS NULL OR ends_at > ${instant}) AND mrr > 0`)}, 0)`;
  const revenue = sql`(SELECT account_id, ${mrrAt(at(90))} AS mrr_before, ${mrrAt(sql.value(new Date(run.asOf)))} AS mrr_at
    FROM subscriptions GROUP BY account_id) revenue`;
  const flags = sql`(SELECT account_id, CASE WHEN ${flag} THEN 1 ELSE 0 END AS member FROM ${run.table} ${where}) flags`;
  const outcomes = await store.query<{ member: number; paying: number; churned: number; expanded: number }>(
    sql`SELECT member, count(CASE WHEN mrr_before > 0 THEN 1 END) AS paying,
       count(CASE WHEN mrr_before > 0 AND coalesce(mrr_at, 0) = 0 THEN 1 END) AS churned,
       count(CASE WHEN mrr_before > 0 AND mrr_at > mrr_before THEN 1 END) AS expanded
     FROM ${fn.joinOnAccount([flags, revenue])} GROUP BY member`,
  );
  const side = (member: number) => outcomes.find((o) => Number(o.member) === member);
  return (['churned', 'expanded'] as const).map((outcome) => {
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
    if (node?.kind === 'change' || node?.kind === 'percentile' || node?.kind === 'rollup')
      metricTraits(node.metric);
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

/** Measurable: how many accounts have a value for each trait the definition reads. */
export async function measurableCriterion(scope: CardScope): Promise<ValidationCard['measurable']> {
  const { store, workspace, run, segment, parent, scoped } = scope;
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const traits = [...traitsOf(workspace, segment)].sort();
  const columns = new Set(TABLES.accounts.columns.map((c) => c.name));
  const present = (trait: string) =>
    columns.has(trait) ? sql`${q(trait)} IS NOT NULL` : sql`${fn.jsonText(sql`traits`, trait)} IS NOT NULL`;
  // A child segment's definition is applied to its parent's members: measure coverage there.
  const within =
    scoped && parent !== null
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
           FROM ${within}`,
        );
  const total = Number(coverageRow?.total ?? 0);
  const coverage = traits.map((trait, i) => ({
    trait,
    share: total > 0 ? Number(coverageRow?.[`c${i}`] ?? 0) / total : 0,
  }));
  const lowest = Math.min(1, ...coverage.map((c) => c.share));
  return {
    verdict: coverage.length === 0 ? 'n/a' : lowest >= 0.95 ? 'pass' : lowest >= 0.8 ? 'warn' : 'fail',
    reason:
      coverage.length === 0
        ? 'built from events and metrics only: every account is measured'
        : `${listWords(coverage.map((c) => `${c.trait} ${percent(c.share)}`))} of ${parent ? `the members of '${parent}'` : 'accounts'} have a value (95% passes, 80% warns)`,
    coverage,
  };
}

/** Accessible: members with at least one user who has an email address. */
export async function accessibleCriterion(scope: CardScope): Promise<ValidationCard['accessible']> {
  const { store, run, flag, members } = scope;
  const { sql, fn } = store.dialect;
  const contacts = sql`(SELECT account_id, 1 AS reachable FROM users WHERE email IS NOT NULL GROUP BY account_id) contacts`;
  const [reach] = await store.query<{ reachable: number | null }>(
    sql`SELECT sum(reachable) AS reachable FROM ${fn.joinOnAccount([sql`(SELECT account_id FROM ${run.table} WHERE ${flag}) members`, contacts])}`,
  );
  const reachable = Number(reach?.reachable ?? 0);
  const share = members > 0 ? reachable / members : 0;
  return {
    verdict: members === 0 ? 'n/a' : share >= 0.9 ? 'pass' : share >= 0.5 ? 'warn' : 'fail',
    reason: `${count(reachable)} of ${plural(members, 'member', 'members', count(members))} ${reachable === 1 ? 'has' : 'have'} a user with an email address (90% passes, 50% warns)`,
    reachable,
    share,
  };
}

/** Stability: membership turnover against the latest run at least 28 days older. */
export async function stabilityCriterion(
  scope: CardScope,
  runs: readonly StoredRun[],
): Promise<ValidationCard['stability']> {
  const { store, run, segment } = scope;
  const asOf = Date.parse(run.asOf);
  const earlier = runs
    .filter(
      (r) =>
        r.runId !== run.runId && r.segments.includes(segment) && Date.parse(r.asOf) <= asOf - 28 * 86_400_000,
    )
    .sort((a, b) => Date.parse(b.asOf) - Date.parse(a.asOf))[0];
  if (!earlier) {
    return {
      verdict: 'n/a',
      reason: 'no run a month or more earlier to compare with',
      againstRunId: null,
      turnover: null,
    };
  }
  const diff = (
    await compareSnapshots(store, { ...earlier, segments: [segment] }, { ...run, segments: [segment] })
  ).segments[0];
  const union = (diff?.after ?? 0) + (diff?.exited ?? 0);
  const turnover = union > 0 ? ((diff?.entered ?? 0) + (diff?.exited ?? 0)) / union : 0;
  return {
    verdict: turnover <= 0.3 ? 'pass' : turnover <= 0.6 ? 'warn' : 'fail',
    reason: `${percent(turnover)} of the members of either run changed since run ${earlier.runId} (${earlier.asOf.slice(0, 10)}); 30% passes, 60% warns`,
    againstRunId: earlier.runId,
    turnover,
  };
}
