import { readFileSync } from 'node:fs';
import { StrataError } from '../../errors.js';
import {
  checkSurvival,
  discountedLifetime,
  fitSbg,
  type SbgFit,
  sbgRetentionRate,
  sbgSurvival,
} from './sbg.js';

export interface RetentionProjection extends SbgFit {
  /** Per period 0..horizon: observed alive (when known), expected alive and retention rate. */
  readonly byPeriod: readonly {
    readonly period: number;
    readonly observed: number | null;
    readonly expected: number;
    readonly survival: number;
    readonly retentionRate: number | null;
  }[];
  /** First period at which expected survival is at or below one half (null beyond the horizon). */
  readonly medianLifetime: number | null;
  readonly discountRate: number;
  /** Sum over t >= 0 of S(t) / (1 + discount)^t: periods a new customer pays for, discounted. */
  readonly discountedLifetime: number;
  /** discountedLifetime x value per period, when a value was given. */
  readonly discountedLtv: number | null;
}

/**
 * Fits the sBG model to a cohort's survival counts and projects it: expected customers and
 * retention rate per period up to `horizon`, median and mean lifetime, discounted lifetime
 * (and value, given the value of one period).
 */
export function projectRetention(
  alive: readonly number[],
  options: { horizon?: number; discountRate?: number; valuePerPeriod?: number } = {},
): RetentionProjection {
  const fit = fitSbg(alive);
  const horizon = Math.max(options.horizon ?? 2 * (alive.length - 1), alive.length - 1);
  const survival = sbgSurvival(fit.alpha, fit.beta, Math.max(horizon, 10_000));
  const size = alive[0] ?? 0;
  const discountRate = options.discountRate ?? 0.1;
  const discounted = discountedLifetime(fit.alpha, fit.beta, discountRate);
  const median = survival.findIndex((s) => s <= 0.5);
  return {
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

/**
 * Reads a survival table: a CSV with the header `period,alive` and one row per period,
 * 0, 1, 2, ... in order. Errors name the file and line.
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
    throw new StrataError(
      'invalid_survival',
      `${file}:1: the header must be 'period,alive', got '${lines[0] ?? ''}'`,
      {
        file,
        line: 1,
      },
    );
  }
  const alive: number[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const at = { file, line: i + 2 };
    const cells = line.split(',').map((c) => c.trim());
    const [period, count] = cells.map(Number);
    if (cells.length !== 2 || !Number.isInteger(period) || !Number.isFinite(count)) {
      throw new StrataError(
        'invalid_survival',
        `${file}:${at.line}: expected 'period,alive' as two numbers, got '${line}'`,
        at,
      );
    }
    if (period !== alive.length) {
      throw new StrataError(
        'invalid_survival',
        `${file}:${at.line}: expected period ${alive.length} (periods run 0, 1, 2, ... in order), got ${period}`,
        at,
      );
    }
    alive.push(count as number);
  });
  checkSurvival(alive, file);
  return alive;
}
