import { compileLayers, metricColumn, segmentColumn } from '../../compile/compile-workspace.js';
import { formulaSafe } from '../../dialect/formula-safe.js';
import type { Sql } from '../../dialect/sql.js';
import { evaluateLayers } from '../../engine/evaluate.js';
import { readRun } from '../../engine/run-snapshot.js';
import { didYouMean, StrataError } from '../../errors.js';
import { accountRows } from '../../identity/account-rows.js';
import type { MetricNode } from '../../language/ast.js';
import type { ExportFormat, Store } from '../../store/store.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import { metricNode, withInputs } from '../../workspace/metric-closure.js';
import { type Comparison, compareProportions, welchTest } from '../statistics.js';

/**
 * A/B tests on a segment. Members of the segment in the latest run are split by a hash:
 * an account is in `treatment` when the first 4 bytes of MD5(salt:account_id), read as a
 * number, fall below ratio x 2^32, so the split is deterministic, the same on every
 * engine, and an account keeps its variant when assigned again. Assignments are stored
 * (strata_ab_assignments) with the run and time they were made.
 */

export interface AbTest {
  readonly test: string;
  readonly segment: string;
  readonly salt: string;
  readonly ratio: number;
  readonly createdAt: string;
  readonly plannedPerVariant: number | null;
}

async function readTest(store: Store, test: string): Promise<AbTest> {
  const sql = store.dialect.sql;
  const [row] = await store.query<{
    test: string;
    segment: string;
    salt: string;
    ratio: number;
    created_at: string;
    planned_per_variant: number | null;
  }>(
    sql`SELECT test, segment, salt, ratio, ${store.dialect.fn.isoTimestamp(sql`created_at`)} AS created_at, planned_per_variant
     FROM strata_ab_tests WHERE test = ${test}`,
  );
  if (!row) {
    const known = (await store.query<{ test: string }>(sql`SELECT test FROM strata_ab_tests`)).map(
      (r) => r.test,
    );
    throw new StrataError('unknown_test', `no A/B test '${test}'${didYouMean(test, known)}`);
  }
  return {
    test: row.test,
    segment: row.segment,
    salt: row.salt,
    ratio: Number(row.ratio),
    createdAt: row.created_at,
    plannedPerVariant: row.planned_per_variant === null ? null : Number(row.planned_per_variant),
  };
}

/** Accounts per variant of a test. */
async function variantCounts(store: Store, test: string) {
  const rows = await store.query<{ variant: string; accounts: number }>(
    store.dialect
      .sql`SELECT variant, count(*) AS accounts FROM strata_ab_assignments WHERE test = ${test} GROUP BY variant`,
  );
  const count = (variant: string) => Number(rows.find((r) => r.variant === variant)?.accounts ?? 0);
  return { control: count('control'), treatment: count('treatment') };
}

/** Assigns the segment's members in the latest run that the test has not assigned yet. */
export async function assignAbTest(store: Store, test: string, now = new Date()) {
  const ab = await readTest(store, test);
  const run = await readRun(store);
  if (!run.segments.includes(ab.segment)) {
    throw new StrataError('unknown_segment', `the latest run (${run.runId}) has no segment '${ab.segment}'`);
  }
  const sql = store.dialect.sql;
  const bucket = store.dialect.fn.md5Bucket(sql`concat(${`${ab.salt}:`}, account_id)`);
  await store.execute(
    sql`INSERT INTO strata_ab_assignments (test, account_id, variant, assigned_at, run_id)
     SELECT ${test}, account_id, CASE WHEN ${bucket} < ${Math.round(ab.ratio * 2 ** 32)} THEN 'treatment' ELSE 'control' END,
       ${now}, ${run.runId}
     FROM ${run.table} WHERE ${sql.id(segmentColumn(ab.segment))}
       AND account_id NOT IN (SELECT account_id FROM strata_ab_assignments WHERE test = ${test})`,
  );
  return { test: ab, runId: run.runId, ...(await variantCounts(store, test)) };
}

/** Creates a test on a segment and assigns its members in the latest run. */
export async function createAbTest(
  store: Store,
  workspace: Workspace,
  options: { test: string; segment: string; ratio?: number; salt?: string; plannedPerVariant?: number },
  now = new Date(),
) {
  const ratio = options.ratio ?? 0.5;
  if (!(ratio > 0 && ratio < 1))
    throw new StrataError('invalid_argument', `--ratio ${ratio}: expected a share between 0 and 1`);
  const ids = workspace.segments.map((s) => s.id);
  if (!ids.includes(options.segment)) {
    throw new StrataError(
      'unknown_segment',
      `unknown segment '${options.segment}'${didYouMean(options.segment, ids)}`,
    );
  }
  const sql = store.dialect.sql;
  const [existing] = await store.query<{ n: number }>(
    sql`SELECT count(*) AS n FROM strata_ab_tests WHERE test = ${options.test}`,
  );
  if (Number(existing?.n ?? 0) > 0) {
    throw new StrataError(
      'test_exists',
      `A/B test '${options.test}' exists already; 'strata ab assign ${options.test}' adds new members`,
    );
  }
  await store.execute(
    sql`INSERT INTO strata_ab_tests (test, segment, salt, ratio, created_at, planned_per_variant) VALUES
     (${options.test}, ${options.segment}, ${options.salt ?? options.test}, ${ratio}, ${now},
      ${options.plannedPerVariant ?? null})`,
  );
  return assignAbTest(store, options.test, now);
}

/** Writes a test's assignments to a CSV file (test, account_id, variant, assigned_at, run_id); returns the rows. */
export async function exportAssignments(
  store: Store,
  test: string,
  path: string,
  format: ExportFormat = 'csv',
): Promise<number> {
  await readTest(store, test);
  const sql = store.dialect.sql;
  // In CSV the test's name and the account ids are formula-safe (src/dialect/formula-safe.ts).
  const text = (column: Sql) => (format === 'csv' ? formulaSafe(store.dialect, column) : column);
  return store.exportFile(
    sql`SELECT ${text(sql`test`)} AS test, ${text(sql`account_id`)} AS account_id, variant, ${store.dialect.fn.isoTimestamp(sql`assigned_at`)} AS assigned_at, run_id
     FROM strata_ab_assignments a WHERE a.test = ${test} ORDER BY a.account_id`,
    path,
    format,
  );
}

export type AbOutcome =
  /** Share of accounts with the event after their assignment (within `withinDays` of it). */
  | { readonly event: string; readonly withinDays?: number }
  /** Mean of a metric at the report's time. */
  | { readonly metric: string };

export interface AbReport {
  readonly test: AbTest;
  readonly asOf: string;
  readonly outcome: string;
  readonly variants: readonly {
    readonly variant: 'control' | 'treatment';
    readonly accounts: number;
    readonly value: number;
  }[];
  readonly comparison: Comparison;
  /** Accounts per variant the test was planned for; until both reach it, the result should not be acted on. */
  readonly plannedPerVariant: number | null;
  readonly reachedPlan: boolean | null;
}

/** Compares the outcome between the variants, as of `asOf`. */
export async function reportAbTest(
  store: Store,
  workspace: Workspace,
  test: string,
  outcome: AbOutcome,
  asOf: Date,
): Promise<AbReport> {
  const ab = await readTest(store, test);
  const d = store.dialect;
  const { sql, fn } = d;
  const assigned = sql`(SELECT account_id, variant, assigned_at FROM strata_ab_assignments WHERE test = ${test}) assigned`;
  const variantsOf = sql`(SELECT account_id, variant FROM strata_ab_assignments WHERE test = ${test}) variants`;
  let variants: AbReport['variants'];
  let comparison: Comparison;
  let label: string;
  if ('event' in outcome) {
    const window =
      outcome.withinDays === undefined
        ? sql.empty
        : sql` AND ts <= ${fn.minusDays(sql`assigned_at`, -outcome.withinDays)}`;
    const converted = sql`(SELECT account_id, 1 AS converted FROM ${fn.joinSmall(sql`${(await accountRows(store, workspace.config.identity)).events} e`, assigned)}
      WHERE event = ${outcome.event} AND ts > assigned_at AND ts <= ${asOf}${window} GROUP BY account_id) converted`;
    const rows = await store.query<{ variant: string; accounts: number; converted: number | null }>(
      sql`SELECT variant, count(*) AS accounts, sum(converted) AS converted
       FROM ${fn.joinOnAccount([variantsOf, converted])}
       GROUP BY variant`,
    );
    const of = (variant: string) => {
      const row = rows.find((r) => r.variant === variant);
      return { n: Number(row?.accounts ?? 0), successes: Number(row?.converted ?? 0) };
    };
    const [control, treatment] = [of('control'), of('treatment')];
    if (control.n === 0 || treatment.n === 0)
      throw new StrataError('empty_variant', `test '${test}' has an empty variant`);
    comparison = compareProportions(control, treatment);
    variants = [
      { variant: 'control', accounts: control.n, value: control.successes / control.n },
      { variant: 'treatment', accounts: treatment.n, value: treatment.successes / treatment.n },
    ];
    label = `share with '${outcome.event}' after assignment${outcome.withinDays === undefined ? '' : ` within ${outcome.withinDays} days`}`;
  } else {
    const node: MetricNode = metricNode(workspace, outcome.metric, ['metrics', outcome.metric]);
    const layers = compileLayers(d, {
      metrics: withInputs(workspace, { outcome: node }),
      segments: [],
      asOf,
      rows: await accountRows(store, workspace.config.identity),
    });
    const scratch = await evaluateLayers(store, layers, 'strata_ab_metric');
    try {
      const value = fn.toDouble(sql.id(metricColumn('outcome')));
      const rows = await store.query<{ variant: string; n: number; total: number; squares: number }>(
        sql`SELECT variant, count(${value}) AS n, sum(${value}) AS total, sum(${value} * ${value}) AS squares
         FROM ${fn.joinOnAccount([variantsOf, scratch])}
         GROUP BY variant`,
      );
      const of = (variant: string) => {
        const row = rows.find((r) => r.variant === variant);
        const n = Number(row?.n ?? 0);
        const mean = n > 0 ? Number(row?.total ?? 0) / n : Number.NaN;
        const variance = n > 1 ? (Number(row?.squares ?? 0) - n * mean * mean) / (n - 1) : Number.NaN;
        return { n, mean, variance: Math.max(0, variance) };
      };
      const [control, treatment] = [of('control'), of('treatment')];
      if (control.n < 2 || treatment.n < 2) {
        throw new StrataError(
          'empty_variant',
          `test '${test}' needs two accounts with a value of '${outcome.metric}' in each variant`,
        );
      }
      comparison = welchTest(control, treatment);
      variants = [
        { variant: 'control', accounts: control.n, value: control.mean },
        { variant: 'treatment', accounts: treatment.n, value: treatment.mean },
      ];
      label = `mean of ${outcome.metric}`;
    } finally {
      await store.dropScratch(scratch);
    }
  }
  const planned = ab.plannedPerVariant;
  return {
    test: ab,
    asOf: asOf.toISOString(),
    outcome: label,
    variants,
    comparison,
    plannedPerVariant: planned,
    reachedPlan: planned === null ? null : variants.every((v) => v.accounts >= planned),
  };
}

/** Every A/B test with its segment, split and how many accounts each variant holds. */
export async function listAbTests(store: Store) {
  const rows = await store.query<{
    test: string;
    segment: string;
    ratio: number;
    created_at: string;
    planned_per_variant: number | null;
  }>(
    store.dialect
      .sql`SELECT test, segment, ratio, ${store.dialect.fn.isoTimestamp(store.dialect.sql`created_at`)} AS created_at, planned_per_variant
     FROM strata_ab_tests ORDER BY test`,
  );
  const counts = await store.query<{ test: string; variant: string; accounts: number }>(
    store.dialect
      .sql`SELECT test, variant, count(*) AS accounts FROM strata_ab_assignments GROUP BY test, variant`,
  );
  const of = (test: string, variant: string) =>
    Number(counts.find((c) => c.test === test && c.variant === variant)?.accounts ?? 0);
  return rows.map((row) => ({
    test: row.test,
    segment: row.segment,
    ratio: Number(row.ratio),
    createdAt: row.created_at,
    plannedPerVariant: row.planned_per_variant === null ? null : Number(row.planned_per_variant),
    control: of(row.test, 'control'),
    treatment: of(row.test, 'treatment'),
  }));
}
