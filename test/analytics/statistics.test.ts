import { describe, expect, it } from 'vitest';
import { compareProportions, sampleSizePerVariant, welchTest } from '../../src/analytics/statistics.js';

describe('A/B statistics', () => {
  it('sizes a test with the normal-approximation formula, evaluated by hand', () => {
    // 10% -> 12%, alpha 0.05, power 0.8: (1.959964 sqrt(2 x 0.11 x 0.89) + 0.841621 sqrt(0.09 + 0.1056))^2
    // / 0.02^2 = 3840.9 per group.
    expect(sampleSizePerVariant({ baseline: 0.1, mde: 0.02 })).toBe(3841);
    // 50% -> 60%, power 0.9: (1.959964 sqrt(0.495) + 1.281552 sqrt(0.49))^2 / 0.01 = 518.04.
    expect(sampleSizePerVariant({ baseline: 0.5, mde: 0.1, power: 0.9 })).toBe(519);
    expect(() => sampleSizePerVariant({ baseline: 0.95, mde: 0.1 })).toThrow('strictly between 0 and 1');
  });

  it('compares proportions with the pooled z-test and a Wald interval, worked by hand', () => {
    // 200/1000 against 250/1000: pooled 0.225, se = sqrt(0.225 x 0.775 x 0.002) = 0.01867485,
    // z = 0.05 / se = 2.677398, p = 2 (1 - Phi(z)) = 0.0074196 (Python's math.erf);
    // Wald se = sqrt(0.2 x 0.8 / 1000 + 0.25 x 0.75 / 1000) = 0.0186414, 95% CI 0.05 -/+ 1.959964 x 0.0186414.
    const result = compareProportions({ n: 1000, successes: 200 }, { n: 1000, successes: 250 });
    expect(result.difference).toBeCloseTo(0.05, 12);
    expect(result.statistic).toBeCloseTo(2.677398, 5);
    expect(result.pValue).toBeCloseTo(0.0074196, 6);
    expect(result.confidenceInterval[0]).toBeCloseTo(0.05 - 1.959964 * 0.0186414, 5);
    expect(result.confidenceInterval[1]).toBeCloseTo(0.05 + 1.959964 * 0.0186414, 5);
  });

  it("runs Welch's t-test, checked against the formulas evaluated in plain Python", () => {
    // control 19, 22, 16, 29, 24 (mean 22), treatment 20, 11, 17, 12 (mean 15): t = -2.283148,
    // Welch-Satterthwaite df = 6.928837; p = 0.056751 and the 97.5% quantile 2.369558 from a
    // numerical integral of the t density (Simpson, math.gamma), so the 95% CI is -14.2649 .. 0.2649.
    const stats = (v: number[]) => {
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      return { n: v.length, mean, variance: v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1) };
    };
    const result = welchTest(stats([19, 22, 16, 29, 24]), stats([20, 11, 17, 12]));
    expect(result.difference).toBeCloseTo(-7, 10);
    expect(result.statistic).toBeCloseTo(-2.283148, 5);
    expect(result.degreesOfFreedom).toBeCloseTo(6.928837, 5);
    expect(result.pValue).toBeCloseTo(0.056751, 5);
    expect(result.confidenceInterval[0]).toBeCloseTo(-14.2649, 3);
    expect(result.confidenceInterval[1]).toBeCloseTo(0.2649, 3);
  });
});
