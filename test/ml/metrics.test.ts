import { describe, expect, it } from 'vitest';
import { atTopK, averagePrecision, brierScore, calibration, rocAuc, rocCurve } from '../../src/ml/metrics.js';
import { Rng } from '../../src/random.js';

describe('classifier metrics', () => {
  it('computes ROC AUC as the share of positive-negative pairs ranked right, ties half', () => {
    // scikit-learn's documented example: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75.
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    // By hand: positives 0.5 and 0.5, negatives 0.5 and 0.2: pairs (win, tie) -> (1 + 0.5) x 2 / 4 = 0.75.
    expect(rocAuc([1, 1, 0, 0], [0.5, 0.5, 0.5, 0.2])).toBe(0.75);
    expect(rocAuc([1, 1], [0.3, 0.4])).toBeNaN();
  });

  it('computes average precision', () => {
    // scikit-learn's documented example: average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333.
    expect(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.833333, 6);
  });

  it('computes the Brier score, precision and recall at k, and a reliability table', () => {
    expect(brierScore([1, 0, 1], [0.9, 0.2, 0.4])).toBeCloseTo((0.01 + 0.04 + 0.36) / 3, 12);
    expect(atTopK([1, 0, 1, 0, 1], [0.9, 0.8, 0.7, 0.1, 0.05], 2)).toEqual({
      k: 2,
      precision: 0.5,
      recall: 1 / 3,
    });
    expect(calibration([1, 0, 1, 1], [0.15, 0.12, 0.85, 0.95], 10)).toEqual([
      { from: 0.1, to: 0.2, n: 2, predicted: 0.135, observed: 0.5 },
      { from: 0.8, to: 0.9, n: 1, predicted: 0.85, observed: 1 },
      { from: 0.9, to: 1, n: 1, predicted: 0.95, observed: 1 },
    ]);
  });

  it('draws the ROC curve whose trapezoid area is the AUC, ties included', () => {
    // Hand-worked: scores 0.9 (1), 0.8 (0), 0.8 (1), 0.3 (0): points (0,0), (0,1/2), (1/2,1), (1,1).
    expect(rocCurve([1, 0, 1, 0], [0.9, 0.8, 0.8, 0.3])).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 0, tpr: 0.5 },
      { fpr: 0.5, tpr: 1 },
      { fpr: 1, tpr: 1 },
    ]);
    const n = 500;
    const rng = new Rng(7);
    const random = () => rng.next();
    const labels = Array.from({ length: n }, () => (random() < 0.3 ? 1 : 0));
    // Scores on a coarse grid, so that many tie.
    const scores = labels.map((y) => Math.round((random() + 0.3 * y) * 20) / 20);
    const curve = rocCurve(labels, scores, 10_000);
    let area = 0;
    for (let i = 1; i < curve.length; i++) {
      const [a, b] = [curve[i - 1], curve[i]] as [{ fpr: number; tpr: number }, { fpr: number; tpr: number }];
      area += ((b.fpr - a.fpr) * (a.tpr + b.tpr)) / 2;
    }
    expect(area).toBeCloseTo(rocAuc(labels, scores), 12);
    // Thinned to 11 points, its ends kept.
    const thin = rocCurve(labels, scores, 11);
    expect(thin).toHaveLength(11);
    expect([thin[0], thin[10]]).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 1, tpr: 1 },
    ]);
  });
});
