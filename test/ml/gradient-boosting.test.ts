import { describe, expect, it } from 'vitest';
import { fitBoostedTrees } from '../../src/ml/boosting/fit.js';
import {
  BASELINE,
  type BoostedTree,
  type BoostedTreesModel,
  columnRescorerBoostedTrees,
  explainBoostedTrees,
  predictBoostedTrees,
  rawScoreBoostedTrees,
} from '../../src/ml/boosting/model.js';
import { fitLogistic, predictLogistic } from '../../src/ml/logistic-regression.js';
import { rocAuc } from '../../src/ml/metrics.js';
import { Rng } from '../../src/random.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** `n` rows of `p` features from `make(rng, i)`, labels from `label(row, rng)`. */
function dataset(
  n: number,
  p: number,
  seed: number,
  make: (rng: Rng, j: number) => number,
  label: (row: number[], rng: Rng) => number,
) {
  const rng = new Rng(seed);
  const x = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: p }, (_, j) => make(rng, j));
    x.set(row, i * p);
    y[i] = label(row, rng);
  }
  return { x, y, names: Array.from({ length: p }, (_, j) => `x${j}`) };
}

/** The nodes a row visits in one tree, root first, routed by raw values as the model says. */
function path(tree: BoostedTree, row: ArrayLike<number>): number[] {
  const nodes = [0];
  for (let node = 0; (tree.feature[node] ?? -1) >= 0; ) {
    const v = row[tree.feature[node] ?? 0] ?? 0;
    const left = Number.isNaN(v) ? tree.missingLeft[node] : v <= (tree.threshold[node] ?? 0);
    node = (left ? tree.left[node] : tree.right[node]) ?? -1;
    nodes.push(node);
  }
  return nodes;
}

describe('boosted trees', () => {
  it('fits the hand-worked stump: Newton leaf values -G / (H + l2)', () => {
    // x = 1..8, y = 0 0 0 1 1 1 1 1. Mean 5/8, so the base score is log(5/3) and every row
    // starts at p = 5/8: g = p - y, h = p (1 - p) = 15/64. The split x <= 3.5 separates the
    // labels. Left (3 zeros): G = 3 * 5/8 = 15/8, H = 45/64; with l2 = 1 its value is
    // -(15/8) / (45/64 + 1) = -120/109. Right (5 ones): G = 5 * (5/8 - 1) = -15/8, H = 75/64,
    // value (15/8) / (139/64) = 120/139. The root's G is 0, so its value is 0.
    const x = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const y = [0, 0, 0, 1, 1, 1, 1, 1];
    const model = fitBoostedTrees(x, y, ['x'], {
      learningRate: 1,
      maxIterations: 1,
      minSamplesLeaf: 1,
      maxLeafNodes: 2,
      l2: 1,
      earlyStopping: false,
    });
    expect(model.baseScore).toBeCloseTo(Math.log(5 / 3), 14);
    const [tree] = model.trees;
    expect(tree?.feature).toEqual([0, -1, -1]);
    expect(tree?.threshold[0]).toBe(3.5);
    expect(tree?.left[0]).toBe(1);
    expect(tree?.right[0]).toBe(2);
    expect(tree?.value[0]).toBeCloseTo(0, 14);
    expect(tree?.value[1]).toBeCloseTo(-120 / 109, 14);
    expect(tree?.value[2]).toBeCloseTo(120 / 139, 14);
    expect(model.importance).toEqual([1]);
    const probabilities = predictBoostedTrees(model, Float64Array.from([2, 3.5, 3.6, 100]));
    expect(probabilities[0]).toBeCloseTo(sigmoid(Math.log(5 / 3) - 120 / 109), 14);
    expect(probabilities[1]).toBeCloseTo(sigmoid(Math.log(5 / 3) - 120 / 109), 14);
    expect(probabilities[2]).toBeCloseTo(sigmoid(Math.log(5 / 3) + 120 / 139), 14);
    expect(probabilities[3]).toBeCloseTo(sigmoid(Math.log(5 / 3) + 120 / 139), 14);
  });

  it('splits the root where a brute-force search over every threshold finds the largest gain', () => {
    // Few distinct values per feature, so every threshold between two of them is a bin edge.
    const { x, y, names } = dataset(
      120,
      3,
      11,
      (rng, j) => rng.int(0, [9, 30, 4][j] ?? 1),
      (row, rng) => (rng.next() < sigmoid(0.3 * (row[1] ?? 0) - 4 + (row[2] === 2 ? 1.5 : 0)) ? 1 : 0),
    );
    const [l2, learningRate, minSamplesLeaf] = [0.5, 0.3, 7];
    const model = fitBoostedTrees(x, y, names, {
      learningRate,
      l2,
      minSamplesLeaf,
      maxIterations: 1,
      earlyStopping: false,
    });
    const n = y.length;
    const mean = y.reduce((a, b) => a + b, 0) / n;
    const g = Array.from(y, (label) => mean - label);
    const hRow = mean * (1 - mean);
    const score = (gs: number, count: number) => (gs * gs) / (count * hRow + l2);
    const total = g.reduce((a, b) => a + b, 0);
    let best = { gain: 0, feature: -1, threshold: 0, gLeft: 0, nLeft: 0 };
    for (let j = 0; j < 3; j++) {
      const values = [...new Set(Array.from({ length: n }, (_, i) => x[i * 3 + j] ?? 0))].sort(
        (a, b) => a - b,
      );
      for (let k = 0; k + 1 < values.length; k++) {
        const threshold = ((values[k] ?? 0) + (values[k + 1] ?? 0)) / 2;
        let [gLeft, nLeft] = [0, 0];
        for (let i = 0; i < n; i++) {
          if ((x[i * 3 + j] ?? 0) <= threshold) {
            gLeft += g[i] ?? 0;
            nLeft++;
          }
        }
        if (nLeft < minSamplesLeaf || n - nLeft < minSamplesLeaf) continue;
        const gain = score(gLeft, nLeft) + score(total - gLeft, n - nLeft) - score(total, n);
        if (gain > best.gain + 1e-12) best = { gain, feature: j, threshold, gLeft, nLeft };
      }
    }
    const [tree] = model.trees;
    expect(tree?.feature[0]).toBe(best.feature);
    expect(tree?.threshold[0]).toBe(best.threshold);
    const left = tree?.left[0] ?? -1;
    expect(tree?.value[left]).toBeCloseTo((-learningRate * best.gLeft) / (best.nLeft * hRow + l2), 12);
  });

  it('learns XOR, where logistic regression cannot do better than chance', () => {
    // 2% of labels flipped: knowing the quadrant gives AUC 0.98 * 0.98 + 0.98 * 0.02 = 0.98.
    const { x, y, names } = dataset(
      4000,
      3,
      5,
      (rng) => rng.uniform(-1, 1),
      (row, rng) => ((row[0] ?? 0) * (row[1] ?? 0) > 0 !== rng.bool(0.02) ? 1 : 0),
    );
    const train = { x: x.subarray(0, 3000 * 3), y: y.subarray(0, 3000) };
    const test = { x: x.subarray(3000 * 3), y: y.subarray(3000) };
    const model = fitBoostedTrees(train.x, train.y, names, { earlyStopping: false });
    expect(model.iterations).toBe(100);
    expect(rocAuc(test.y, predictBoostedTrees(model, test.x))).toBeGreaterThan(0.95);
    const linear = fitLogistic(train.x, train.y, names, { l2: 1 });
    expect(Math.abs(rocAuc(test.y, predictLogistic(linear, test.x)) - 0.5)).toBeLessThan(0.06);
    // The noise feature x2 gets little of the gain.
    expect(model.importance[2]).toBeLessThan(0.1);
    expect(model.importance.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('sends missing values to the side the data says', () => {
    // x uniform in 0-1, label 1 above 0.5; missing rows behave like the low ones (label 0).
    const low = dataset(
      600,
      1,
      3,
      (rng) => (rng.bool(0.2) ? Number.NaN : rng.next()),
      (row) => ((row[0] ?? 0) > 0.5 ? 1 : 0),
    );
    const stump = { learningRate: 1, maxIterations: 1, maxLeafNodes: 2, earlyStopping: false } as const;
    const lowModel = fitBoostedTrees(low.x, low.y, low.names, stump);
    expect(lowModel.trees[0]?.missingLeft[0]).toBe(true);
    expect(lowModel.trees[0]?.threshold[0]).toBeGreaterThan(0.49);
    expect(lowModel.trees[0]?.threshold[0]).toBeLessThan(0.51);
    // Missing rows all positive, the others all negative: missing against everything else.
    const high = dataset(
      600,
      1,
      4,
      (rng) => (rng.bool(0.3) ? Number.NaN : rng.next()),
      (row) => (Number.isNaN(row[0]) ? 1 : 0),
    );
    const highModel = fitBoostedTrees(high.x, high.y, high.names, stump);
    const tree = highModel.trees[0];
    expect(tree?.missingLeft[0]).toBe(false);
    expect(tree?.threshold[0]).toBe(Number.MAX_VALUE);
    const [missing, present] = predictBoostedTrees(highModel, Float64Array.from([Number.NaN, 1e300]));
    expect(missing).toBeGreaterThan(0.5);
    expect(present).toBeLessThan(0.5);
    expect(JSON.parse(JSON.stringify(highModel))).toEqual(highModel);
  });

  it('sends a missing value to the larger side when training had none', () => {
    // 70% of x below 0.3 (label 0), the rest above (label 1): the left side is larger.
    const { x, y, names } = dataset(
      500,
      1,
      8,
      (rng) => (rng.bool(0.7) ? rng.uniform(0, 0.3) : rng.uniform(0.3, 1)),
      (row) => ((row[0] ?? 0) > 0.3 ? 1 : 0),
    );
    const model = fitBoostedTrees(x, y, names, { maxIterations: 1, maxLeafNodes: 2, earlyStopping: false });
    const threshold = model.trees[0]?.threshold[0] ?? 0;
    const left = x.filter((v) => v <= threshold).length;
    expect(left).toBeGreaterThan(x.length - left);
    expect(model.trees[0]?.missingLeft[0]).toBe(true);
  });

  it('scores training rows by raw thresholds into the leaves binned training built', () => {
    // 3,000 distinct values per feature: bins are quantiles, thresholds midpoints between edges.
    const { x, y, names } = dataset(
      3000,
      2,
      21,
      (rng, j) => (j === 1 && rng.bool(0.1) ? Number.NaN : rng.normal()),
      (row, rng) =>
        rng.next() < sigmoid(2 * (row[0] ?? 0) - (Number.isNaN(row[1]) ? 1 : (row[1] ?? 0))) ? 1 : 0,
    );
    const [learningRate, l2] = [0.5, 0.2];
    const model = fitBoostedTrees(x, y, names, { learningRate, l2, maxIterations: 1, earlyStopping: false });
    const [tree] = model.trees;
    if (!tree) throw new Error('no tree');
    expect(tree.feature.filter((f) => f === -1).length).toBe(31);
    // Every node's value is the Newton step of the rows the raw thresholds send through it
    // (to 1e-9: histograms carry the hessian sums with about 1e-10 relative precision here).
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    const sums = tree.feature.map(() => ({ g: 0, h: 0, count: 0 }));
    for (let i = 0; i < y.length; i++) {
      for (const node of path(tree, x.subarray(i * 2, i * 2 + 2))) {
        const sum = sums[node];
        if (!sum) throw new Error(`node ${node}`);
        sum.g += mean - (y[i] ?? 0);
        sum.h += mean * (1 - mean);
        sum.count++;
      }
    }
    sums.forEach((sum, node) => {
      expect(tree.value[node]).toBeCloseTo((-learningRate * sum.g) / (sum.h + l2), 9);
      expect(sum.count).toBeGreaterThanOrEqual(20);
    });
    // JSON writes NaN and Infinity as null, which would not compare equal.
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
  });

  it('explains a row: path contributions plus the baseline sum to the log-odds over the base score', () => {
    const { x, y, names } = dataset(
      2000,
      3,
      9,
      (rng, j) => (j === 2 && rng.bool(0.2) ? Number.NaN : rng.uniform(-1, 1)),
      (row, rng) => (rng.next() < sigmoid(3 * (row[0] ?? 0) + ((row[1] ?? 0) > 0.5 ? 1 : 0)) ? 1 : 0),
    );
    const model = fitBoostedTrees(x, y, names, { maxIterations: 30, earlyStopping: false });
    for (const row of [
      [0.9, 0.9, Number.NaN],
      [-0.8, 0.1, 0.3],
      [0, 0.6, -1],
    ]) {
      const why = explainBoostedTrees(model, row);
      expect(why.map((c) => c.feature).sort()).toEqual([BASELINE, ...names].sort());
      const raw = rawScoreBoostedTrees(model, Float64Array.from(row))[0] ?? 0;
      expect(why.reduce((s, c) => s + c.contribution, 0)).toBeCloseTo(raw - model.baseScore, 12);
      for (let k = 1; k < why.length; k++)
        expect(Math.abs(why[k - 1]?.contribution ?? 0)).toBeGreaterThanOrEqual(
          Math.abs(why[k]?.contribution ?? 0),
        );
      // The baseline is the trees' roots, the same for every row.
      const roots = model.trees.reduce((s, tree) => s + (tree.value[0] ?? 0), 0);
      expect(why.find((c) => c.feature === BASELINE)?.contribution).toBeCloseTo(roots, 14);
    }
    expect(explainBoostedTrees(model, [0.9, 0, 0])[0]?.feature).toBe('x0');
  });

  it('rescores rows after one column changed exactly as scoring them from scratch', () => {
    const { x, y, names } = dataset(
      1000,
      4,
      13,
      (rng, j) => (j === 3 && rng.bool(0.1) ? Number.NaN : rng.uniform(-1, 1)),
      (row, rng) => (rng.next() < sigmoid(2 * (row[0] ?? 0) - (row[1] ?? 0) + (row[3] ?? 0)) ? 1 : 0),
    );
    const model = fitBoostedTrees(x, y, names, { maxIterations: 20, maxLeafNodes: 3, earlyStopping: false });
    const rescore = columnRescorerBoostedTrees(model, x);
    const rng = new Rng(5);
    for (let j = 0; j < names.length; j++) {
      const changed = new Float64Array(x);
      for (let i = 0; i < 1000; i++) changed[i * 4 + j] = rng.bool(0.1) ? Number.NaN : rng.uniform(-1, 1);
      expect(rescore(changed, j), names[j]).toEqual(predictBoostedTrees(model, changed));
    }
    // Both ways were taken: for some column, some trees split on it (walked again) and
    // some do not (their leaves kept).
    const uses = names.map((_, j) => model.trees.filter((tree) => tree.feature.includes(j)).length);
    expect(
      uses.some((u) => u > 0 && u < model.trees.length),
      String(uses),
    ).toBe(true);
  });

  it('stops early on noise, keeping the trees up to the best validation loss', () => {
    // Labels independent of the features: the validation loss stops improving at once.
    const { x, y, names } = dataset(
      6000,
      4,
      13,
      (rng) => rng.normal(),
      (_, rng) => (rng.bool(0.4) ? 1 : 0),
    );
    const model = fitBoostedTrees(x, y, names, { earlyStopping: true, maxIterations: 200 });
    expect(model.options.earlyStopping).toBe(true);
    expect(model.iterations).toBe(model.trees.length);
    expect(model.iterations).toBeLessThan(30);
    // 'auto' is off at 6,000 rows, as in scikit-learn (on above 10,000).
    expect(fitBoostedTrees(x, y, names, { maxIterations: 3 }).options.earlyStopping).toBe(false);
  });

  it('is deterministic for a seed, which picks the validation rows', () => {
    const { x, y, names } = dataset(
      12_000,
      3,
      14,
      (rng) => rng.normal(),
      (row, rng) => (rng.next() < sigmoid((row[0] ?? 0) * (row[1] ?? 0)) ? 1 : 0),
    );
    const options = { maxIterations: 20, seed: 7 } as const;
    const model = fitBoostedTrees(x, y, names, options);
    expect(model.options.earlyStopping).toBe(true);
    expect(model.iterations).toBeGreaterThan(5);
    expect(fitBoostedTrees(x, y, names, options)).toEqual(model);
    const other: BoostedTreesModel = fitBoostedTrees(x, y, names, { ...options, seed: 8 });
    expect(other.trees[0]?.threshold).not.toEqual(model.trees[0]?.threshold);
  });

  it('builds the same model on one thread or two', () => {
    const { x, y, names } = dataset(
      20_000,
      7,
      17,
      (rng, j) => (rng.bool(0.05) ? Number.NaN : j === 6 ? rng.int(0, 3) : rng.normal()),
      (row, rng) => (rng.next() < sigmoid((row[0] ?? 0) * (row[1] ?? 0) + (row[6] === 2 ? 1 : -0.5)) ? 1 : 0),
    );
    const options = { maxIterations: 5, earlyStopping: false } as const;
    expect(fitBoostedTrees(x, y, names, { ...options, threads: 2 })).toEqual(
      fitBoostedTrees(x, y, names, { ...options, threads: 1 }),
    );
  });

  it('rejects labels other than 0 and 1 and infinite values', () => {
    expect(() => fitBoostedTrees(Float64Array.from([1, 2]), [0, 2], ['x'])).toThrow(/expected 0 or 1/);
    expect(() => fitBoostedTrees(Float64Array.from([1, Number.POSITIVE_INFINITY]), [0, 1], ['x'])).toThrow(
      /infinite/,
    );
  });
});
