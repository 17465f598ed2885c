import { resolve } from 'node:path';
import {
  type AbReport,
  assignAbTest,
  createAbTest,
  exportAssignments,
  reportAbTest,
} from '../../analytics/abtest/abtest.js';
import { sampleSizePerVariant } from '../../analytics/statistics.js';
import { StrataError } from '../../errors.js';
import { count, decimals, percent } from '../../format/numbers.js';
import type { AbCreateInput, AbExportInput, AbReportInput, AbTestInput } from '../commands/ab.js';
import { metricFigure } from '../figures.js';
import { formatTable, type Output } from '../output.js';
import { commandTime, withWorkspace } from '../workspace-session.js';

/**
 * A planned sample the segment cannot give: more accounts per variant than the smaller
 * variant holds now (the test would only reach its plan if the segment grew that much).
 */
function planWarnings(segment: string, planned: number | undefined, control: number, treatment: number) {
  const smaller = Math.min(control, treatment);
  if (planned === undefined || planned <= smaller) return [];
  return [
    `planned ${planned} accounts per variant, but segment '${segment}' has ${control + treatment} members (control ${control}, treatment ${treatment}): the test cannot reach its plan unless the segment grows; plan for a larger --mde or test a larger segment`,
  ];
}

/** `strata ab create <test> --segment S`: a test on a segment, its members assigned. */
export async function runAbCreate(options: AbCreateInput, output: Output) {
  const { test, segment, baseline, mde, ratio } = options;
  if (!segment)
    throw new StrataError(
      'invalid_argument',
      `give the segment to test: strata ab create ${test} --segment ID`,
    );
  const planned =
    options.planned ??
    (baseline !== undefined && mde !== undefined ? sampleSizePerVariant({ baseline, mde }) : undefined);
  return withWorkspace(options.workspace, async (store, workspace) => {
    const created = await createAbTest(store, workspace, {
      test,
      segment,
      ratio,
      ...(options.salt ? { salt: options.salt } : {}),
      ...(planned !== undefined ? { plannedPerVariant: planned } : {}),
    });
    const warnings = planWarnings(created.test.segment, planned, created.control, created.treatment);
    // On stderr in both modes, so a script reading --json still sees it; and in the JSON.
    for (const w of warnings) output.warn(w);
    const result = { ...created, warnings };
    output.result(result, () =>
      [
        `A/B test '${test}' on segment '${created.test.segment}' (run ${created.runId}, salt '${created.test.salt}', ${created.test.ratio * 100}% treatment)`,
        `control ${created.control}, treatment ${created.treatment}${planned === undefined ? '' : `; planned ${planned} per variant`}`,
      ].join('\n'),
    );
    return result;
  });
}

/** `strata ab assign <test>`: assigns members the segment gained since. */
export async function runAbAssign(options: AbTestInput, output: Output) {
  const { test } = options;
  return withWorkspace(options.workspace, async (store) => {
    const assigned = await assignAbTest(store, test);
    output.result(
      assigned,
      () =>
        `'${test}' after run ${assigned.runId}: control ${assigned.control}, treatment ${assigned.treatment}`,
    );
    return assigned;
  });
}

/** A p-value as people compare it with 0.05: three decimals, or below 0.001. */
const pValue = (p: number) => (p < 0.001 ? '< 0.001' : `= ${decimals(p, 3)}`);

/**
 * The report as text: a conversion as a percentage with two decimals (a difference of a
 * tenth of a point matters), a metric in its own unit (`metric` formats it: money in the
 * workspace's currency).
 */
function renderReport(report: AbReport, metric: (x: number) => string): string {
  const proportion = report.comparison.degreesOfFreedom === null;
  const show = (x: number) => (proportion ? percent(x, 2) : metric(x));
  const signed = (x: number) => `${x > 0 ? '+' : ''}${show(x)}`;
  const [low, high] = report.comparison.confidenceInterval;
  return [
    `A/B test '${report.test.test}' on '${report.test.segment}' as of ${report.asOf}: ${report.outcome}`,
    '',
    formatTable(
      ['variant', 'accounts', proportion ? 'share' : 'mean'],
      report.variants.map((v) => [v.variant, count(v.accounts), show(v.value)]),
    ),
    '',
    `treatment - control: ${signed(report.comparison.difference)} (95% CI ${signed(low)} to ${signed(high)}), p ${pValue(report.comparison.pValue)}${proportion ? ' (two-proportion z-test)' : ` (Welch's t-test, df ${decimals(report.comparison.degreesOfFreedom, 1)})`}`,
    report.plannedPerVariant === null
      ? 'no planned sample size: set one with --planned or --baseline/--mde when creating a test'
      : report.reachedPlan
        ? `planned ${count(report.plannedPerVariant)} accounts per variant: reached`
        : `planned ${count(report.plannedPerVariant)} accounts per variant: NOT reached yet; do not act on this result (peeking inflates false positives)`,
  ].join('\n');
}

/** `strata ab report <test> --event E [--within 30d] | --metric M`. */
export async function runAbReport(options: AbReportInput, output: Output) {
  const { test, event, metric, within: withinDays } = options;
  if (Boolean(event) === Boolean(metric)) {
    throw new StrataError(
      'invalid_argument',
      'give exactly one outcome: --event NAME [--within 30d] or --metric NAME',
    );
  }
  return withWorkspace(options.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, options.asOf, 'read', output);
    const report = await reportAbTest(
      store,
      workspace,
      test,
      event ? { event, ...(withinDays !== undefined ? { withinDays } : {}) } : { metric: metric ?? '' },
      asOf,
    );
    const figure = metric ? metricFigure(workspace, metric, true) : (x: number) => decimals(x, 4);
    output.result(report, () => renderReport(report, (x) => figure(x)));
    return report;
  });
}

/** `strata ab export <test> --out FILE.csv`: the stored assignments, for a CRM or an email tool. */
export async function runAbExport(options: AbExportInput, output: Output) {
  const { test } = options;
  if (!options.out)
    throw new StrataError(
      'invalid_argument',
      `give the file to write: strata ab export ${test} --out FILE.csv`,
    );
  const path = resolve(options.out);
  return withWorkspace(options.workspace, async (store) => {
    const rows = await exportAssignments(store, test, path);
    const result = { test, file: path, rows };
    output.result(result, () => `${rows} assignments of '${test}' written to ${path}`);
    return result;
  });
}
