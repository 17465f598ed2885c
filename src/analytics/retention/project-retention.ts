import { readFileSync } from 'node:fs';
import { StrataError } from '../../errors.js';
import {
  checkSurvival,
  discountedLifetime,
  fitSbg,
  sbgAtEdge,
  sbgRetentionRate,
  sbgSurvival,
} from './sbg.js';

export interface RetentionProjection {
  /**
   * `fitted`, or `no_churn` when every customer of period 0 is still there at the end: the
   * likelihood then grows without bound as alpha goes to 0, so there are no parameters to
   * report and no projection (alpha, beta and every projected figure are null).
   */
  readonly fit: 'fitted' | 'no_churn';
  /** What a reader must know before using the figures (no churn; a fit at the edge of its range). */
  readonly warnings: readonly string[];
  /** Periods of data (alive[0..periods]). */
  readonly periods: number;
  readonly alpha: number | null;
  readonly beta: number | null;
  readonly logLikelihood: number | null;
  /** Mean lifetime in periods; null when infinite (alpha <= 1) or not projected. */
  readonly expectedLifetime: number | null;
  /** Per period 0..horizon (only the observed ones without a fit): observed alive, expected alive and retention rate. */
  readonly byPeriod: readonly {
    readonly period: number;
    readonly observed: number | null;
    readonly expected: number | null;
    readonly survival: number | null;
    readonly retentionRate: number | null;
  }[];
  /** First period at which expected survival is at or below one half (null beyond the horizon). */
  readonly medianLifetime: number | null;
  readonly discountRate: number;
  /** Sum over t >= 0 of S(t) / (1 + discount)^t: periods a new customer pays for, discounted. */
  readonly discountedLifetime: number | null;
  /** discountedLifetime x value per period, when a value was given. */
  readonly discountedLtv: number | null;
}

/**
 * Fits the sBG model to a cohort's survival counts and projects it: expected customers and
 * retention rate per period up to `horizon`, median and mean lifetime, discounted lifetime
 * (and value, given the value of one period). A cohort that lost no one is not fitted.
 */
export function projectRetention(
  alive: readonly number[],
  options: { horizon?: number; discountRate?: number; valuePerPeriod?: number } = {},
): RetentionProjection {
  checkSurvival(alive);
  const size = alive[0] ?? 0;
  const discountRate = options.discountRate ?? 0.1;
  if (alive[alive.length - 1] === size) return noChurn(alive, discountRate);
  const fit = fitSbg(alive);
  const horizon = Math.max(options.horizon ?? 2 * (alive.length - 1), alive.length - 1);
  const survival = sbgSurvival(fit.alpha, fit.beta, Math.max(horizon, 10_000));
  const discounted = discountedLifetime(fit.alpha, fit.beta, discountRate);
  const median = survival.findIndex((s) => s <= 0.5);
  const edge = sbgAtEdge(fit.alpha, fit.beta);
  const rate = sbgRetentionRate(fit.alpha, fit.beta, 1);
  return {
    fit: 'fitted',
    warnings: edge
      ? [
          `the fit reached the edge of its range (alpha ${fit.alpha.toPrecision(3)}, beta ${fit.beta.toPrecision(3)}): churn does not slow down over these periods, so alpha and beta mean nothing on their own; what holds is a steady retention rate of about ${(rate * 100).toFixed(1)}% a period`,
        ]
      : [],
    ...fit,
    byPeriod: survival.slice(0, horizon + 1).map((s, period) => ({
      period,
      observed: alive[period] ?? null,
      expected: s * size,
      survival: s,
      retentionRate: period === 0 ? null : sbgRetentionRate(fit.alpha, fit.beta, period),
    })),
    medianLifetime: median < 0 ? null : median,
    discountRate,
    discountedLifetime: discounted,
    discountedLtv: options.valuePerPeriod === undefined ? null : discounted * options.valuePerPeriod,
  };
}

/** The honest answer for a cohort that lost no one: what was observed, and no parameters. */
function noChurn(alive: readonly number[], discountRate: number): RetentionProjection {
  const periods = alive.length - 1;
  return {
    fit: 'no_churn',
    warnings: [
      `no churn observed: all ${alive[0]} customers of period 0 are still there after ${periods} periods, so the sBG fit is degenerate and retention cannot be projected`,
    ],
    periods,
    alpha: null,
    beta: null,
    logLikelihood: null,
    expectedLifetime: null,
    byPeriod: alive.map((n, period) => ({
      period,
      observed: n,
      expected: null,
      survival: null,
      retentionRate: null,
    })),
    medianLifetime: null,
    discountRate,
    discountedLifetime: null,
    discountedLtv: null,
  };
}

/**
 * Reads a survival table: a CSV with the header `period,alive` and one row per period,
 * 0, 1, 2, ... in order, alive a whole number that never grows. Errors carry the file and
 * line as their location, not in the message, so the CLI prints `file:line:` once.
 */
export function readSurvivalCsv(file: string): number[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StrataError('file_not_found', `cannot read ${file}: ${(error as Error).message}`, { file });
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '')
    .replace(/^\uFEFF/, '')
    .split(',')
    .map((h) => h.trim().toLowerCase());
  if (header.length !== 2 || header[0] !== 'period' || header[1] !== 'alive') {
    throw new StrataError('invalid_survival', `the header must be 'period,alive', got '${lines[0] ?? ''}'`, {
      file,
      line: 1,
    });
  }
  const alive: number[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const at = { file, line: i + 2 };
    const refuse = (message: string, column?: string) =>
      new StrataError('invalid_survival', message, column ? { ...at, column } : at);
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== 2) throw refuse(`expected 'period,alive' as two numbers, got '${line}'`);
    const [period, count] = cells.map((c) => (c === '' ? Number.NaN : Number(c)));
    if (!Number.isInteger(period))
      throw refuse(`column period: expected a whole number, got '${cells[0]}'`, 'period');
    if (period !== alive.length) {
      throw refuse(
        `expected period ${alive.length} (periods run 0, 1, 2, ... in order), got ${period}`,
        'period',
      );
    }
    // Customers are counted, not measured: 90.5 alive is a share or an average pasted by mistake.
    if (!Number.isInteger(count) || (count as number) < 0) {
      throw refuse(
        `column alive: expected a whole number of customers (0 or more), got '${cells[1]}'`,
        'alive',
      );
    }
    const before = alive[alive.length - 1];
    if (before !== undefined && (count as number) > before) {
      throw refuse(
        `column alive: ${count} is more than the ${before} of period ${period - 1}; a cohort only shrinks`,
        'alive',
      );
    }
    alive.push(count as number);
  });
  checkSurvival(alive, file);
  return alive;
}
