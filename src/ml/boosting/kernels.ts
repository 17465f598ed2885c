import type { Task } from '../worker-tasks.js';

/**
 * The inner loops of a fit (gradients, partition moves; histograms are histogram.wat's) and
 * the task a worker thread runs them in (`boostingTask`), on the grower's shared memory.
 */

/** The exports of histogram.wat; addresses are bytes in the shared memory. */
export interface Kernel {
  /** Adds the g and h of positions [start, end) to the bin of each, for the feature groups [from, to). */
  readonly accumulate: (
    hist: number,
    codes: number,
    n: number,
    bases: number,
    from: number,
    to: number,
    start: number,
    end: number,
    g: number,
    h: number,
  ) => void;
  /** Swaps the 32-bit (64-bit) values at positions a[t] and b[t] of an array, t < count. */
  readonly swap32: (values: number, a: number, b: number, count: number) => void;
  readonly swap64: (values: number, a: number, b: number, count: number) => void;
}

/** Rows per block of the gradients' sums: fixed, so that the sums do not depend on the threads. */
export const SUM_BLOCK = 1 << 16;

/**
 * Gradients g = p - y and hessians p (1 - p) + unit of log loss at the raw scores, for the
 * blocks of SUM_BLOCK positions [from, to); each block's plain sums go to sums[2 block]
 * and sums[2 block + 1].
 */
export function logLossGradients(
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
      const prob = 1 / (1 + Math.exp(-(raw[i] ?? 0)));
      const gi = prob - (y[i] ?? 0);
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
export function misplaced(
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
    const code = ((codes[column + k] ?? 0) >>> shift) & 255;
    const goesLeft = code === missingCode ? missingLeft : code <= bin ? 1 : 0;
    // Written every time, kept by counting: the sides alternate unpredictably.
    out[count] = k;
    count += goesLeft ^ left;
  }
  return count;
}

/** What the grower and its workers share (typed arrays on SharedArrayBuffers and the kernel's shared memory). */
export interface SharedState {
  /** The memory of the histogram kernel, which holds pool, codes, g, h and bases, and the kernel's compiled module. */
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  /** Byte addresses in `memory` of the arrays below that the kernel reads. */
  readonly at: Readonly<
    Record<'pool' | 'codes' | 'g' | 'h' | 'bases' | 'raw' | 'y' | 'fromLeft' | 'fromRight', number>
  >;
  /** Histograms. */
  readonly pool: Float64Array;
  /** Packed codes of the positions (see binRows). */
  readonly codes: Uint32Array;
  readonly n: number;
  readonly p: number;
  /** Where each feature's (g, h) pairs start in a histogram, in bytes, four per group (see histogram.wat). */
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
 * A job's arguments: KIND and the words after it describe it (AT a histogram's place in the
 * pool, or the gradients' block size; START and END a range of positions or the number of
 * swaps; COUNT its items; the split rule for MISPLACED).
 */
export const Arg = {
  KIND: 0,
  AT: 1,
  START: 2,
  END: 3,
  COUNT: 4,
  FEATURE: 5,
  BIN: 6,
  MISSING_LEFT: 7,
  MISSING_CODE: 8,
} as const;
export const ARG_WORDS = 9;
/** Job kinds. */
export const Job = { HISTOGRAM: 1, GRADIENTS: 2, MISPLACED: 3, SWAP: 4 } as const;

/** The histogram and swap kernels over the shared memory, for one thread. */
export function instantiate(state: Pick<SharedState, 'module' | 'memory'>): Kernel {
  return new WebAssembly.Instance(state.module, { env: { memory: state.memory } })
    .exports as unknown as Kernel;
}

/**
 * One item of a job shared out item by item (a histogram's pair of feature groups, a
 * partition's array to move, a block of gradients); the same on every thread.
 */
export function doItem(state: SharedState, kernel: Kernel, args: Int32Array, item: number): void {
  const { n, p, at } = state;
  const kind = args[Arg.KIND];
  if (kind === Job.HISTOGRAM) {
    const hist = at.pool + 8 * (args[Arg.AT] ?? 0);
    const [start, end] = [args[Arg.START] ?? 0, args[Arg.END] ?? 0];
    const to = Math.min(2 * item + 2, Math.ceil(p / 4));
    kernel.accumulate(hist, at.codes, n, at.bases, 2 * item, to, start, end, at.g, at.h);
  } else if (kind === Job.SWAP) {
    const count = args[Arg.END] ?? 0;
    // Item 0 moves the four arrays of doubles (the largest item goes first); then one per group.
    if (item > 0) kernel.swap32(at.codes + 4 * (item - 1) * n, at.fromLeft, at.fromRight, count);
    else
      for (const values of [at.g, at.h, at.raw, at.y])
        kernel.swap64(values, at.fromLeft, at.fromRight, count);
  } else {
    const { raw, y, g, h, unit, sums } = state;
    logLossGradients(raw, y, g, h, unit, item, item + 1, sums, args[Arg.AT] ?? 0);
  }
}

/** Takes the job's items until none is left (so a thread that does more serial work simply takes fewer). */
export function takeItems(state: SharedState, kernel: Kernel, args: Int32Array): void {
  const count = args[Arg.COUNT] ?? 0;
  for (let item = Atomics.add(state.next, 0, 1); item < count; item = Atomics.add(state.next, 0, 1))
    doItem(state, kernel, args, item);
}

/**
 * A worker's job: for MISPLACED, the right part's misplaced positions into fromRight (their
 * count is the result); else its share of the job's items.
 */
export const boostingTask: Task<SharedState> = (state) => {
  const kernel = instantiate(state);
  return (args) => {
    if (args[Arg.KIND] !== Job.MISPLACED) {
      takeItems(state, kernel, args);
      return 0;
    }
    const rule = [args[Arg.FEATURE], args[Arg.BIN], args[Arg.MISSING_LEFT], args[Arg.MISSING_CODE]];
    const [feature = 0, bin = 0, missingLeft = 0, missingCode = 0] = rule;
    const [start, end] = [args[Arg.START] ?? 0, args[Arg.END] ?? 0];
    return misplaced(
      state.codes,
      state.n,
      feature,
      bin,
      missingLeft,
      missingCode,
      start,
      end,
      0,
      state.fromRight,
    );
  };
};
