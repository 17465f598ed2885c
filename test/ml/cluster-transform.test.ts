import { describe, expect, it } from 'vitest';
import { applyTransform, nearestRank, skewness, transformColumns } from '../../src/ml/metric-transform.js';

describe('the transform of a metric before clustering', () => {
  it('measures skewness and nearest-rank percentiles as worked by hand', () => {
    // 0, 0, 0, 10: mean 2.5, m2 = (3 x 6.25 + 56.25) / 4 = 18.75, m3 = (3 x -15.625 + 421.875) / 4
    // = 93.75, skewness = 93.75 / 18.75^1.5 = 2 / sqrt(3).
    expect(skewness([0, 0, 0, 10])).toBeCloseTo(2 / Math.sqrt(3), 12);
    expect(skewness([4, 4, 4])).toBe(0);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    // The 99th percentile of 1..100 is the 99th value (ceil(0.99 x 100) = 99); of ten values, the 10th.
    expect(nearestRank(hundred, 99)).toBe(99);
    expect(nearestRank(hundred, 1)).toBe(1);
    expect(nearestRank(hundred.slice(0, 10), 99)).toBe(10);
  });

  it('clamps to the 1st and 99th percentiles with cap, and leaves a missing value missing', () => {
    // 1..200 and one missing: P1 = 2nd value = 2, P99 = 198th = 198; 1, 199 and 200 are clamped.
    const x = Float64Array.from([...Array.from({ length: 200 }, (_, i) => i + 1), Number.NaN]);
    const { x: out, transforms, notes } = transformColumns(x, 1, ['seats'], 'cap');
    expect(transforms).toEqual([{ lower: 2, upper: 198, log: false }]);
    expect(notes[0]?.capped).toBe(3);
    expect(notes[0]?.description).toBe('clamped to 2..198 (3 accounts outside); skewness 0.00 -> 0.00');
    expect([out[0], out[1], out[199], out[200]]).toEqual([2, 2, 198, Number.NaN]);
  });

  it('does not cap a metric into a constant, logs it when skewed, and never logs negative values', () => {
    // 99 zeros and one 50: P1 = P99 = 0, so capping would erase the metric; skewness
    // (99 x (-0.5)^3 + 49.5^3) / 100 / ((99 x 0.25 + 49.5^2) / 100)^1.5 = 9.849 > 1: logged.
    const rare = Float64Array.from([...new Array<number>(99).fill(0), 50]);
    const auto = transformColumns(rare, 1, ['tickets'], 'auto');
    expect(auto.transforms).toEqual([{ lower: null, upper: null, log: true }]);
    expect(auto.notes[0]?.skewness).toBeCloseTo(9.8494, 4);
    expect(auto.x[99]).toBeCloseTo(Math.log(51), 14);
    const signed = transformColumns(Float64Array.from([-5, 0, 5, 100]), 1, ['delta'], 'log');
    expect(signed.transforms).toEqual([{ lower: null, upper: null, log: false }]);
    expect(signed.notes[0]?.description).toMatch(
      /^unchanged \(has negative values, so not logged\); skewness/,
    );
    expect(applyTransform({ lower: null, upper: 10, log: true }, 20)).toBeCloseTo(Math.log(11), 14);
    const none = transformColumns(rare, 1, ['tickets'], 'none');
    expect(none.transforms).toEqual([{ lower: null, upper: null, log: false }]);
    expect(Array.from(none.x)).toEqual(Array.from(rare));
  });
});
