import type { TreeNodes } from '../../language/ast.js';

/**
 * The fitted boosted trees as plain JSON-ready data (saved in model files and compiled to
 * SQL by src/compile/model-sql.ts), and scoring and explaining rows with them.
 */

/**
 * One regression tree as node arrays, root at 0: the shape saved in model files and
 * compiled to SQL. A split of missing values from all others has threshold Number.MAX_VALUE;
 * children are -1 on a leaf; values are contributions to the log-odds (times the learning
 * rate), set on internal nodes too, for explanations.
 */
export type BoostedTree = TreeNodes;

export interface BoostedTreesOptions {
  readonly learningRate?: number;
  readonly maxIterations?: number;
  readonly maxLeafNodes?: number;
  readonly maxDepth?: number | null;
  readonly minSamplesLeaf?: number;
  readonly l2?: number;
  /** Bins of non-missing values per feature, 2 to 255; missing values get one more. */
  readonly maxBins?: number;
  /** 'auto': on when there are more than 10,000 rows, as in scikit-learn. */
  readonly earlyStopping?: boolean | 'auto';
  readonly validationFraction?: number;
  readonly nIterNoChange?: number;
  readonly tolerance?: number;
  readonly seed?: number;
  /**
   * Threads sharing each tree's work (default: every core, up to 8, when rows x features >=
   * 2,000,000, else 1). Never changes the model, so it is not kept in it.
   */
  readonly threads?: number;
}

/** The options as used: every default filled in, early stopping decided. */
export interface ResolvedBoostedTreesOptions {
  readonly learningRate: number;
  readonly maxIterations: number;
  readonly maxLeafNodes: number;
  readonly maxDepth: number | null;
  readonly minSamplesLeaf: number;
  readonly l2: number;
  readonly maxBins: number;
  readonly earlyStopping: boolean;
  readonly validationFraction: number;
  readonly nIterNoChange: number;
  readonly tolerance: number;
  readonly seed: number;
}

export interface BoostedTreesModel {
  readonly kind: 'boosted_trees';
  readonly version: 1;
  readonly features: readonly string[];
  /** Log-odds of the mean label of the training rows. */
  readonly baseScore: number;
  readonly learningRate: number;
  readonly trees: readonly BoostedTree[];
  /** Total split gain per feature, normalised to sum 1 (all 0 when no tree split). */
  readonly importance: readonly number[];
  /** Trees kept (up to the best validation loss when stopping early). */
  readonly iterations: number;
  readonly options: ResolvedBoostedTreesOptions;
}

export const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Follows a row's path down one tree, calling `visit` at each split with the child taken. */
function walk(tree: BoostedTree, row: ArrayLike<number>, visit: (node: number, child: number) => void): void {
  let node = 0;
  for (let f = tree.feature[0] as number; f >= 0; f = tree.feature[node] as number) {
    const v = row[f] as number;
    const goLeft = Number.isNaN(v) ? tree.missingLeft[node] : v <= (tree.threshold[node] as number);
    const child = (goLeft ? tree.left[node] : tree.right[node]) as number;
    visit(node, child);
    node = child;
  }
}

/** The leaf value one tree gives each of `n` rows (row-major, `p` features, NaN for missing). */
function leafValues(tree: BoostedTree, x: Float64Array, p: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const at = i * p;
    let node = 0;
    for (let f = tree.feature[0] as number; f >= 0; f = tree.feature[node] as number) {
      const v = x[at + f] as number;
      const goLeft = Number.isNaN(v) ? tree.missingLeft[node] : v <= (tree.threshold[node] as number);
      node = (goLeft ? tree.left[node] : tree.right[node]) as number;
    }
    out[i] = tree.value[node] as number;
  }
  return out;
}

/** The base score plus each tree's leaf values, added tree by tree in the model's order. */
function sumLeaves(model: BoostedTreesModel, leaves: (t: number) => Float64Array, n: number): Float64Array {
  const out = new Float64Array(n).fill(model.baseScore);
  for (let t = 0; t < model.trees.length; t++) {
    const values = leaves(t);
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (values[i] as number);
  }
  return out;
}

/** Log-odds for `n` rows of the model's features (row-major, raw units, NaN for missing). */
export function rawScoreBoostedTrees(model: BoostedTreesModel, x: Float64Array): Float64Array {
  const p = model.features.length;
  const n = x.length / p;
  return sumLeaves(model, (t) => leafValues(model.trees[t] as BoostedTree, x, p, n), n);
}

/** Predicted probabilities (0-1) for `n` rows of the model's features (row-major, raw units, NaN for missing). */
export function predictBoostedTrees(model: BoostedTreesModel, x: Float64Array): Float64Array {
  return sigmoidInPlace(rawScoreBoostedTrees(model, x));
}

/** Log-odds turned into probabilities where they are (a loop: Float64Array.map with a callback is several times slower). */
function sigmoidInPlace(scores: Float64Array): Float64Array {
  for (let i = 0; i < scores.length; i++) scores[i] = sigmoid(scores[i] as number);
  return scores;
}

/**
 * For rows `x`, probabilities of copies of `x` in which only column `j` differs (permutation
 * importance scores 3 shuffles of each column): only the trees that split on `j` walk again,
 * the others add the leaf value they gave `x`. The sums are predictBoostedTrees', in the same
 * order, so the probabilities are the same bit for bit, at a fraction of the work.
 */
export function columnRescorerBoostedTrees(
  model: BoostedTreesModel,
  x: Float64Array,
): (changed: Float64Array, j: number) => Float64Array {
  const p = model.features.length;
  const n = x.length / p;
  const kept = model.trees.map((tree) => leafValues(tree, x, p, n));
  const splitsOn = model.trees.map((tree) => new Set(tree.feature.filter((f) => f >= 0)));
  return (changed, j) =>
    sumLeaves(
      model,
      (t) =>
        splitsOn[t]?.has(j)
          ? leafValues(model.trees[t] as BoostedTree, changed, p, n)
          : (kept[t] as Float64Array),
      n,
    ).map(sigmoid);
}

/** What `explainBoostedTrees` calls the trees' shift before any split (their roots' values). */
export const BASELINE = '(baseline)';

/**
 * Each feature's contribution to one row's log-odds, largest first, by path attribution
 * (Saabas): along the row's path in each tree, the change of node value at a split is
 * credited to the split's feature. The roots' values, the same for every row, are one more
 * entry named BASELINE, so the contributions sum to rawScore - baseScore.
 */
export function explainBoostedTrees(
  model: BoostedTreesModel,
  row: ArrayLike<number>,
): { feature: string; contribution: number }[] {
  const credit = new Float64Array(model.features.length);
  let baseline = 0;
  for (const tree of model.trees) {
    baseline += tree.value[0] as number;
    walk(tree, row, (node, child) => {
      const f = tree.feature[node] as number;
      credit[f] = (credit[f] as number) + (tree.value[child] as number) - (tree.value[node] as number);
    });
  }
  return [
    ...model.features.map((feature, j) => ({ feature, contribution: credit[j] as number })),
    { feature: BASELINE, contribution: baseline },
  ].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
}
