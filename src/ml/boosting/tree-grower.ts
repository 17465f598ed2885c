import { Worker } from 'node:worker_threads';
import { StrataError } from '../../errors.js';
import { WASM_BASE64 } from './histogram-wasm.js';
import {
  CONTROL_WORDS,
  doItem,
  Job,
  type Kernel,
  logLossGradients,
  misplaced,
  type SharedState,
  SUM_BLOCK,
  serve,
  Word,
} from './kernels.js';
import type { BoostedTree, ResolvedBoostedTreesOptions } from './model.js';

/** Growing one tree at a time from binned rows, leaf-wise, with a helper thread. */

let compiled: WebAssembly.Module | null = null;
/** The histogram kernel, compiled once a process. */
function histogramModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
  return compiled;
}

/** A child needs this much hessian (scikit-learn's min_hessian_to_split). */
const MIN_HESSIAN = 1e-3;

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
export interface GrownTree {
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
      ...[logLossGradients, misplaced, doItem].map(String),
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
export class TreeGrower {
  private readonly state: Omit<SharedState, 'control'>;
  /** Per feature, its first bin; histograms are `size` numbers long, `stride` apart in the pool. */
  private readonly offsets: Int32Array;
  private readonly size: number;
  private readonly stride: number;
  private readonly kernel: Kernel;
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
    // After each histogram, a spare bin per code where the unused slots of the last
    // feature group add harmlessly (histogram.wat).
    this.stride = this.size + 512;
    const capacity = options.maxLeafNodes + 2;
    const shared = (bytes: number) => new SharedArrayBuffer(bytes);
    const groups = Math.ceil(p / 4);
    const helpers = Math.max(0, Math.min(threads, groups) - 1);
    // The kernel's memory, each array 16-byte aligned.
    const sizes = {
      pool: capacity * this.stride * 8,
      codes: groups * n * 4,
      g: n * 8,
      h: n * 8,
      raw: n * 8,
      y: n * 8,
      fromLeft: n * 4,
      fromRight: n * 4,
      bases: groups * 16,
    };
    const at = { pool: 0, codes: 0, g: 0, h: 0, raw: 0, y: 0, fromLeft: 0, fromRight: 0, bases: 0 };
    let bytes = 0;
    for (const key of Object.keys(sizes) as (keyof typeof sizes)[]) {
      at[key] = bytes;
      bytes += Math.ceil(sizes[key] / 16) * 16;
    }
    const pages = Math.ceil(bytes / 65536);
    if (pages > 65536)
      throw new StrataError(
        'invalid_argument',
        `boosted trees: ${n} rows of ${p} features need ${(bytes / 2 ** 30).toFixed(1)} GiB of histogram memory; the limit is 4 GiB (train on a sample)`,
      );
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const module = histogramModule();
    this.kernel = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernel;
    const bases = new Int32Array(memory.buffer, at.bases, groups * 4).fill(this.size * 8);
    for (let j = 0; j < p; j++) bases[j] = (this.offsets[j] as number) * 16;
    this.state = {
      memory,
      module,
      at,
      pool: new Float64Array(memory.buffer, at.pool, sizes.pool / 8),
      codes: new Uint32Array(memory.buffer, at.codes, groups * n),
      n,
      p,
      bases,
      g: new Float64Array(memory.buffer, at.g, n),
      h: new Float64Array(memory.buffer, at.h, n),
      unit: 2 ** Math.ceil(Math.log2(n / 4 + 1)),
      raw: new Float64Array(memory.buffer, at.raw, n),
      y: new Float64Array(memory.buffer, at.y, n),
      fromLeft: new Uint32Array(memory.buffer, at.fromLeft, n),
      fromRight: new Uint32Array(memory.buffer, at.fromRight, n),
      sums: new Float64Array(shared(Math.ceil(n / SUM_BLOCK) * 16)),
      next: new Int32Array(shared(4)),
    };
    this.state.codes.set(codes);
    this.state.y.set(y);
    for (let k = capacity - 1; k >= 0; k--) this.free.push(k * this.stride);
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
      doItem(this.state as SharedState, this.kernel, this.mine, Word, Job, item);
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
