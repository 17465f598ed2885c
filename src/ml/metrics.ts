/**
 * Quality measures of a probabilistic classifier, over typed arrays: labels are 0 / 1,
 * scores are predicted probabilities (or any scores, for the ranking measures).
 */

/** Indices of `scores` from highest to lowest (ties keep their order). */
function descending(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b,
  );
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, ties counting one half (the Mann-Whitney U statistic over n+ x n-).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[a] ?? 0) - (scores[b] ?? 0),
  );
  // Average ranks (1-based) over runs of equal scores.
  const ranks = new Float64Array(scores.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] ?? 0] === scores[order[start] ?? 0]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k] ?? 0] = rank;
    start = end + 1;
  }
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      positives++;
      rankSum += ranks[i] ?? 0;
    }
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Area under the precision-recall curve as average precision: the mean of the precision at
 * the rank of each positive, accounts ranked by score (scikit-learn's average_precision_score
 * for distinct scores; ties are taken together, at the lowest rank of the tie).
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const order = descending(scores);
  const positives = Array.from(labels).filter((y) => y === 1).length;
  if (positives === 0) return Number.NaN;
  let truePositives = 0;
  let total = 0;
  for (let k = 0; k < order.length; ) {
    // A run of equal scores is one threshold.
    let end = k;
    while (end + 1 < order.length && scores[order[end + 1] ?? 0] === scores[order[k] ?? 0]) end++;
    let hits = 0;
    for (let j = k; j <= end; j++) hits += labels[order[j] ?? 0] === 1 ? 1 : 0;
    truePositives += hits;
    total += (hits / positives) * (truePositives / (end + 1));
    k = end + 1;
  }
  return total;
}

/** Mean squared difference between predicted probability and outcome. */
export function brierScore(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += ((probabilities[i] ?? 0) - (labels[i] ?? 0)) ** 2;
  return sum / labels.length;
}

/** Precision and recall among the `k` highest scores. */
export function atTopK(labels: ArrayLike<number>, scores: ArrayLike<number>, k: number) {
  const order = descending(scores).slice(0, k);
  const hits = order.filter((i) => labels[i] === 1).length;
  const positives = Array.from(labels).filter((y) => y === 1).length;
  return {
    k: order.length,
    precision: order.length ? hits / order.length : Number.NaN,
    recall: positives ? hits / positives : Number.NaN,
  };
}

/** Reliability table: predictions in `bins` equal-width bins, with the mean prediction and observed rate of each. */
export function calibration(labels: ArrayLike<number>, probabilities: ArrayLike<number>, bins = 10) {
  const rows = Array.from({ length: bins }, (_, b) => ({
    from: b / bins,
    to: (b + 1) / bins,
    n: 0,
    predicted: 0,
    observed: 0,
  }));
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i] ?? 0;
    const row = rows[Math.min(bins - 1, Math.floor(p * bins))];
    if (!row) continue;
    row.n++;
    row.predicted += p;
    row.observed += labels[i] ?? 0;
  }
  return rows
    .filter((r) => r.n > 0)
    .map((r) => ({ ...r, predicted: r.predicted / r.n, observed: r.observed / r.n }));
}

/**
 * The ROC curve: (false positive rate, true positive rate) at every distinct score taken as
 * the threshold, highest first, from (0, 0) to (1, 1); at most `maxPoints` of them, evenly
 * spaced along the curve (its ends kept). Its trapezoid area is the ROC AUC.
 */
export function rocCurve(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  maxPoints = 101,
): { fpr: number; tpr: number }[] {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] === 1 ? 1 : 0;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return [];
  const points = [{ fpr: 0, tpr: 0 }];
  let [tp, fp] = [0, 0];
  for (let k = 0; k < n; k++) {
    const i = order[k] ?? 0;
    if (labels[i] === 1) tp++;
    else fp++;
    // A point after the last row of each run of equal scores.
    const next = order[k + 1];
    if (next === undefined || (scores[next] ?? 0) !== (scores[i] ?? 0))
      points.push({ fpr: fp / negatives, tpr: tp / positives });
  }
  if (points.length <= maxPoints) return points;
  const step = (points.length - 1) / (maxPoints - 1);
  return Array.from(
    { length: maxPoints },
    (_, j) => points[Math.round(j * step)] as { fpr: number; tpr: number },
  );
}
