import { StrataError } from '../../errors.js';
import { WorkerPool } from '../worker-pool.js';
import { bestSplit, type Split, type SplitSearch } from './best-split.js';
import { allocateGrower } from './grower-memory.js';
import {
  ARG_WORDS,
  Arg,
  Job,
  type Kernel,
  misplaced,
  type SharedState,
  SUM_BLOCK,
  takeItems,
} from './kernels.js';
import type { BoostedTree, ResolvedBoostedTreesOptions } from './model.js';

/** Growing one tree at a time from binned rows, leaf-wise, with worker threads. */

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
 * A histogram holds two sums per bin: of g, and of h + unit, where unit is a power of two
 * above the largest possible sum of hessians (each is at most 1/4, so unit > n / 4). The
 * sum of h + unit over c rows is c * unit + sum(h) with sum(h) < unit, so it carries the
 * row count exactly (floor(sum / unit)) and the hessian sum with about 1e-7 relative
 * precision at a million rows (scikit-learn keeps hessians in 32-bit floats): one addition
 * per row and bin less in the hot loop, a third faster.
 */

/** Below this many positions a job stays on the main thread (posting one costs microseconds). */
const PARALLEL_POSITIONS = 1 << 12;

/** A job's arguments by name. */
type Words = Readonly<Partial<Record<keyof typeof Arg, number>>>;

/**
 * Grows trees on binned training rows, each at a position. The rows of a node are a
 * contiguous range of positions: a split swaps the rows on the wrong side (their codes,
 * gradients, raw scores and labels) so that each side is contiguous again (Hoare's
 * partition: a balanced split moves a quarter of the node), and every read is in sequence.
 * Rows stay where the last tree left them; which row is where never matters, as the
 * training rows' scores are only used here. Histograms live in one pool, (g, h) per bin, a
 * feature's bins in a row.
 *
 * Worker threads take a share of each job (scikit-learn spreads the same work with OpenMP):
 * the main thread posts a job, does its own share, then waits for the workers.
 */
export class TreeGrower {
  private readonly state: SharedState;
  private readonly search: SplitSearch;
  private readonly size: number;
  private readonly kernel: Kernel;
  private readonly free: number[] = [];
  private readonly pool: WorkerPool<'boosting'> | null;
  /** The running job's arguments. */
  private readonly args = new Int32Array(ARG_WORDS);

  constructor(
    private readonly n: number,
    private readonly p: number,
    codes: Uint32Array,
    y: Float64Array,
    nBins: Int32Array,
    hasMissing: Uint8Array,
    private readonly edges: readonly Float64Array[],
    private readonly options: ResolvedBoostedTreesOptions,
    threads: number,
  ) {
    const capacity = options.maxLeafNodes + 2;
    const memory = allocateGrower(n, p, codes, y, nBins, capacity);
    ({ state: this.state, kernel: this.kernel, size: this.size } = memory);
    const { offsets, stride } = memory;
    this.search = { pool: this.state.pool, unit: this.state.unit, offsets, nBins, hasMissing, options };
    for (let k = capacity - 1; k >= 0; k--) this.free.push(k * stride);
    const workers = Math.max(0, Math.min(threads, Math.ceil(p / 4)) - 1);
    // Jobs take milliseconds: a worker silent for 60 s is stuck.
    this.pool = workers > 0 ? new WorkerPool('boosting', this.state, workers, 'boosted trees', 60_000) : null;
  }

  /** Raw scores (log-odds) of the positions. */
  get raw(): Float64Array {
    return this.state.raw;
  }

  /** Terminates the worker threads. */
  stop(): void {
    this.pool?.close();
  }

  /** Sets the job's arguments (the others 0). */
  private encode(words: Words): Int32Array {
    this.args.fill(0);
    for (const [name, value] of Object.entries(words)) this.args[Arg[name as keyof typeof Arg]] = value;
    return this.args;
  }

  /**
   * Runs a job of `count` items on every thread: each takes the next item until none is
   * left. An item is done the same way whichever thread takes it.
   */
  private together(words: Words, count: number, parallel: boolean): void {
    const { pool } = this;
    Atomics.store(this.state.next, 0, 0);
    const args = this.encode({ ...words, COUNT: count });
    const posted = Array.from({ length: pool?.size ?? 0 }, (_, t) => parallel && !!pool?.offer(t, args));
    takeItems(this.state, this.kernel, args);
    posted.forEach((done, t) => {
      if (done) pool?.wait(t);
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
      gSum += this.state.sums[2 * b] ?? 0;
      hSum += this.state.sums[2 * b + 1] ?? 0;
    }
    return { g: gSum, h: hSum };
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
   * others. The main thread finds the first, a worker the second, then they share the swaps.
   */
  private partition(node: GrowNode, split: Split): number {
    const { codes, n, fromLeft, fromRight } = this.state;
    const middle = node.start + split.countLeft;
    const rule = {
      FEATURE: split.feature,
      BIN: split.bin,
      MISSING_LEFT: split.missingLeft ? 1 : 0,
      MISSING_CODE: this.search.nBins[split.feature] ?? 0,
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
    const { pool } = this;
    const job = this.encode({ ...rule, KIND: Job.MISPLACED, START: middle, END: node.end });
    const posted = parallel && pool?.post(0, job);
    const count = find(node.start, middle, 1, fromLeft);
    const others = pool && posted ? pool.wait(0) : find(middle, node.end, 0, fromRight);
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
      node.split = bestSplit(this.search, node.hist, node.g, node.h, node.end - node.start);
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
      tree.threshold[node.id] = split.bin < cuts.length ? (cuts[split.bin] ?? 0) : Number.MAX_VALUE;
      tree.missingLeft[node.id] = split.missingLeft;
      links.left[node.id] = left.id;
      links.right[node.id] = right.id;
      links.bins[node.id] = split.bin;
      gains[split.feature] = (gains[split.feature] ?? 0) + split.gain;
      const [small, large] = left.end - left.start <= right.end - right.start ? [left, right] : [right, left];
      if (this.splittable(small, leaves) || this.splittable(large, leaves)) {
        small.hist = this.take();
        this.histogram(small.hist, small.start, small.end);
        if (this.splittable(large, leaves)) {
          // The larger child's histogram is the parent's minus the smaller's.
          for (let s = 0; s < this.size; s++)
            pool[node.hist + s] = (pool[node.hist + s] ?? 0) - (pool[small.hist + s] ?? 0);
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
      const value = links.value[node.id] ?? 0;
      for (let k = node.start; k < node.end; k++) raw[k] = (raw[k] ?? 0) + value;
    }
    const { bins, ...rest } = links;
    return { tree: { ...tree, ...rest }, bins, gains };
  }
}
