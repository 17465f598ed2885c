/**
 * The inner loops of a fit (histograms, gradients, partition moves) and the loop of a worker
 * thread that runs them on shared memory. Each function here is self-contained (it uses
 * nothing but its arguments and the other functions of this file) because tree-grower.ts
 * sends their source text to the worker.
 */

/** Adds g and h (already plus the unit) to slot `s` of a histogram of (g, h) pairs. */
export function add(hist: Float64Array, s: number, g: number, h: number): void {
  hist[s] = (hist[s] as number) + g;
  hist[s + 1] = (hist[s + 1] as number) + h;
}

/**
 * Adds the g and h of positions [start, end) to the slot of each one's bin in the histogram
 * at `at`, for the feature groups [from, to): the hot loop of the fit. Codes, g and h are
 * all in the node order of the positions, so every read is in sequence.
 */
export function accumulate(
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
    const code = ((codes[column + k] as number) >>> shift) & 255;
    const goesLeft = code === missingCode ? missingLeft : code <= bin ? 1 : 0;
    // Written every time, kept by counting: the sides alternate unpredictably.
    out[count] = k;
    count += goesLeft ^ left;
  }
  return count;
}

/** Swaps the words at `offset` + a[t] and `offset` + b[t] for t < count: a partition's moves. */
export function swapWords(
  values: Uint32Array,
  offset: number,
  a: Uint32Array,
  b: Uint32Array,
  count: number,
): void {
  for (let t = 0; t < count; t++) {
    const i = offset + (a[t] as number);
    const j = offset + (b[t] as number);
    const value = values[i] as number;
    values[i] = values[j] as number;
    values[j] = value;
  }
}

/** swapWords for doubles (a function per array type keeps each loop monomorphic). */
export function swapDoubles(values: Float64Array, a: Uint32Array, b: Uint32Array, count: number): void {
  for (let t = 0; t < count; t++) {
    const i = a[t] as number;
    const j = b[t] as number;
    const value = values[i] as number;
    values[i] = values[j] as number;
    values[j] = value;
  }
}

/** What the grower and its helpers share (typed arrays on SharedArrayBuffers). */
export interface SharedState {
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
export const Word = {
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
export const CONTROL_WORDS = 15;
/** Job kinds; see serve. */
export const Job = { HISTOGRAM: 1, GRADIENTS: 2, MISPLACED: 3, SWAP: 4 };

/**
 * One item of a job shared out item by item (a histogram's pair of feature groups, a
 * partition's array to move, a block of gradients); the same on every thread.
 */
export function doItem(
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
export function serve(state: SharedState, word: typeof Word, job: typeof Job): void {
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
