import { projectRetention, readSurvivalCsv } from '../../analytics/retention/project-retention.js';
import { analyzeRfm } from '../../analytics/rfm/rfm.js';
import { StrataError } from '../../errors.js';
import { count, formatTable, type Output } from '../output.js';
import { parseAsOf, withWorkspace } from './run.js';

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

/** `strata analyze rfm [--as-of T]`: accounts and KPIs per RFM cell, and the R x FM grid. */
export async function runAnalyzeRfm(options: { workspace: string; asOf?: string }, output: Output) {
  const asOf = parseAsOf(options.asOf) ?? new Date();
  return withWorkspace(options.workspace, async (store, workspace) => {
    const report = await analyzeRfm(store, workspace, asOf);
    const round = (x: number | null, digits = 1) => (x === null ? '' : Number(x.toFixed(digits)));
    const scores = [5, 4, 3, 2, 1];
    output.result(report, () =>
      [
        `RFM of ${count(report.accounts)} accounts as of ${report.asOf}`,
        `recency: ${report.metrics.recency}; frequency: ${report.metrics.frequency}; monetary: ${report.metrics.monetary}`,
        '',
        formatTable(
          [
            'cell',
            'accounts',
            'share',
            'avg recency (days)',
            'avg frequency',
            'avg monetary',
            'total monetary',
          ],
          report.cells.map((c) => [
            c.cell,
            c.accounts,
            `${(c.share * 100).toFixed(1)}%`,
            round(c.recency),
            round(c.frequency),
            round(c.monetary, 2),
            round(c.monetaryTotal, 2),
          ]),
        ),
        '',
        'accounts by R (rows) and FM (columns):',
        formatTable(
          ['R \\ FM', ...scores.map(String)],
          scores.map((r) => [
            r,
            ...scores.map((fm) => report.grid.find((g) => g.r === r && g.fm === fm)?.accounts ?? 0),
          ]),
        ),
      ].join('\n'),
    );
    return report;
  });
}
