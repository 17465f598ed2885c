import { projectRetention, readSurvivalCsv } from '../../analytics/retention/project-retention.js';
import { StrataError } from '../../errors.js';
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
  const round = (x: number, digits = 3) => Number(x.toFixed(digits));
  output.result(result, () =>
    [
      `shifted-beta-geometric fit to ${result.periods} periods of ${options.survival}`,
      `alpha ${round(result.alpha)}, beta ${round(result.beta)}, log-likelihood ${round(result.logLikelihood, 2)}`,
      `mean lifetime ${result.expectedLifetime === null ? 'unbounded (alpha <= 1)' : `${round(result.expectedLifetime, 2)} periods`}, median lifetime ${result.medianLifetime ?? '>10000'} periods`,
      `discounted lifetime at ${result.discountRate * 100}%: ${round(result.discountedLifetime, 2)} periods${result.discountedLtv === null ? '' : `, discounted LTV ${round(result.discountedLtv, 2)}`}`,
      '',
      formatTable(
        ['period', 'observed', 'expected', 'retention rate'],
        result.byPeriod.map((p) => [
          p.period,
          p.observed ?? '',
          round(p.expected, 1),
          p.retentionRate === null ? '' : round(p.retentionRate, 3),
        ]),
      ),
    ].join('\n'),
  );
  return result;
}
