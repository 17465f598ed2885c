import { Rng } from '../random.js';
import { sampleRows } from './boosting/binning.js';
import { atTopK, averagePrecision, brierScore, calibration, rocAuc, rocCurve } from './metrics.js';
import { type AucInterval, type ModelVerdict, modelVerdict, rocAucInterval } from './verdict.js';

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
  /** 95% interval of the ROC AUC (missing in models saved before it was added). */
  readonly rocAucInterval?: AucInterval | null;
  /** Whether the model may be suggested for use, and why not (missing in older models: see verdictOf). */
  readonly verdict?: ModelVerdict['verdict'];
  readonly warnings?: readonly string[];
  /** The ROC curve, at most 101 points (missing in models saved before it was added). */
  readonly rocCurve?: readonly { readonly fpr: number; readonly tpr: number }[];
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
  /**
   * Features by what the holdout loses without them: the drop in ROC AUC when the feature's
   * column is shuffled (permutation importance, seeded), beside the model's own measure
   * (share of split gain for trees, of absolute standardised weight for the regression).
   */
  readonly topFeatures: readonly {
    readonly feature: string;
    readonly aucDrop: number | null;
    readonly importance: number;
  }[];
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
  /** Drop in holdout ROC AUC per feature (see permutationImportance), when both classes are there. */
  aucDrops: readonly number[] | null;
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
  const auc = bothClasses ? rocAuc(labels, scores) : null;
  const brier = brierScore(labels, scores);
  const baselineBrier = brierScore(labels, constant);
  const interval = rocAucInterval(auc, positives, n - positives);
  return {
    target: input.target,
    algorithm: input.algorithm,
    split: input.split,
    seed: input.seed,
    train: { rows: input.trainRows, positives: input.trainPositives },
    holdout: { rows: n, positives, baseRate },
    rocAuc: auc,
    rocAucInterval: interval,
    ...modelVerdict({ rocAuc: auc, rocAucInterval: interval, brier, baselineBrier }),
    rocCurve: rocCurve(labels, scores),
    prAuc: bothClasses ? averagePrecision(labels, scores) : null,
    accuracy: n > 0 ? right / n : 0,
    majorityAccuracy: Math.max(baseRate, 1 - baseRate),
    balancedAccuracy: bothClasses ? (sensitivity + specificity) / 2 : null,
    brier,
    baselineBrier,
    topK: [0.05, 0.1, 0.2].map((share) => {
      const top = atTopK(labels, scores, Math.max(1, Math.round(share * n)));
      return { share, ...top, lift: baseRate > 0 ? top.precision / baseRate : Number.NaN };
    }),
    calibration: calibration(labels, scores, 10),
    topFeatures: input.features
      .map((feature, j) => ({
        feature,
        aucDrop: input.aucDrops ? (input.aucDrops[j] ?? 0) : null,
        importance: input.importance[j] ?? 0,
      }))
      .sort(
        (a, b) => (b.aucDrop ?? b.importance) - (a.aucDrop ?? a.importance) || b.importance - a.importance,
      )
      .slice(0, 15),
  };
}

/** A report's verdict: the saved one, or worked out from the figures of a model saved before verdicts were kept. */
export function verdictOf(report: HoldoutReport): ModelVerdict {
  if (report.verdict && report.warnings) return { verdict: report.verdict, warnings: report.warnings };
  const { rows, positives } = report.holdout;
  return modelVerdict({
    ...report,
    rocAucInterval: report.rocAucInterval ?? rocAucInterval(report.rocAuc, positives, rows - positives),
  });
}

/** Holdout rows the permutation importance is measured on, at most (a seeded sample beyond). */
const PERMUTATION_ROWS = 5_000;

/**
 * Permutation importance: for each feature, the holdout ROC AUC minus the AUC with that
 * feature's column shuffled (seeded), averaged over `repeats` shuffles; what the model
 * loses without the feature on rows it never saw. Gain shares favour features with many
 * distinct values; this does not. Each shuffle rescores every row, so a large holdout is
 * sampled down to PERMUTATION_ROWS rows first, and a model that can rescore only what a changed
 * column touches (`columnRescorer`, the boosted trees) does so.
 */
export function permutationImportance(
  model: {
    predict: (x: Float64Array) => Float64Array;
    columnRescorer?: (x: Float64Array) => (changed: Float64Array, j: number) => Float64Array;
  },
  allRows: Float64Array,
  allLabels: Float64Array,
  p: number,
  seed: number,
  repeats = 3,
): number[] {
  const rng = new Rng(seed, 0x9e3779b9);
  // A large holdout is sampled down (the same seeded sampling as the trees' binning).
  const all = Uint32Array.from({ length: allLabels.length }, (_, i) => i);
  const kept = sampleRows(all, PERMUTATION_ROWS, rng);
  const n = kept.length;
  const x = new Float64Array(n * p);
  const labels = new Float64Array(n);
  kept.forEach((row, i) => {
    x.set(allRows.subarray(row * p, row * p + p), i * p);
    labels[i] = allLabels[row] ?? 0;
  });
  const base = rocAuc(labels, model.predict(x));
  const rescore = model.columnRescorer?.(x) ?? ((changed: Float64Array) => model.predict(changed));
  const shuffled = new Float64Array(x);
  return Array.from({ length: p }, (_, j) => {
    let drop = 0;
    for (let r = 0; r < repeats; r++) {
      const column = rng.shuffle(Float64Array.from({ length: n }, (_, i) => x[i * p + j] ?? 0));
      for (let i = 0; i < n; i++) shuffled[i * p + j] = column[i] ?? 0;
      drop += base - rocAuc(labels, rescore(shuffled, j));
    }
    for (let i = 0; i < n; i++) shuffled[i * p + j] = x[i * p + j] ?? 0;
    return drop / repeats;
  });
}
