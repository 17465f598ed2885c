import { atTopK, averagePrecision, brierScore, calibration, rocAuc } from './metrics.js';

/**
 * How a model did on rows it never saw: ranking (ROC and PR AUC), accuracy against the
 * base rate, precision and recall among the highest-risk accounts, and calibration.
 */
export interface HoldoutReport {
  readonly target: string;
  readonly algorithm: string;
  /** The split in words: which rows trained, which tested, and the seed. */
  readonly split: string;
  readonly seed: number;
  readonly train: { readonly rows: number; readonly positives: number };
  readonly holdout: { readonly rows: number; readonly positives: number; readonly baseRate: number };
  readonly rocAuc: number | null;
  /** Average precision (area under the precision-recall curve); the base rate is chance. */
  readonly prAuc: number | null;
  /** Share right when predicting "yes" above probability 0.5. */
  readonly accuracy: number;
  /** Share right when always predicting the more common outcome. */
  readonly majorityAccuracy: number;
  /** Mean of sensitivity and specificity when the top `baseRate` share is flagged. */
  readonly balancedAccuracy: number | null;
  readonly brier: number;
  /** Brier score of always predicting the training base rate. */
  readonly baselineBrier: number;
  readonly topK: readonly {
    readonly share: number;
    readonly k: number;
    readonly precision: number;
    readonly recall: number;
    /** Precision over the base rate. */
    readonly lift: number;
  }[];
  readonly calibration: readonly {
    readonly from: number;
    readonly to: number;
    readonly n: number;
    readonly predicted: number;
    readonly observed: number;
  }[];
  /** Features by importance (share of split gain, or of absolute standardised weight). */
  readonly topFeatures: readonly { readonly feature: string; readonly importance: number }[];
}

export function holdoutReport(input: {
  target: string;
  algorithm: string;
  split: string;
  seed: number;
  features: readonly string[];
  importance: readonly number[];
  trainRows: number;
  trainPositives: number;
  labels: Float64Array;
  scores: Float64Array;
}): HoldoutReport {
  const { labels, scores } = input;
  const n = labels.length;
  const positives = labels.reduce((sum, v) => sum + v, 0);
  const baseRate = n > 0 ? positives / n : 0;
  const bothClasses = positives > 0 && positives < n;
  let right = 0;
  for (let i = 0; i < n; i++) if (((scores[i] ?? 0) > 0.5 ? 1 : 0) === labels[i]) right++;
  // Flag as many accounts as the training base rate predicts, the highest scores first.
  const trainRate = input.trainPositives / Math.max(1, input.trainRows);
  const flagged = atTopK(labels, scores, Math.max(1, Math.round(trainRate * n)));
  const truePositives = flagged.k * (Number.isNaN(flagged.precision) ? 0 : flagged.precision);
  const sensitivity = positives > 0 ? truePositives / positives : Number.NaN;
  const specificity =
    n - positives > 0 ? (n - positives - (flagged.k - truePositives)) / (n - positives) : Number.NaN;
  const constant = new Float64Array(n).fill(trainRate);
  return {
    target: input.target,
    algorithm: input.algorithm,
    split: input.split,
    seed: input.seed,
    train: { rows: input.trainRows, positives: input.trainPositives },
    holdout: { rows: n, positives, baseRate },
    rocAuc: bothClasses ? rocAuc(labels, scores) : null,
    prAuc: bothClasses ? averagePrecision(labels, scores) : null,
    accuracy: n > 0 ? right / n : 0,
    majorityAccuracy: Math.max(baseRate, 1 - baseRate),
    balancedAccuracy: bothClasses ? (sensitivity + specificity) / 2 : null,
    brier: brierScore(labels, scores),
    baselineBrier: brierScore(labels, constant),
    topK: [0.05, 0.1, 0.2].map((share) => {
      const top = atTopK(labels, scores, Math.max(1, Math.round(share * n)));
      return { share, ...top, lift: baseRate > 0 ? top.precision / baseRate : Number.NaN };
    }),
    calibration: calibration(labels, scores, 10),
    topFeatures: input.features
      .map((feature, j) => ({ feature, importance: input.importance[j] ?? 0 }))
      .sort((a, b) => b.importance - a.importance)
      .slice(0, 15),
  };
}
