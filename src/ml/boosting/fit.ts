import { availableParallelism } from 'node:os';
import { StrataError } from '../../errors.js';
import { Rng } from '../../random.js';
import { BINNING_SAMPLE, binRows, codeAt, findEdges, sampleRows } from './binning.js';
import type { BoostedTreesModel, BoostedTreesOptions, ResolvedBoostedTreesOptions } from './model.js';
import { type GrownTree, TreeGrower } from './tree-grower.js';

/**
 * Histogram gradient-boosted trees for 0 / 1 labels with log loss, over typed arrays, after
 * scikit-learn's HistGradientBoostingClassifier (itself after LightGBM): features binned
 * once into at most 255 quantile bins plus one bin for missing values, trees grown leaf-wise
 * (best gain first) from per-node histograms of gradients and hessians, the larger child's
 * histogram derived by subtraction, leaves set to Newton steps. Written here because the
 * model has to score in SQL as well (src/compile/model-sql.ts), so its shape is ours.
 */

/** The boosting loop: options, the validation split, trees until done or stopped early. */

function resolveOptions(options: BoostedTreesOptions, n: number): ResolvedBoostedTreesOptions {
  const resolved = {
    learningRate: options.learningRate ?? 0.1,
    maxIterations: options.maxIterations ?? 100,
    maxLeafNodes: options.maxLeafNodes ?? 31,
    maxDepth: options.maxDepth ?? null,
    minSamplesLeaf: options.minSamplesLeaf ?? 20,
    l2: options.l2 ?? 0,
    maxBins: options.maxBins ?? 255,
    earlyStopping: (options.earlyStopping ?? 'auto') === 'auto' ? n > 10_000 : options.earlyStopping === true,
    validationFraction: options.validationFraction ?? 0.1,
    nIterNoChange: options.nIterNoChange ?? 10,
    tolerance: options.tolerance ?? 1e-7,
    seed: options.seed ?? 42,
  };
  const checks: [boolean, string][] = [
    [resolved.learningRate > 0, 'learningRate must be above 0'],
    [
      Number.isInteger(resolved.maxIterations) && resolved.maxIterations >= 1,
      'maxIterations must be 1 or more',
    ],
    [Number.isInteger(resolved.maxLeafNodes) && resolved.maxLeafNodes >= 2, 'maxLeafNodes must be 2 or more'],
    [resolved.maxDepth === null || resolved.maxDepth >= 1, 'maxDepth must be 1 or more'],
    [resolved.minSamplesLeaf >= 1, 'minSamplesLeaf must be 1 or more'],
    [resolved.l2 >= 0, 'l2 must be 0 or more'],
    [
      Number.isInteger(resolved.maxBins) && resolved.maxBins >= 2 && resolved.maxBins <= 255,
      'maxBins must be 2 to 255',
    ],
    [
      resolved.validationFraction > 0 && resolved.validationFraction < 1,
      'validationFraction must be in (0, 1)',
    ],
    [resolved.nIterNoChange >= 1, 'nIterNoChange must be 1 or more'],
    [resolved.tolerance >= 0, 'tolerance must be 0 or more'],
  ];
  for (const [ok, message] of checks) if (!ok) throw new StrataError('invalid_argument', message);
  return resolved;
}

/** log(1 + e^raw) - y raw, without overflow. */
function logLoss(raw: number, y: number): number {
  return Math.max(raw, 0) + Math.log1p(Math.exp(-Math.abs(raw))) - y * raw;
}

/** Training and validation rows (ascending): a seeded split stratified by label, or all rows. */
function splitRows(
  y: ArrayLike<number>,
  options: ResolvedBoostedTreesOptions,
): { train: Uint32Array; validation: Uint32Array } {
  const n = y.length;
  if (!options.earlyStopping)
    return { train: Uint32Array.from({ length: n }, (_, i) => i), validation: new Uint32Array(0) };
  const rng = new Rng(options.seed >>> 0, 0, 0, 2);
  const held = new Uint8Array(n);
  for (const label of [0, 1]) {
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (y[i] === label) rows.push(i);
    const take = Math.round(rows.length * options.validationFraction);
    for (let k = 0; k < take; k++) {
      const pick = k + Math.floor(rng.next() * (rows.length - k));
      const chosen = rows[pick] ?? 0;
      rows[pick] = rows[k] ?? 0;
      rows[k] = chosen;
      held[chosen] = 1;
    }
  }
  const train: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < n; i++) (held[i] ? validation : train).push(i);
  return { train: Uint32Array.from(train), validation: Uint32Array.from(validation) };
}

/** Adds one tree's output to `raw` for binned rows (packed codes of `n` rows, see binRows). */
function scoreBinned(
  grown: GrownTree,
  codes: Uint32Array,
  n: number,
  nBins: Int32Array,
  raw: Float64Array,
): void {
  const { feature, missingLeft, left, right, value } = grown.tree;
  for (let i = 0; i < n; i++) {
    let node = 0;
    for (let f = feature[0] ?? 0; f >= 0; f = feature[node] ?? 0) {
      const code = codeAt(codes, n, f, i);
      const goLeft = code === (nBins[f] ?? 0) ? missingLeft[node] : code <= (grown.bins[node] ?? 0);
      node = (goLeft ? left[node] : right[node]) as number;
    }
    raw[i] = (raw[i] ?? 0) + (value[node] ?? 0);
  }
}

/** The trees of the boosting loop, and the number kept (all, or up to the best validation loss). */
function boost(
  grower: TreeGrower,
  baseScore: number,
  options: ResolvedBoostedTreesOptions,
  validation: { codes: Uint32Array; y: Float64Array; nBins: Int32Array },
): { grown: GrownTree[]; kept: number } {
  grower.raw.fill(baseScore);
  const nValidation = validation.y.length;
  const validationRaw = new Float64Array(nValidation).fill(baseScore);
  const validationLoss = () => {
    let loss = 0;
    for (let i = 0; i < nValidation; i++) loss += logLoss(validationRaw[i] ?? 0, validation.y[i] ?? 0);
    return loss / nValidation;
  };
  const losses = options.earlyStopping ? [validationLoss()] : [];
  const grown: GrownTree[] = [];
  for (let iteration = 0; iteration < options.maxIterations; iteration++) {
    const tree = grower.grow();
    grown.push(tree);
    if (!options.earlyStopping) continue;
    scoreBinned(tree, validation.codes, nValidation, validation.nBins, validationRaw);
    losses.push(validationLoss());
    // scikit-learn's rule: stop when none of the last nIterNoChange losses beats the one before them by tolerance.
    const reference = losses.length - 1 - options.nIterNoChange;
    const limit = (losses[reference] ?? 0) - options.tolerance;
    if (reference >= 0 && losses.slice(reference + 1).every((loss) => !(loss < limit))) break;
  }
  let kept = grown.length;
  if (options.earlyStopping) {
    kept = 0;
    for (let k = 1; k < losses.length; k++) if ((losses[k] ?? 0) < (losses[kept] ?? 0)) kept = k;
  }
  return { grown, kept };
}

/** Worker threads: the option, else every core for data large enough to repay starting them. */
function threadsFor(options: BoostedTreesOptions, n: number, p: number): number {
  if (options.threads !== undefined) return Math.max(1, Math.floor(options.threads));
  return n * p >= 2_000_000 ? Math.min(availableParallelism(), 8) : 1;
}

/**
 * Fits boosted trees to `n` rows of `features` (`x` row-major, NaN for missing) and 0 / 1
 * labels `y`. Deterministic for a seed (the binning sample and the validation split), and
 * the same whatever the number of threads.
 */
export function fitBoostedTrees(
  x: Float64Array,
  y: ArrayLike<number>,
  features: readonly string[],
  options: BoostedTreesOptions = {},
): BoostedTreesModel {
  const p = features.length;
  const n = y.length;
  if (p === 0 || n === 0 || x.length !== n * p)
    throw new StrataError('invalid_argument', `x has ${x.length} values; expected ${n} rows x ${p} features`);
  for (let i = 0; i < n; i++)
    if (y[i] !== 0 && y[i] !== 1)
      throw new StrataError('invalid_argument', `label ${i} is ${y[i]}; expected 0 or 1`);
  const resolved = resolveOptions(options, n);
  const { train, validation } = splitRows(y, resolved);
  const sample = sampleRows(train, BINNING_SAMPLE, new Rng(resolved.seed >>> 0, 0, 0, 1));
  const edges = findEdges(x, p, sample, resolved.maxBins);
  const nBins = Int32Array.from(edges, (cuts) => cuts.length + 1);
  const nTrain = train.length;
  const { codes, missing: hasMissing } = binRows(x, p, train, edges);
  const yTrain = Float64Array.from(train, (i) => y[i] ?? 0);
  let mean = 0;
  for (let i = 0; i < nTrain; i++) mean += yTrain[i] ?? 0;
  mean = Math.min(Math.max(mean / nTrain, Number.EPSILON), 1 - Number.EPSILON);
  const baseScore = Math.log(mean / (1 - mean));
  const held = {
    codes: binRows(x, p, validation, edges).codes,
    y: Float64Array.from(validation, (i) => y[i] ?? 0),
    nBins,
  };
  const threads = threadsFor(options, nTrain, p);
  const grower = new TreeGrower(nTrain, p, codes, yTrain, nBins, hasMissing, edges, resolved, threads);
  let result: { grown: GrownTree[]; kept: number };
  try {
    result = boost(grower, baseScore, resolved, held);
  } finally {
    grower.stop();
  }
  const trees = result.grown.slice(0, result.kept);
  const importance = new Float64Array(p);
  for (const tree of trees)
    for (let j = 0; j < p; j++) importance[j] = (importance[j] ?? 0) + (tree.gains[j] ?? 0);
  const total = importance.reduce((a, b) => a + b, 0);
  return {
    kind: 'boosted_trees',
    version: 1,
    features: [...features],
    baseScore,
    learningRate: resolved.learningRate,
    trees: trees.map((tree) => tree.tree),
    importance: Array.from(importance, (gain) => (total > 0 ? gain / total : 0)),
    iterations: result.kept,
    options: resolved,
  };
}
