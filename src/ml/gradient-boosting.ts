import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { StrataError } from '../errors.js';
import { Rng } from '../random.js';

/**
 * Histogram gradient-boosted trees for 0 / 1 labels with log loss, over typed arrays, after
 * scikit-learn's HistGradientBoostingClassifier (itself after LightGBM): features binned
 * once into at most 255 quantile bins plus one bin for missing values, trees grown leaf-wise
 * (best gain first) from per-node histograms of gradients and hessians, the larger child's
 * histogram derived by subtraction, leaves set to Newton steps. Written here because the
 * model has to score in SQL as well (src/compile/model-sql.ts), so its shape is ours.
 */

/** One regression tree as node arrays, root at 0. */
export interface BoostedTree {
  /** Feature index of a split; -1 marks a leaf. */
  readonly feature: readonly number[];
  /**
   * Go left when value <= threshold (the feature's raw units), or when the value is missing
   * and missingLeft. A split of missing values from all others has Number.MAX_VALUE.
   */
  readonly threshold: readonly number[];
  readonly missingLeft: readonly boolean[];
  /** Child nodes; -1 on a leaf. */
  readonly left: readonly number[];
  readonly right: readonly number[];
  /** Contribution to the log-odds (times the learning rate); on internal nodes too, for explanations. */
  readonly value: readonly number[];
}

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

/** Rows drawn to place the bin edges, as scikit-learn's subsample. */
const BINNING_SAMPLE = 200_000;
/** A child needs this much hessian (scikit-learn's min_hessian_to_split). */
const MIN_HESSIAN = 1e-3;

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

/** Row indices in ascending order: all of `rows` when few, else a seeded sample of `limit`. */
function sampleRows(rows: Uint32Array, limit: number, rng: Rng): Uint32Array {
  if (rows.length <= limit) return rows;
  const pool = rows.slice();
  for (let k = 0; k < limit; k++) {
    const pick = k + Math.floor(rng.next() * (pool.length - k));
    const chosen = pool[pick] as number;
    pool[pick] = pool[k] as number;
    pool[k] = chosen;
  }
  return pool.subarray(0, limit).sort();
}

/**
 * Bin edges of each feature: midpoints between adjacent distinct values when there are at
 * most maxBins of them, else midpoints at evenly spaced quantiles. A value goes to the
 * first bin whose edge it does not exceed, so `value <= edge` reproduces the binning.
 */
function findEdges(x: Float64Array, p: number, rows: Uint32Array, maxBins: number): Float64Array[] {
  const edges: Float64Array[] = [];
  const values = new Float64Array(rows.length);
  for (let j = 0; j < p; j++) {
    let m = 0;
    for (let k = 0; k < rows.length; k++) {
      const v = x[(rows[k] as number) * p + j] as number;
      if (!Number.isNaN(v)) values[m++] = v;
    }
    const sorted = values.subarray(0, m).sort();
    let distinct = m > 0 ? 1 : 0;
    for (let k = 1; k < m; k++) if (sorted[k] !== sorted[k - 1]) distinct++;
    const cuts: number[] = [];
    if (distinct <= maxBins) {
      for (let k = 1; k < m; k++) {
        const [a, b] = [sorted[k - 1] as number, sorted[k] as number];
        if (a !== b) cuts.push(0.5 * a + 0.5 * b);
      }
    } else {
      for (let q = 1; q < maxBins; q++) {
        const position = (q / maxBins) * (m - 1);
        const cut =
          0.5 * (sorted[Math.floor(position)] as number) + 0.5 * (sorted[Math.ceil(position)] as number);
        if (cuts.length === 0 || cut > (cuts[cuts.length - 1] as number)) cuts.push(cut);
      }
    }
    edges.push(Float64Array.from(cuts));
  }
  return edges;
}

/**
 * Bin codes of `rows` packed four features to a 32-bit word (feature j in byte j % 4 of
 * group j >> 2), group-major: group q of row k at q * rows.length + k. Missing values get
 * code edges[j].length + 1. Also which features have a missing value.
 */
function binRows(
  x: Float64Array,
  p: number,
  rows: Uint32Array,
  edges: readonly Float64Array[],
): { codes: Uint32Array; missing: Uint8Array } {
  const n = rows.length;
  const codes = new Uint32Array(Math.ceil(p / 4) * n);
  const missing = new Uint8Array(p);
  // Each feature's edges padded with +Infinity to 255 in one array, for a search of eight
  // steps without branches (a binary search mispredicts half its branches).
  const padded = new Float64Array(p * 256).fill(Number.POSITIVE_INFINITY);
  for (let j = 0; j < p; j++) padded.set(edges[j] as Float64Array, j * 256);
  for (let k = 0; k < n; k++) {
    const at = (rows[k] as number) * p;
    let word = 0;
    for (let j = 0; j < p; j++) {
      const v = x[at + j] as number;
      const base = j * 256;
      let code: number;
      if (v - v === 0) {
        // The number of edges below v.
        let lo = base;
        lo += 128 & -+((padded[lo + 127] as number) < v);
        lo += 64 & -+((padded[lo + 63] as number) < v);
        lo += 32 & -+((padded[lo + 31] as number) < v);
        lo += 16 & -+((padded[lo + 15] as number) < v);
        lo += 8 & -+((padded[lo + 7] as number) < v);
        lo += 4 & -+((padded[lo + 3] as number) < v);
        lo += 2 & -+((padded[lo + 1] as number) < v);
        lo += 1 & -+((padded[lo] as number) < v);
        code = lo - base;
      } else if (Number.isNaN(v)) {
        code = (edges[j] as Float64Array).length + 1;
        missing[j] = 1;
      } else throw new StrataError('invalid_argument', `feature ${j} has an infinite value`);
      word |= code << ((j & 3) * 8);
      if ((j & 3) === 3 || j === p - 1) {
        codes[(j >> 2) * n + k] = word;
        word = 0;
      }
    }
  }
  return { codes, missing };
}

/** The code of feature j of position k in packed codes of n rows. */
function codeAt(codes: Uint32Array, n: number, j: number, k: number): number {
  return ((codes[(j >> 2) * n + k] as number) >>> ((j & 3) * 8)) & 255;
}

interface Split {
  readonly gain: number;
  readonly feature: number;
  /** Non-missing bins <= bin go left. */
  readonly bin: number;
  readonly missingLeft: boolean;
  readonly gLeft: number;
  readonly hLeft: number;
  readonly countLeft: number;
}

interface GrowNode {
  readonly id: number;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
  readonly g: number;
  readonly h: number;
  /** Where its histogram starts in the pool, -1 when it has none. */
  hist: number;
  split: Split | null;
}

/** A grown tree, with its splits in bin codes for scoring the binned validation rows. */
interface GrownTree {
  readonly tree: BoostedTree;
  readonly bins: readonly number[];
  readonly gains: Float64Array;
}

/*
 * The hot loops are self-contained functions: the helper threads run their source.
 *
 * A histogram holds two sums per bin: of g, and of h + unit, where unit is a power of two
 * above the largest possible sum of hessians (each is at most 1/4, so unit > n / 4). The
 * sum of h + unit over c rows is c * unit + sum(h) with sum(h) < unit, so it carries the
 * row count exactly (floor(sum / unit)) and the hessian sum with about 1e-7 relative
 * precision at a million rows (scikit-learn keeps hessians in 32-bit floats): one addition
 * per row and bin less in the hot loop, a third faster.
 */

/** Adds g and h (already plus the unit) to slot `s` of a histogram of (g, h) pairs. */
function add(hist: Float64Array, s: number, g: number, h: number): void {
  hist[s] = (hist[s] as number) + g;
  hist[s + 1] = (hist[s + 1] as number) + h;
}

/**
 * Adds the g and h of positions [start, end) to the slot of each one's bin in the histogram
 * at `at`, for the feature groups [from, to): the hot loop of the fit. Codes, g and h are
 * all in the node order of the positions, so every read is in sequence.
 */
function accumulate(
  pool: Float64Array,
  at: number,
  codes: Uint32Array,
  n: number,
  p: number,
  bases: Int32Array,
  from: number,
  to: number,
  start: number,
  end: number,
  g: Float64Array,
  h: Float64Array,
): void {
  let q = from;
  // Two full groups (eight features) per pass when there are, else one, else feature by feature.
  for (; q + 2 <= to && (q + 2) * 4 <= p; q += 2) {
    const column = q * n;
    const b = at + (bases[q * 4] as number);
    const [b1, b2, b3] = [
      at + (bases[q * 4 + 1] as number),
      at + (bases[q * 4 + 2] as number),
      at + (bases[q * 4 + 3] as number),
    ];
    const [b4, b5, b6, b7] = [
      at + (bases[q * 4 + 4] as number),
      at + (bases[q * 4 + 5] as number),
      at + (bases[q * 4 + 6] as number),
      at + (bases[q * 4 + 7] as number),
    ];
    for (let k = start; k < end; k++) {
      const word = codes[column + k] as number;
      const next = codes[column + n + k] as number;
      const gk = g[k] as number;
      const hk = h[k] as number;
      add(pool, b + ((word & 255) << 1), gk, hk);
      add(pool, b1 + (((word >>> 8) & 255) << 1), gk, hk);
      add(pool, b2 + (((word >>> 16) & 255) << 1), gk, hk);
      add(pool, b3 + ((word >>> 24) << 1), gk, hk);
      add(pool, b4 + ((next & 255) << 1), gk, hk);
      add(pool, b5 + (((next >>> 8) & 255) << 1), gk, hk);
      add(pool, b6 + (((next >>> 16) & 255) << 1), gk, hk);
      add(pool, b7 + ((next >>> 24) << 1), gk, hk);
    }
  }
  for (; q < to; q++) {
    const column = q * n;
    const first = q * 4;
    if (first + 4 <= p) {
      const b0 = at + (bases[first] as number);
      const b1 = at + (bases[first + 1] as number);
      const b2 = at + (bases[first + 2] as number);
      const b3 = at + (bases[first + 3] as number);
      for (let k = start; k < end; k++) {
        const word = codes[column + k] as number;
        const gk = g[k] as number;
        const hk = h[k] as number;
        add(pool, b0 + ((word & 255) << 1), gk, hk);
        add(pool, b1 + (((word >>> 8) & 255) << 1), gk, hk);
        add(pool, b2 + (((word >>> 16) & 255) << 1), gk, hk);
        add(pool, b3 + ((word >>> 24) << 1), gk, hk);
      }
    } else {
      for (let j = first; j < p; j++) {
        const b = at + (bases[j] as number);
        const shift = (j - first) * 8;
        for (let k = start; k < end; k++)
          add(
            pool,
            b + ((((codes[column + k] as number) >>> shift) & 255) << 1),
            g[k] as number,
            h[k] as number,
          );
      }
    }
  }
}

/** Rows per block of the gradients' sums: fixed, so that the sums do not depend on the threads. */
const SUM_BLOCK = 1 << 16;

/**
 * Gradients g = p - y and hessians p (1 - p) + unit of log loss at the raw scores, for the
 * blocks of SUM_BLOCK positions [from, to); each block's plain sums go to sums[2 block]
 * and sums[2 block + 1].
 */
function logLossGradients(
  raw: Float64Array,
  y: Float64Array,
  g: Float64Array,
  h: Float64Array,
  unit: number,
  from: number,
  to: number,
  sums: Float64Array,
  block: number,
): void {
  for (let b = from; b < to; b++) {
    let gSum = 0;
    let hSum = 0;
    for (let i = b * block; i < Math.min(raw.length, (b + 1) * block); i++) {
      // exp(-r) overflows to Infinity for r < -709, giving 0, the right limit: no branch needed.
      const prob = 1 / (1 + Math.exp(-(raw[i] as number)));
      const gi = prob - (y[i] as number);
      const hi = prob * (1 - prob);
      g[i] = gi;
      h[i] = hi + unit;
      gSum += gi;
      hSum += hi;
    }
    sums[2 * b] = gSum;
    sums[2 * b + 1] = hSum;
  }
}

/**
 * Writes to `out` the positions in [start, end) on the wrong side of a split: those going
 * right when `left` is 1 (the left part of the node), else those going left. Returns how many.
 */
function misplaced(
  codes: Uint32Array,
  n: number,
  feature: number,
  bin: number,
  missingLeft: number,
  missingCode: number,
  start: number,
  end: number,
  left: number,
  out: Uint32Array,
): number {
  const column = (feature >> 2) * n;
  const shift = (feature & 3) * 8;
  let count = 0;
  for (let k = start; k < end; k++) {
    const code = ((codes[column + k] as number) >>> shift) & 255;
    const goesLeft = code === missingCode ? missingLeft : code <= bin ? 1 : 0;
    // Written every time, kept by counting: the sides alternate unpredictably.
    out[count] = k;
    count += goesLeft ^ left;
  }
  return count;
}

/** Swaps the words at `offset` + a[t] and `offset` + b[t] for t < count: a partition's moves. */
function swapWords(values: Uint32Array, offset: number, a: Uint32Array, b: Uint32Array, count: number): void {
  for (let t = 0; t < count; t++) {
    const i = offset + (a[t] as number);
    const j = offset + (b[t] as number);
    const value = values[i] as number;
    values[i] = values[j] as number;
    values[j] = value;
  }
}

/** swapWords for doubles (a function per array type keeps each loop monomorphic). */
function swapDoubles(values: Float64Array, a: Uint32Array, b: Uint32Array, count: number): void {
  for (let t = 0; t < count; t++) {
    const i = a[t] as number;
    const j = b[t] as number;
    const value = values[i] as number;
    values[i] = values[j] as number;
    values[j] = value;
  }
}

/** What the grower and its helpers share (typed arrays on SharedArrayBuffers). */
interface SharedState {
  /** Job words, see Word. */
  readonly control: Int32Array;
  /** Histograms. */
  readonly pool: Float64Array;
  /** Packed codes of the positions (see binRows). */
  readonly codes: Uint32Array;
  readonly n: number;
  readonly p: number;
  /** Where each feature's (g, h) pairs start in a histogram. */
  readonly bases: Int32Array;
  /** Gradients and hessians (plus unit) of the positions. */
  readonly g: Float64Array;
  readonly h: Float64Array;
  readonly unit: number;
  /** Raw scores and labels of the positions. */
  readonly raw: Float64Array;
  readonly y: Float64Array;
  /** A partition's misplaced positions: on the left part, and on the right part. */
  readonly fromLeft: Uint32Array;
  readonly fromRight: Uint32Array;
  /** The gradients' and hessians' sums per block of rows. */
  readonly sums: Float64Array;
  /** The next item of the running job, taken by whichever thread is free (see doItem). */
  readonly next: Int32Array;
}

/**
 * Words of `control`: a job is its number in JOB, echoed in DONE when finished; KIND and the
 * words after it describe it (AT a histogram's place in the pool, START and END a range of
 * positions or the number of swaps, COUNT its items, the split rule for MISPLACED).
 */
const Word = {
  JOB: 0,
  DONE: 1,
  KIND: 2,
  AT: 3,
  START: 4,
  END: 5,
  COUNT: 6,
  FEATURE: 7,
  BIN: 8,
  MISSING_LEFT: 9,
  MISSING_CODE: 10,
  RESULT: 11,
  STOP: 12,
  READY: 13,
  FAILED: 14,
};
const CONTROL_WORDS = 15;
/** Job kinds; see serve. */
const Job = { HISTOGRAM: 1, GRADIENTS: 2, MISPLACED: 3, SWAP: 4 };

/**
 * One item of a job shared out item by item (a histogram's pair of feature groups, a
 * partition's array to move, a block of gradients); the same on every thread.
 */
function doItem(
  state: SharedState,
  control: Int32Array,
  word: typeof Word,
  job: typeof Job,
  item: number,
): void {
  const { n, p } = state;
  const kind = control[word.KIND];
  if (kind === job.HISTOGRAM) {
    const at = control[word.AT] as number;
    const [start, end] = [control[word.START] as number, control[word.END] as number];
    const to = Math.min(2 * item + 2, Math.ceil(p / 4));
    accumulate(state.pool, at, state.codes, n, p, state.bases, 2 * item, to, start, end, state.g, state.h);
  } else if (kind === job.SWAP) {
    const count = control[word.END] as number;
    const { fromLeft, fromRight } = state;
    // Item 0 moves the four arrays of doubles (the largest item goes first); then one per group.
    if (item > 0) swapWords(state.codes, (item - 1) * n, fromLeft, fromRight, count);
    else
      for (const values of [state.g, state.h, state.raw, state.y])
        swapDoubles(values, fromLeft, fromRight, count);
  } else {
    logLossGradients(
      state.raw,
      state.y,
      state.g,
      state.h,
      state.unit,
      item,
      item + 1,
      state.sums,
      control[word.AT] as number,
    );
  }
}

/** A helper's loop: sleeps until a job number appears, does the job, echoes the number. */
function serve(state: SharedState, word: typeof Word, job: typeof Job): void {
  const { control } = state;
  Atomics.store(control, word.READY, 1);
  Atomics.notify(control, word.READY);
  let seen = 0;
  for (;;) {
    // Jobs come every few milliseconds: spin a little before sleeping, as waking costs more.
    for (let spin = 0; spin < 20_000 && Atomics.load(control, word.JOB) === seen; spin++);
    Atomics.wait(control, word.JOB, seen);
    const next = Atomics.load(control, word.JOB);
    if (next === seen) continue;
    seen = next;
    if (Atomics.load(control, word.STOP) === 1) return;
    try {
      if (control[word.KIND] === job.MISPLACED) {
        const feature = control[word.FEATURE] as number;
        const bin = control[word.BIN] as number;
        const missingLeft = control[word.MISSING_LEFT] as number;
        const missingCode = control[word.MISSING_CODE] as number;
        const [start, end] = [control[word.START] as number, control[word.END] as number];
        const right = state.fromRight;
        control[word.RESULT] = misplaced(
          state.codes,
          state.n,
          feature,
          bin,
          missingLeft,
          missingCode,
          start,
          end,
          0,
          right,
        );
      } else {
        const count = control[word.COUNT] as number;
        for (let item = Atomics.add(state.next, 0, 1); item < count; item = Atomics.add(state.next, 0, 1))
          doItem(state, control, word, job, item);
      }
    } catch (error) {
      console.error(error);
      Atomics.store(control, word.FAILED, 1);
    }
    Atomics.store(control, word.DONE, next);
    Atomics.notify(control, word.DONE);
  }
}

/**
 * A thread that takes a share of each job of the fit (scikit-learn spreads the same work
 * with OpenMP). The fit stays synchronous: the main thread posts a job in shared memory,
 * does its own share, then blocks until the helper echoes the job. A helper that does not
 * start within 10 s leaves its share to the main thread, so the result never depends on it.
 */
class Helper {
  private readonly worker: Worker;
  private readonly control: Int32Array;
  private job = 0;
  private usable = true;

  constructor(state: Omit<SharedState, 'control'>) {
    this.control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    // esbuild (tsx, vitest) may wrap functions in __name(); the worker has no such helper.
    const source = [
      '"use strict";',
      'const __name = (target) => target;',
      ...[add, accumulate, logLossGradients, misplaced, swapWords, swapDoubles, doItem].map(String),
      `(${serve})(require('node:worker_threads').workerData, ${JSON.stringify(Word)}, ${JSON.stringify(Job)});`,
    ].join('\n');
    this.worker = new Worker(source, { eval: true, workerData: { ...state, control: this.control } });
    this.worker.unref();
  }

  /** Posts a job (its words); false when the helper cannot take it. */
  post(words: Readonly<Partial<Record<keyof typeof Word, number>>>): boolean {
    const { control } = this;
    if (this.usable && Atomics.load(control, Word.READY) === 0)
      this.usable = Atomics.wait(control, Word.READY, 0, 10_000) !== 'timed-out';
    if (!this.usable) return false;
    for (const [name, value] of Object.entries(words)) control[Word[name as keyof typeof Word]] = value;
    this.job++;
    Atomics.store(control, Word.JOB, this.job);
    Atomics.notify(control, Word.JOB);
    return true;
  }

  /** Waits for the posted job and returns its RESULT word. A failed or stuck job is a bug: it throws. */
  wait(): number {
    const { control } = this;
    for (let spin = 0; spin < 20_000 && Atomics.load(control, Word.DONE) !== this.job; spin++);
    for (
      let done = Atomics.load(control, Word.DONE);
      done !== this.job;
      done = Atomics.load(control, Word.DONE)
    )
      if (Atomics.wait(control, Word.DONE, done, 60_000) === 'timed-out')
        throw new StrataError('internal', 'boosted trees: a worker thread did not answer in 60 s');
    if (Atomics.load(control, Word.FAILED) === 1)
      throw new StrataError('internal', 'boosted trees: a worker thread failed (its error is printed above)');
    return control[Word.RESULT] as number;
  }

  stop(): void {
    Atomics.store(this.control, Word.STOP, 1);
    Atomics.store(this.control, Word.JOB, ++this.job);
    Atomics.notify(this.control, Word.JOB);
  }
}

/** Below this many positions a job stays on the main thread (posting one costs microseconds). */
const PARALLEL_POSITIONS = 1 << 12;

/**
 * Grows trees on binned training rows, each at a position. The rows of a node are a
 * contiguous range of positions: a split swaps the rows on the wrong side (their codes,
 * gradients, raw scores and labels) so that each side is contiguous again (Hoare's
 * partition: a balanced split moves a quarter of the node), and every read is in sequence.
 * Rows stay where the last tree left them; which row is where never matters, as the
 * training rows' scores are only used here. Histograms live in one pool, (g, h) per bin, a
 * feature's bins in a row.
 */
class TreeGrower {
  private readonly state: Omit<SharedState, 'control'>;
  /** Per feature, its first bin; histograms are `size` numbers long. */
  private readonly offsets: Int32Array;
  private readonly size: number;
  private readonly free: number[] = [];
  private readonly helpers: Helper[] = [];
  /** The main thread's copy of a job's words, for doItem. */
  private readonly mine = new Int32Array(CONTROL_WORDS);

  constructor(
    private readonly n: number,
    private readonly p: number,
    codes: Uint32Array,
    y: Float64Array,
    private readonly nBins: Int32Array,
    private readonly hasMissing: Uint8Array,
    private readonly edges: readonly Float64Array[],
    private readonly options: ResolvedBoostedTreesOptions,
    threads: number,
  ) {
    this.offsets = new Int32Array(p);
    let bins = 0;
    for (let j = 0; j < p; j++) {
      this.offsets[j] = bins;
      bins += (nBins[j] as number) + 1;
    }
    this.size = bins * 2;
    const capacity = options.maxLeafNodes + 2;
    const shared = (bytes: number) => new SharedArrayBuffer(bytes);
    const groups = Math.ceil(p / 4);
    const helpers = Math.max(0, Math.min(threads, groups) - 1);
    this.state = {
      pool: new Float64Array(shared(capacity * this.size * 8)),
      codes: new Uint32Array(shared(codes.length * 4)),
      n,
      p,
      bases: Int32Array.from(this.offsets, (offset) => offset * 2),
      g: new Float64Array(shared(n * 8)),
      h: new Float64Array(shared(n * 8)),
      unit: 2 ** Math.ceil(Math.log2(n / 4 + 1)),
      raw: new Float64Array(shared(n * 8)),
      y: new Float64Array(shared(n * 8)),
      fromLeft: new Uint32Array(shared(n * 4)),
      fromRight: new Uint32Array(shared(n * 4)),
      sums: new Float64Array(shared(Math.ceil(n / SUM_BLOCK) * 16)),
      next: new Int32Array(shared(4)),
    };
    this.state.codes.set(codes);
    this.state.y.set(y);
    for (let k = capacity - 1; k >= 0; k--) this.free.push(k * this.size);
    for (let t = 0; t < helpers; t++) this.helpers.push(new Helper(this.state));
  }

  /** Raw scores (log-odds) of the positions. */
  get raw(): Float64Array {
    return this.state.raw;
  }

  stop(): void {
    for (const helper of this.helpers) helper.stop();
  }

  /**
   * Runs a job of `count` items on every thread: each takes the next item until none is
   * left (so a thread that does more serial work simply takes fewer). Helpers get the job's
   * words; an item is done the same way whichever thread takes it.
   */
  private together(
    words: Readonly<Partial<Record<keyof typeof Word, number>>>,
    count: number,
    parallel: boolean,
  ): void {
    const { next } = this.state;
    Atomics.store(next, 0, 0);
    this.mine.fill(0);
    for (const [name, value] of Object.entries({ ...words, COUNT: count }))
      this.mine[Word[name as keyof typeof Word]] = value;
    const posted = this.helpers.map((helper) => parallel && helper.post({ ...words, COUNT: count }));
    for (let item = Atomics.add(next, 0, 1); item < count; item = Atomics.add(next, 0, 1))
      doItem(this.state as SharedState, this.mine, Word, Job, item);
    this.helpers.forEach((helper, t) => {
      if (posted[t]) helper.wait();
    });
  }

  private take(): number {
    const at = this.free.pop() as number;
    this.state.pool.fill(0, at, at + this.size);
    return at;
  }

  private release(node: GrowNode): void {
    if (node.hist >= 0) this.free.push(node.hist);
    node.hist = -1;
  }

  /** Sums of g and h + unit per feature bin over the node's rows, into the histogram at `at`. */
  private histogram(at: number, start: number, end: number): void {
    const words = { KIND: Job.HISTOGRAM, AT: at, START: start, END: end };
    this.together(words, Math.ceil(Math.ceil(this.p / 4) / 2), end - start >= PARALLEL_POSITIONS);
  }

  /** The gradients and hessians at the current raw scores; returns their sums. */
  private gradients(): { g: number; h: number } {
    const blocks = Math.ceil(this.n / SUM_BLOCK);
    this.together({ KIND: Job.GRADIENTS, AT: SUM_BLOCK }, blocks, true);
    let [gSum, hSum] = [0, 0];
    for (let b = 0; b < blocks; b++) {
      gSum += this.state.sums[2 * b] as number;
      hSum += this.state.sums[2 * b + 1] as number;
    }
    return { g: gSum, h: hSum };
  }

  /** The split of largest gain over every feature, both sides for missing values; null if none gains. */
  private bestSplit(at: number, g: number, h: number, count: number): Split | null {
    const { l2, minSamplesLeaf } = this.options;
    const { pool: hist, unit } = this.state;
    const parent = (g * g) / (h + l2);
    let best: Split | null = null;
    let bestGain = 0;
    for (let j = 0; j < this.p; j++) {
      const base = at + (this.offsets[j] as number) * 2;
      const bins = this.nBins[j] as number;
      const missing = this.hasMissing[j] === 1;
      // Missing values right; with missing values the last bin splits them from the rest.
      let gl = 0;
      let packed = 0;
      for (let b = 0; b < (missing ? bins : bins - 1); b++) {
        gl += hist[base + 2 * b] as number;
        packed += hist[base + 2 * b + 1] as number;
        const cl = Math.floor(packed / unit);
        const hl = packed - cl * unit;
        if (cl < minSamplesLeaf || hl < MIN_HESSIAN) continue;
        const cr = count - cl;
        const hr = h - hl;
        if (cr < minSamplesLeaf || hr < MIN_HESSIAN) break;
        const gr = g - gl;
        const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          // Without missing values in training, a missing value follows the larger side.
          const missingLeft = !missing && cl > cr;
          best = { gain, feature: j, bin: b, missingLeft, gLeft: gl, hLeft: hl, countLeft: cl };
        }
      }
      if (!missing) continue;
      // Missing values left: the right side gathers the top bins.
      let gr = 0;
      packed = 0;
      for (let b = bins - 2; b >= 0; b--) {
        gr += hist[base + 2 * b + 2] as number;
        packed += hist[base + 2 * b + 3] as number;
        const cr = Math.floor(packed / unit);
        const hr = packed - cr * unit;
        if (cr < minSamplesLeaf || hr < MIN_HESSIAN) continue;
        const cl = count - cr;
        const hl = h - hr;
        if (cl < minSamplesLeaf || hl < MIN_HESSIAN) break;
        const gl2 = g - gr;
        const gain = (gl2 * gl2) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          best = { gain, feature: j, bin: b, missingLeft: true, gLeft: gl2, hLeft: hl, countLeft: cl };
        }
      }
    }
    return best;
  }

  private splittable(node: GrowNode, leaves: number): boolean {
    const { maxDepth, maxLeafNodes, minSamplesLeaf } = this.options;
    return (
      leaves < maxLeafNodes &&
      (maxDepth === null || node.depth < maxDepth) &&
      node.end - node.start >= 2 * minSamplesLeaf
    );
  }

  /**
   * Moves the node's left rows (codes, gradients, scores, labels) before its right ones: the
   * right-goers among its first countLeft positions swap with the left-goers among the
   * others. The main thread finds the first, a helper the second, then they share the swaps.
   */
  private partition(node: GrowNode, split: Split): number {
    const { codes, n, fromLeft, fromRight } = this.state;
    const middle = node.start + split.countLeft;
    const rule = {
      FEATURE: split.feature,
      BIN: split.bin,
      MISSING_LEFT: split.missingLeft ? 1 : 0,
      MISSING_CODE: this.nBins[split.feature] as number,
    };
    const find = (start: number, end: number, left: number, out: Uint32Array) =>
      misplaced(
        codes,
        n,
        rule.FEATURE,
        rule.BIN,
        rule.MISSING_LEFT,
        rule.MISSING_CODE,
        start,
        end,
        left,
        out,
      );
    const parallel = node.end - node.start >= PARALLEL_POSITIONS;
    const helper = this.helpers[0];
    const posted = parallel && helper?.post({ ...rule, KIND: Job.MISPLACED, START: middle, END: node.end });
    const count = find(node.start, middle, 1, fromLeft);
    const others = helper && posted ? helper.wait() : find(middle, node.end, 0, fromRight);
    if (others !== count)
      throw new StrataError('internal', `boosted trees: a partition found ${count} and ${others} rows`);
    this.together({ KIND: Job.SWAP, END: count }, Math.ceil(this.p / 4) + 1, count >= PARALLEL_POSITIONS);
    return middle;
  }

  /** One boosting step: gradients at the current raw scores, a tree on them, its leaf values added to the raw scores. */
  grow(): GrownTree {
    const { learningRate, l2, maxLeafNodes } = this.options;
    const { pool, raw } = this.state;
    const tree = { feature: [] as number[], threshold: [] as number[], missingLeft: [] as boolean[] };
    const links = {
      left: [] as number[],
      right: [] as number[],
      value: [] as number[],
      bins: [] as number[],
    };
    const gains = new Float64Array(this.p);
    const all: GrowNode[] = [];
    const addNode = (start: number, end: number, depth: number, gSum: number, hSum: number): GrowNode => {
      const node: GrowNode = { id: all.length, start, end, depth, g: gSum, h: hSum, hist: -1, split: null };
      all.push(node);
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.missingLeft.push(false);
      links.left.push(-1);
      links.right.push(-1);
      links.bins.push(0);
      links.value.push(hSum + l2 > 0 ? (-learningRate * gSum) / (hSum + l2) : 0);
      return node;
    };
    const open: GrowNode[] = [];
    /** Finds the node's split; keeps it open if there is one. */
    const consider = (node: GrowNode) => {
      node.split = this.bestSplit(node.hist, node.g, node.h, node.end - node.start);
      if (node.split) open.push(node);
      else this.release(node);
    };
    const sums = this.gradients();
    const root = addNode(0, this.n, 0, sums.g, sums.h);
    let leaves = 1;
    if (this.splittable(root, leaves)) {
      root.hist = this.take();
      this.histogram(root.hist, 0, this.n);
      consider(root);
    }
    while (leaves < maxLeafNodes && open.length > 0) {
      let at = 0;
      for (let k = 1; k < open.length; k++)
        if (((open[k] as GrowNode).split?.gain ?? 0) > ((open[at] as GrowNode).split?.gain ?? 0)) at = k;
      const node = open.splice(at, 1)[0] as GrowNode;
      const split = node.split as Split;
      const middle = this.partition(node, split);
      const left = addNode(node.start, middle, node.depth + 1, split.gLeft, split.hLeft);
      const right = addNode(middle, node.end, node.depth + 1, node.g - split.gLeft, node.h - split.hLeft);
      leaves++;
      const cuts = this.edges[split.feature] as Float64Array;
      tree.feature[node.id] = split.feature;
      tree.threshold[node.id] = split.bin < cuts.length ? (cuts[split.bin] as number) : Number.MAX_VALUE;
      tree.missingLeft[node.id] = split.missingLeft;
      links.left[node.id] = left.id;
      links.right[node.id] = right.id;
      links.bins[node.id] = split.bin;
      gains[split.feature] = (gains[split.feature] as number) + split.gain;
      const [small, large] = left.end - left.start <= right.end - right.start ? [left, right] : [right, left];
      if (this.splittable(small, leaves) || this.splittable(large, leaves)) {
        small.hist = this.take();
        this.histogram(small.hist, small.start, small.end);
        if (this.splittable(large, leaves)) {
          // The larger child's histogram is the parent's minus the smaller's.
          for (let s = 0; s < this.size; s++)
            pool[node.hist + s] = (pool[node.hist + s] as number) - (pool[small.hist + s] as number);
          large.hist = node.hist;
          node.hist = -1;
          consider(large);
        }
        if (this.splittable(small, leaves)) consider(small);
        else this.release(small);
      }
      this.release(node);
    }
    for (const node of open) this.release(node);
    for (const node of all) {
      if (tree.feature[node.id] !== -1) continue;
      const value = links.value[node.id] as number;
      for (let k = node.start; k < node.end; k++) raw[k] = (raw[k] as number) + value;
    }
    const { bins, ...rest } = links;
    return { tree: { ...tree, ...rest }, bins, gains };
  }
}

/** log(1 + e^raw) - y raw, without overflow. */
function logLoss(raw: number, y: number): number {
  return Math.max(raw, 0) + Math.log1p(Math.exp(-Math.abs(raw))) - y * raw;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

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
      const chosen = rows[pick] as number;
      rows[pick] = rows[k] as number;
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
    for (let f = feature[0] as number; f >= 0; f = feature[node] as number) {
      const code = codeAt(codes, n, f, i);
      const goLeft = code === (nBins[f] as number) ? missingLeft[node] : code <= (grown.bins[node] as number);
      node = (goLeft ? left[node] : right[node]) as number;
    }
    raw[i] = (raw[i] as number) + (value[node] as number);
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
    for (let i = 0; i < nValidation; i++)
      loss += logLoss(validationRaw[i] as number, validation.y[i] as number);
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
    const limit = (losses[reference] as number) - options.tolerance;
    if (reference >= 0 && losses.slice(reference + 1).every((loss) => !(loss < limit))) break;
  }
  let kept = grown.length;
  if (options.earlyStopping) {
    kept = 0;
    for (let k = 1; k < losses.length; k++) if ((losses[k] as number) < (losses[kept] as number)) kept = k;
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
  const yTrain = Float64Array.from(train, (i) => y[i] as number);
  let mean = 0;
  for (let i = 0; i < nTrain; i++) mean += yTrain[i] as number;
  mean = Math.min(Math.max(mean / nTrain, Number.EPSILON), 1 - Number.EPSILON);
  const baseScore = Math.log(mean / (1 - mean));
  const held = {
    codes: binRows(x, p, validation, edges).codes,
    y: Float64Array.from(validation, (i) => y[i] as number),
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
    for (let j = 0; j < p; j++) importance[j] = (importance[j] as number) + (tree.gains[j] as number);
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

/** Log-odds for `n` rows of the model's features (row-major, raw units, NaN for missing). */
export function rawScoreBoostedTrees(model: BoostedTreesModel, x: Float64Array): Float64Array {
  const p = model.features.length;
  const n = x.length / p;
  const out = new Float64Array(n).fill(model.baseScore);
  for (const tree of model.trees) {
    for (let i = 0; i < n; i++) {
      const at = i * p;
      let node = 0;
      for (let f = tree.feature[0] as number; f >= 0; f = tree.feature[node] as number) {
        const v = x[at + f] as number;
        const goLeft = Number.isNaN(v) ? tree.missingLeft[node] : v <= (tree.threshold[node] as number);
        node = (goLeft ? tree.left[node] : tree.right[node]) as number;
      }
      out[i] = (out[i] as number) + (tree.value[node] as number);
    }
  }
  return out;
}

/** Predicted probabilities (0-1) for `n` rows of the model's features (row-major, raw units, NaN for missing). */
export function predictBoostedTrees(model: BoostedTreesModel, x: Float64Array): Float64Array {
  return rawScoreBoostedTrees(model, x).map(sigmoid);
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
