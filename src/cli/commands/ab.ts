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
import { parseWindowDays } from '../../workspace/duration.js';
import { numberOption } from '../options.js';
import { formatTable, type Output } from '../output.js';
import { commandTime, withWorkspace } from './run.js';

/** `strata ab size`: accounts needed per variant. */
export function runAbSize(
  options: { baseline?: string; mde?: string; alpha?: string; power?: string },
  output: Output,
) {
  const baseline = numberOption('--baseline', options.baseline);
  const mde = numberOption('--mde', options.mde);
  if (baseline === undefined || mde === undefined) {
    throw new StrataError(
      'invalid_argument',
      'give --baseline (a conversion rate, e.g. 0.1) and --mde (an absolute change, e.g. 0.02)',
    );
  }
  const alpha = numberOption('--alpha', options.alpha) ?? 0.05;
  const power = numberOption('--power', options.power) ?? 0.8;
  const perVariant = sampleSizePerVariant({ baseline, mde, alpha, power });
  const result = { baseline, mde, alpha, power, perVariant };
  output.result(
    result,
    () =>
      `${perVariant} accounts per variant to detect ${baseline} -> ${Number((baseline + mde).toPrecision(12))} (two-sided, alpha ${alpha}, power ${power})`,
  );
  return result;
}

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
export async function runAbCreate(
  test: string,
  options: {
    workspace: string;
    segment?: string;
    ratio?: string;
    salt?: string;
    planned?: string;
    baseline?: string;
    mde?: string;
  },
  output: Output,
) {
  if (!options.segment)
    throw new StrataError(
      'invalid_argument',
      `give the segment to test: strata ab create ${test} --segment ID`,
    );
  const baseline = numberOption('--baseline', options.baseline);
  const mde = numberOption('--mde', options.mde);
  const planned =
    numberOption('--planned', options.planned, { whole: true, min: 1 }) ??
    (baseline !== undefined && mde !== undefined ? sampleSizePerVariant({ baseline, mde }) : undefined);
  const ratio = numberOption('--ratio', options.ratio);
  return withWorkspace(options.workspace, async (store, workspace) => {
    const created = await createAbTest(store, workspace, {
      test,
      segment: options.segment as string,
      ...(ratio !== undefined ? { ratio } : {}),
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
export async function runAbAssign(test: string, options: { workspace: string }, output: Output) {
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

function renderReport(report: AbReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const proportion = report.comparison.degreesOfFreedom === null;
  const show = (x: number) => (proportion ? pct(x) : Number(x.toFixed(4)));
  const [low, high] = report.comparison.confidenceInterval;
  return [
    `A/B test '${report.test.test}' on '${report.test.segment}' as of ${report.asOf}: ${report.outcome}`,
    '',
    formatTable(
      ['variant', 'accounts', proportion ? 'share' : 'mean'],
      report.variants.map((v) => [v.variant, v.accounts, show(v.value)]),
    ),
    '',
    `treatment - control: ${show(report.comparison.difference)} (95% CI ${show(low)} to ${show(high)}), p = ${report.comparison.pValue.toPrecision(3)}${proportion ? ' (two-proportion z-test)' : ` (Welch's t-test, df ${report.comparison.degreesOfFreedom?.toFixed(1)})`}`,
    report.plannedPerVariant === null
      ? 'no planned sample size: set one with --planned or --baseline/--mde when creating a test'
      : report.reachedPlan
        ? `planned ${report.plannedPerVariant} accounts per variant: reached`
        : `planned ${report.plannedPerVariant} accounts per variant: NOT reached yet; do not act on this result (peeking inflates false positives)`,
  ].join('\n');
}

/** `strata ab report <test> --event E [--within 30d] | --metric M`. */
export async function runAbReport(
  test: string,
  options: { workspace: string; event?: string; within?: string; metric?: string; asOf?: string },
  output: Output,
) {
  if (Boolean(options.event) === Boolean(options.metric)) {
    throw new StrataError(
      'invalid_argument',
      'give exactly one outcome: --event NAME [--within 30d] or --metric NAME',
    );
  }
  const withinDays = options.within === undefined ? undefined : parseWindowDays(options.within);
  if (options.within !== undefined && withinDays === undefined) {
    throw new StrataError(
      'invalid_argument',
      `--within ${options.within}: expected a window such as 30d, 12w, 6m or 1y`,
    );
  }
  return withWorkspace(options.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, options.asOf, 'read', output);
    const report = await reportAbTest(
      store,
      workspace,
      test,
      options.event
        ? { event: options.event, ...(withinDays !== undefined ? { withinDays } : {}) }
        : { metric: options.metric as string },
      asOf,
    );
    output.result(report, () => renderReport(report));
    return report;
  });
}

/** `strata ab export <test> --out FILE.csv`: the stored assignments, for a CRM or an email tool. */
export async function runAbExport(
  test: string,
  options: { workspace: string; out?: string },
  output: Output,
) {
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
