import jstat from 'jstat';

const { jStat } = jstat;

/** A 95% interval for the holdout ROC AUC. */
export interface AucInterval {
  readonly low: number;
  readonly high: number;
  readonly level: 0.95;
  readonly method: 'hanley-mcneil';
}

/**
 * Whether a model may be suggested for use: 'usable', or 'not_useful' with the reasons in
 * `warnings` (its held-out ranking cannot be told from chance, or its probabilities are no
 * better than always saying the base rate).
 */
export interface ModelVerdict {
  readonly verdict: 'usable' | 'not_useful';
  readonly warnings: readonly string[];
}

/**
 * The 95% interval of a ROC AUC from the Hanley–McNeil (1982) standard error, which needs
 * only the AUC and the class counts (no resampling, so the same on every run):
 *   Q1 = A / (2 - A), Q2 = 2A² / (1 + A),
 *   SE² = (A(1 - A) + (nP - 1)(Q1 - A²) + (nN - 1)(Q2 - A²)) / (nP · nN),
 * then A ± z(0.975) · SE, clipped to [0, 1]. Null without both classes.
 */
export function rocAucInterval(auc: number | null, positives: number, negatives: number): AucInterval | null {
  if (auc === null || !Number.isFinite(auc) || positives < 1 || negatives < 1) return null;
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const variance =
    (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) /
    (positives * negatives);
  const margin = jStat.normal.inv(0.975, 0, 1) * Math.sqrt(Math.max(0, variance));
  return {
    low: Math.max(0, auc - margin),
    high: Math.min(1, auc + margin),
    level: 0.95,
    method: 'hanley-mcneil',
  };
}

/**
 * The verdict on a holdout report's figures. A model is not suggested when its AUC interval
 * reaches down to 0.5 (or there is no AUC: the holdout has one class only), or when its
 * Brier score is no lower than the base rate's alone.
 */
export function modelVerdict(figures: {
  readonly rocAuc: number | null;
  readonly rocAucInterval: AucInterval | null;
  readonly brier: number;
  readonly baselineBrier: number;
}): ModelVerdict {
  const warnings: string[] = [];
  const interval = figures.rocAucInterval;
  if (figures.rocAuc === null || interval === null) {
    warnings.push(
      'the holdout has accounts of one outcome only, so the ranking cannot be measured: the model is not shown to beat chance',
    );
  } else if (interval.low <= 0.5) {
    warnings.push(
      `held-out ROC AUC ${figures.rocAuc.toFixed(3)} (95% interval ${interval.low.toFixed(3)}-${interval.high.toFixed(3)}) includes 0.5: the model ranks accounts no better than chance`,
    );
  }
  if (!(figures.brier < figures.baselineBrier)) {
    warnings.push(
      `held-out Brier score ${figures.brier.toFixed(4)} is no better than the base rate alone (${figures.baselineBrier.toFixed(4)}): its probabilities add nothing`,
    );
  }
  return { verdict: warnings.length === 0 ? 'usable' : 'not_useful', warnings };
}
