import { projectRetention, readSurvivalCsv } from '../../analytics/retention/project-retention.js';
import { StrataError } from '../../errors.js';
import { count, decimals, number, percent } from '../../format/numbers.js';
import type { RetentionInput } from '../commands/analyze.js';
import { formatTable, type Output } from '../output.js';

// Apart from analyze.ts: a survival table needs no workspace, so no store is loaded.
/** `strata analyze retention --survival FILE.csv`: the sBG model fitted to a survival table and projected. */
export async function runAnalyzeRetention(options: RetentionInput, output: Output) {
  if (!options.survival) {
    throw new StrataError(
      'invalid_argument',
      'give a survival table: strata analyze retention --survival FILE.csv (columns period,alive)',
    );
  }
  const alive = readSurvivalCsv(options.survival);
  const { horizon, discount: discountRate, value: valuePerPeriod } = options;
  const result = projectRetention(alive, {
    ...(horizon !== undefined ? { horizon } : {}),
    ...(discountRate !== undefined ? { discountRate } : {}),
    ...(valuePerPeriod !== undefined ? { valuePerPeriod } : {}),
  });
  for (const warning of result.warnings) output.warn(warning);
  const periods = (n: number | null) => (n === null ? '-' : `${decimals(n, 2)} periods`);
  // No workspace here, so no currency: the value per period is in the user's own unit.
  const ltv = result.discountedLtv === null ? '' : `, discounted LTV ${number(result.discountedLtv)}`;
  const fitted =
    result.fit === 'no_churn'
      ? ['no churn observed: retention cannot be projected (no parameters, no lifetime)']
      : [
          `alpha ${number(result.alpha)}, beta ${number(result.beta)}, log-likelihood ${decimals(result.logLikelihood, 2)}`,
          `mean lifetime ${result.expectedLifetime === null ? 'unbounded (alpha <= 1)' : periods(result.expectedLifetime)}, median lifetime ${result.medianLifetime === null ? '>10,000' : count(result.medianLifetime)} periods`,
          `discounted lifetime at ${percent(result.discountRate, Number.isInteger(result.discountRate * 100) ? 0 : 1)}: ${periods(result.discountedLifetime)}${ltv}`,
        ];
  output.result(result, () =>
    [
      result.fit === 'no_churn'
        ? `survival table of ${count(result.periods)} periods (${options.survival})`
        : `shifted-beta-geometric fit to ${count(result.periods)} periods of ${options.survival}`,
      ...fitted,
      '',
      formatTable(
        ['period', 'observed', 'expected', 'retention rate'],
        result.byPeriod.map((p) => [
          p.period,
          p.observed === null ? '' : count(p.observed),
          p.expected === null ? '' : decimals(p.expected, 1),
          p.retentionRate === null ? '' : percent(p.retentionRate),
        ]),
      ),
    ].join('\n'),
  );
  return result;
}
