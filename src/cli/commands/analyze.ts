import { projectRetention, readSurvivalCsv } from '../../analytics/retention/project-retention.js';
import { StrataError } from '../../errors.js';
import { formatTable, type Output } from '../output.js';

const positive = (name: string, text: string | undefined, integer = false) => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new StrataError(
      'invalid_argument',
      `${name} ${text}: expected a ${integer ? 'whole ' : ''}number >= 0`,
    );
  }
  return n;
};

/** `strata analyze retention --survival FILE.csv`: the sBG model fitted to a survival table and projected. */
export async function runAnalyzeRetention(
  options: { survival?: string; horizon?: string; discount?: string; value?: string },
  output: Output,
) {
  if (!options.survival) {
    throw new StrataError(
      'invalid_argument',
      'give a survival table: strata analyze retention --survival FILE.csv (columns period,alive)',
    );
  }
  const alive = readSurvivalCsv(options.survival);
  const horizon = positive('--horizon', options.horizon, true);
  const discountRate = positive('--discount', options.discount);
  const valuePerPeriod = positive('--value', options.value);
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
