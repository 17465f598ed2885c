import jstat from 'jstat';
import { describe, expect, it } from 'vitest';
import {
  discountedLifetime,
  fitSbg,
  sbgAtEdge,
  sbgLogLikelihood,
  sbgSurvival,
} from '../../src/analytics/retention/sbg.js';

/*
 * Fader & Hardie (2007), "How to Project Customer Retention", Table 1: customers of two
 * cohorts of 1,000 alive after 0..12 years; the paper fits years 1-7 and reports
 * regular: alpha = 0.704, beta = 1.182; high end: alpha = 0.668, beta = 3.806.
 */
const REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173];
const HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394];

const { jStat } = jstat;
/** The sBG written from its closed forms with jStat's log-beta, independently of src/. */
const reference = {
  survival: (a: number, b: number, t: number) => Math.exp(jStat.betaln(a, b + t) - jStat.betaln(a, b)),
  churnAt: (a: number, b: number, t: number) => Math.exp(jStat.betaln(a + 1, b + t - 1) - jStat.betaln(a, b)),
  logLikelihood(a: number, b: number, alive: readonly number[]) {
    const n = alive.length - 1;
    let ll = (alive[n] ?? 0) * Math.log(this.survival(a, b, n));
    for (let t = 1; t <= n; t++)
      ll += ((alive[t - 1] ?? 0) - (alive[t] ?? 0)) * Math.log(this.churnAt(a, b, t));
    return ll;
  },
  /** Best (alpha, beta) on a grid refined around the best point, ten times. */
  gridFit(alive: readonly number[]) {
    let [a, b, step] = [1, 1, 0.5];
    for (let round = 0; round < 12; round++) {
      let best = { a, b, ll: Number.NEGATIVE_INFINITY };
      for (let i = -10; i <= 10; i++) {
        for (let j = -10; j <= 10; j++) {
          const [x, y] = [a + i * step, b + j * step];
          if (x <= 0 || y <= 0) continue;
          const ll = this.logLikelihood(x, y, alive);
          if (ll > best.ll) best = { a: x, b: y, ll };
        }
      }
      [a, b, step] = [best.a, best.b, step / 4];
    }
    return { a, b };
  },
};

describe('shifted-beta-geometric retention model', () => {
  it("recovers the paper's estimates from its data (years 1-7)", () => {
    const regular = fitSbg(REGULAR.slice(0, 8));
    expect(regular.alpha).toBeCloseTo(0.704, 3);
    expect(regular.beta).toBeCloseTo(1.182, 3);
    const highEnd = fitSbg(HIGH_END.slice(0, 8));
    expect(highEnd.alpha).toBeCloseTo(0.668, 3);
    expect(highEnd.beta).toBeCloseTo(3.806, 3);
    // alpha < 1: the mean lifetime is infinite, as the paper's cohorts imply.
    expect(regular.expectedLifetime).toBeNull();
  });

  it('agrees with an independent grid search and closed-form likelihood', () => {
    for (const alive of [REGULAR, HIGH_END, [500, 300, 200, 150, 120]]) {
      const fit = fitSbg(alive);
      const grid = reference.gridFit(alive);
      expect(fit.alpha).toBeCloseTo(grid.a, 3);
      expect(fit.beta).toBeCloseTo(grid.b, 3);
      expect(fit.logLikelihood).toBeCloseTo(reference.logLikelihood(fit.alpha, fit.beta, alive), 6);
      expect(sbgLogLikelihood(0.9, 2.5, alive)).toBeCloseTo(reference.logLikelihood(0.9, 2.5, alive), 6);
    }
  });

  it('projects survival as the closed form does, close to what the paper observed in years 8-12', () => {
    const fit = fitSbg(REGULAR.slice(0, 8));
    const projected = sbgSurvival(fit.alpha, fit.beta, 12);
    for (let t = 0; t <= 12; t++) {
      expect(projected[t]).toBeCloseTo(reference.survival(fit.alpha, fit.beta, t), 10);
    }
    // The paper's point: the projection stays within about 2 percentage points of the truth.
    for (let t = 8; t <= 12; t++)
      expect(Math.abs((projected[t] ?? 0) * 1000 - (REGULAR[t] ?? 0))).toBeLessThan(20);
  });

  it('discounts lifetime value by the closed-form sum, and gives the mean lifetime when alpha > 1', () => {
    const [a, b, d] = [2, 3, 0.1];
    let direct = 0;
    for (let t = 0; t < 5000; t++) direct += reference.survival(a, b, t) / (1 + d) ** t;
    expect(discountedLifetime(a, b, d)).toBeCloseTo(direct, 8);
    expect(fitSbg([1000, 600, 400, 300]).expectedLifetime ?? 0).toBeGreaterThan(0);
    // E[T] = (a + b - 1) / (a - 1) = 4: the survival sum over a long horizon gets there.
    const sum = sbgSurvival(a, b, 200_000).reduce((s, x) => s + x, 0);
    expect(sum).toBeCloseTo(4, 2);
  });

  it('knows a fit at the edge of its range from an interior one', () => {
    // The paper's cohorts fit inside; a steady 10% churn (1000, 900, 810, 729) has its
    // maximum only as alpha and beta grow together, so the fit stops at the bound e^12.
    const inside = fitSbg(HIGH_END.slice(0, 8));
    expect(sbgAtEdge(inside.alpha, inside.beta)).toBe(false);
    const steady = fitSbg([1000, 900, 810, 729]);
    expect(sbgAtEdge(steady.alpha, steady.beta)).toBe(true);
    expect(steady.beta / (steady.alpha + steady.beta)).toBeCloseTo(0.9, 4);
    expect(sbgAtEdge(Math.exp(-12), 2)).toBe(true);
  });

  it('rejects a table that grows or starts empty, naming the period', () => {
    expect(() => fitSbg([100, 80, 90])).toThrow('period 2: 90 alive is more than the 80 of period 1');
    expect(() => fitSbg([0, 0, 0])).toThrow('period 0 must have customers');
  });
});
