import { describe, expect, it } from 'vitest';
import { modelVerdict, rocAucInterval } from '../../src/ml/verdict.js';

/*
 * The verdict on a saved model's holdout figures (issue #19, item 5). Interval bounds worked
 * by hand with Hanley & McNeil's formula and z = 1.959964:
 *   AUC 0.75, 30 positives, 50 negatives: SE 0.058949, interval 0.634462-0.865538;
 *   AUC 0.55, 20 positives, 20 negatives: SE 0.091863, interval 0.369952-0.730048.
 */
describe('rocAucInterval (Hanley-McNeil)', () => {
  it('matches the hand-worked bounds', () => {
    const a = rocAucInterval(0.75, 30, 50);
    expect(a?.low).toBeCloseTo(0.634462, 5);
    expect(a?.high).toBeCloseTo(0.865538, 5);
    const b = rocAucInterval(0.55, 20, 20);
    expect(b?.low).toBeCloseTo(0.369952, 5);
    expect(b?.high).toBeCloseTo(0.730048, 5);
  });

  it('has no interval without both classes', () => {
    expect(rocAucInterval(null, 0, 10)).toBeNull();
    expect(rocAucInterval(0.6, 5, 0)).toBeNull();
  });
});

describe('modelVerdict', () => {
  const usable = {
    rocAuc: 0.75,
    rocAucInterval: rocAucInterval(0.75, 30, 50),
    brier: 0.15,
    baselineBrier: 0.2,
  };

  it('passes a model whose interval lies above 0.5 and whose Brier beats the base rate', () => {
    expect(modelVerdict(usable)).toEqual({ verdict: 'usable', warnings: [] });
  });

  it('warns when the interval includes 0.5', () => {
    const v = modelVerdict({ ...usable, rocAuc: 0.55, rocAucInterval: rocAucInterval(0.55, 20, 20) });
    expect(v.verdict).toBe('not_useful');
    expect(v.warnings).toEqual([
      expect.stringMatching(/0\.550 \(95% interval 0\.370-0\.730\) includes 0\.5/),
    ]);
  });

  it('warns when the Brier score equals the base rate alone', () => {
    const v = modelVerdict({ ...usable, brier: 0.2 });
    expect(v.verdict).toBe('not_useful');
    expect(v.warnings).toEqual([
      expect.stringMatching(/Brier score 0\.2000 is no better than the base rate alone/),
    ]);
  });

  it('warns when the holdout has one outcome only', () => {
    expect(modelVerdict({ ...usable, rocAuc: null, rocAucInterval: null }).verdict).toBe('not_useful');
  });
});
