import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { StrataError } from '../errors.js';
import { Rng } from '../random.js';

/**
 * k-means on standardised features over typed arrays: k-means++ seeding (Arthur &
 * Vassilvitskii, 2007) from a seeded random stream, Lloyd iterations, several starts.
 * Deterministic for a seed. Choosing k is choose-k.ts.
 */

/** A seeded uniform stream in [0, 1). */
export function seededRandom(seed: number): () => number {
  const rng = new Rng(seed >>> 0);
  return () => rng.next();
}

// The kernels below run on the main thread and, stringified, in worker threads: they use
// nothing from outside themselves but each other and the arrays they are given.

/** Squared distance from row `i` of `x` to row `c` of `centres`, computed from the differences (exact). */
function distance2(x: Float64Array, i: number, centres: Float64Array, c: number, p: number): number {
  let d0 = 0;
  let d1 = 0;
  let a = i * p;
  let b = c * p;
  for (const end = a + p - 1; a < end; a += 2, b += 2) {
    const u = (x[a] as number) - (centres[b] as number);
    const v = (x[a + 1] as number) - (centres[b + 1] as number);
    d0 += u * u;
    d1 += v * v;
  }
  if (a < i * p + p) {
    const u = (x[a] as number) - (centres[b] as number);
    d0 += u * u;
  }
  return d0 + d1;
}

/**
 * Dot products of the rows `rows[from..to)` of `x` with `m` centres, into
 * `out[(r - from) * m + c]`. Three rows by three centres at a time: nine sums in registers
 * for six loads a column, about three times the speed of one distance at a time. Distances
 * then come from |x|^2 + |c|^2 - 2 x.c, as in scikit-learn.
 */
function dots(
  x: Float64Array,
  rows: Int32Array,
  from: number,
  to: number,
  centres: Float64Array,
  m: number,
  p: number,
  out: Float64Array,
): void {
  const whole = m - (m % 3);
  let r = from;
  for (; r + 3 <= to; r += 3) {
    const o = (r - from) * m;
    const x0 = (rows[r] as number) * p;
    const x1 = (rows[r + 1] as number) * p;
    const x2 = (rows[r + 2] as number) * p;
    for (let c = 0; c < whole; c += 3) {
      const c0 = c * p;
      const c1 = c0 + p;
      const c2 = c1 + p;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s20 = 0;
      let s21 = 0;
      let s22 = 0;
      for (let j = 0; j < p; j++) {
        const a = x[x0 + j] as number;
        const b = x[x1 + j] as number;
        const e = x[x2 + j] as number;
        const u = centres[c0 + j] as number;
        const v = centres[c1 + j] as number;
        const w = centres[c2 + j] as number;
        s00 += a * u;
        s01 += a * v;
        s02 += a * w;
        s10 += b * u;
        s11 += b * v;
        s12 += b * w;
        s20 += e * u;
        s21 += e * v;
        s22 += e * w;
      }
      out[o + c] = s00;
      out[o + c + 1] = s01;
      out[o + c + 2] = s02;
      out[o + m + c] = s10;
      out[o + m + c + 1] = s11;
      out[o + m + c + 2] = s12;
      out[o + 2 * m + c] = s20;
      out[o + 2 * m + c + 1] = s21;
      out[o + 2 * m + c + 2] = s22;
    }
    for (let c = whole; c < m; c++) {
      const c0 = c * p;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let j = 0; j < p; j++) {
        const u = centres[c0 + j] as number;
        s0 += (x[x0 + j] as number) * u;
        s1 += (x[x1 + j] as number) * u;
        s2 += (x[x2 + j] as number) * u;
      }
      out[o + c] = s0;
      out[o + m + c] = s1;
      out[o + 2 * m + c] = s2;
    }
  }
  for (; r < to; r++) {
    const x0 = (rows[r] as number) * p;
    for (let c = 0; c < m; c++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += (x[x0 + j] as number) * (centres[c * p + j] as number);
      out[(r - from) * m + c] = s;
    }
  }
}

/** Squared norms of `m` rows of p values. */
function squaredNorms(values: Float64Array, m: number, p: number): Float64Array {
  const norms = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += (values[c * p + j] as number) ** 2;
    norms[c] = s;
  }
  return norms;
}

/** Rows measured together: the dot products of a chunk stay in the first-level cache. */
const CHUNK = 240;

/**
 * What one thread keeps per row, reused from start to start. `labels`, `upper` and `lower`
 * are Hamerly's (2010): each row's centre, the distance to it (an upper bound once centres
 * move) and a lower bound on the distance to any other centre.
 */
interface Scratch {
  readonly labels: Int32Array;
  readonly previous: Int32Array;
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  /** Rows to measure against every centre. */
  readonly pending: Int32Array;
  /** One chunk's dot products. */
  readonly out: Float64Array;
}

function newScratch(n: number, width: number, chunk: number): Scratch {
  return {
    labels: new Int32Array(n),
    previous: new Int32Array(n),
    upper: new Float64Array(n),
    lower: new Float64Array(n),
    pending: new Int32Array(n),
    out: new Float64Array(chunk * width),
  };
}

/** A start's seeding sample: its rows, their squared norms and their sum, 0..m-1, the squared distance to the nearest seed, each trial's squared distances (trials x m). */
interface Sample {
  readonly x: Float64Array;
  readonly norms: Float64Array;
  normTotal: number;
  readonly all: Int32Array;
  readonly nearest: Float64Array;
  readonly trial: Float64Array;
}

function newSample(m: number, p: number, trials: number): Sample {
  const all = new Int32Array(m);
  for (let i = 0; i < m; i++) all[i] = i;
  return {
    x: new Float64Array(m * p),
    norms: new Float64Array(m),
    normTotal: 0,
    all,
    nearest: new Float64Array(m),
    trial: new Float64Array(trials * m),
  };
}

/**
 * Greedy k-means++ seeds (scikit-learn's) into `centroids`, chosen among the sample's rows:
 * the first drawn uniformly, each next seed the best of `trials` candidates drawn with
 * probability proportional to the squared distance to the nearest seed so far, the best
 * being the one that leaves the smallest total. `draws` holds the 1 + (k - 1) x trials
 * uniform numbers used. All candidates are measured in one pass over the sample.
 */
function seedCentres(
  p: number,
  k: number,
  draws: Float64Array,
  trials: number,
  chunk: number,
  sample: Sample,
  out: Float64Array,
  centroids: Float64Array,
): void {
  const { x, norms, all, nearest, trial } = sample;
  const m = norms.length;
  const first = Math.min(m - 1, Math.floor((draws[0] as number) * m));
  for (let j = 0; j < p; j++) centroids[j] = x[first * p + j] as number;
  let total = 0;
  for (let from = 0; from < m; from += chunk) {
    const to = Math.min(m, from + chunk);
    dots(x, all, from, to, centroids, 1, p, out);
    for (let i = from; i < to; i++) {
      const d = Math.max(0, (norms[i] as number) + (norms[first] as number) - 2 * (out[i - from] as number));
      nearest[i] = d;
      total += d;
    }
  }
  const candidates = new Float64Array(trials * p);
  const candidateNorms = new Float64Array(trials);
  const sums = new Float64Array(trials);
  for (let c = 1; c < k; c++) {
    for (let t = 0; t < trials; t++) {
      let target = (draws[1 + (c - 1) * trials + t] as number) * total;
      let row = m - 1;
      for (let i = 0; i < m; i++) {
        target -= nearest[i] as number;
        if (target <= 0) {
          row = i;
          break;
        }
      }
      for (let j = 0; j < p; j++) candidates[t * p + j] = x[row * p + j] as number;
      candidateNorms[t] = norms[row] as number;
    }
    sums.fill(0);
    for (let from = 0; from < m; from += chunk) {
      const to = Math.min(m, from + chunk);
      dots(x, all, from, to, candidates, trials, p, out);
      for (let t = 0; t < trials; t++) {
        const norm = candidateNorms[t] as number;
        let sum = 0;
        for (let i = from; i < to; i++) {
          const d = Math.max(0, (norms[i] as number) + norm - 2 * (out[(i - from) * trials + t] as number));
          const kept = Math.min(nearest[i] as number, d);
          trial[t * m + i] = kept;
          sum += kept;
        }
        sums[t] = (sums[t] as number) + sum;
      }
    }
    let best = 0;
    for (let t = 1; t < trials; t++) if ((sums[t] as number) < (sums[best] as number)) best = t;
    for (let j = 0; j < p; j++) centroids[c * p + j] = candidates[best * p + j] as number;
    nearest.set(trial.subarray(best * m, best * m + m));
    total = sums[best] as number;
  }
}

/**
 * The nearest centre (the lower number on a tie) of each row in `rows[0..count)`, with
 * Hamerly's bounds: the distance to it and to the second nearest.
 */
function assignRows(
  x: Float64Array,
  norms: Float64Array,
  rows: Int32Array,
  count: number,
  centroids: Float64Array,
  k: number,
  p: number,
  chunk: number,
  scratch: Scratch,
): void {
  const { labels, upper, lower, out } = scratch;
  const centreNorms = squaredNorms(centroids, k, p);
  for (let from = 0; from < count; from += chunk) {
    const to = Math.min(count, from + chunk);
    dots(x, rows, from, to, centroids, k, p, out);
    for (let r = from; r < to; r++) {
      const i = rows[r] as number;
      const norm = norms[i] as number;
      let best = 0;
      let bestDistance = Number.POSITIVE_INFINITY;
      let second = Number.POSITIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        const d = Math.max(0, norm + (centreNorms[c] as number) - 2 * (out[(r - from) * k + c] as number));
        if (d < bestDistance) {
          second = bestDistance;
          best = c;
          bestDistance = d;
        } else if (d < second) second = d;
      }
      labels[i] = best;
      upper[i] = Math.sqrt(bestDistance);
      lower[i] = Math.sqrt(second);
    }
  }
}

/**
 * Hamerly's assignment step after the centres moved by `moved`: the bounds move with the
 * centres, and a row is measured against every centre only when they no longer separate
 * its centre from every other (ties are measured too).
 */
function reassign(
  x: Float64Array,
  norms: Float64Array,
  p: number,
  k: number,
  centroids: Float64Array,
  moved: Float64Array,
  chunk: number,
  scratch: Scratch,
): void {
  const { labels, upper, lower, pending } = scratch;
  const n = norms.length;
  let farthest = 0;
  for (let c = 0; c < k; c++) farthest = Math.max(farthest, moved[c] as number);
  // Half the distance from each centre to its nearest other centre.
  const half = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let nearest = Number.POSITIVE_INFINITY;
    for (let o = 0; o < k; o++)
      if (o !== c) nearest = Math.min(nearest, distance2(centroids, c, centroids, o, p));
    half[c] = Math.sqrt(nearest) / 2;
  }
  let count = 0;
  for (let i = 0; i < n; i++) {
    const own = labels[i] as number;
    const up = (upper[i] as number) + (moved[own] as number);
    const low = (lower[i] as number) - farthest;
    upper[i] = up;
    lower[i] = low;
    const bound = Math.max(half[own] as number, low);
    if (up < bound) continue;
    const exact = Math.sqrt(distance2(x, i, centroids, own, p));
    upper[i] = exact;
    if (exact < bound) continue;
    pending[count++] = i;
  }
  assignRows(x, norms, pending, count, centroids, k, p, chunk, scratch);
}

/**
 * Moves the rows whose label changed since `previous` between the clusters' `sums` and
 * `counts` (so the sums are never recomputed from scratch). Returns how many moved.
 */
function moveRows(
  x: Float64Array,
  p: number,
  labels: Int32Array,
  previous: Int32Array,
  sums: Float64Array,
  counts: Int32Array,
): number {
  let changed = 0;
  for (let i = 0; i < labels.length; i++) {
    const to = labels[i] as number;
    const from = previous[i] as number;
    if (to === from) continue;
    changed++;
    previous[i] = to;
    counts[to] = (counts[to] as number) + 1;
    for (let a = i * p, b = to * p, end = a + p; a < end; a++, b++)
      sums[b] = (sums[b] as number) + (x[a] as number);
    if (from < 0) continue;
    counts[from] = (counts[from] as number) - 1;
    for (let a = i * p, b = from * p, end = a + p; a < end; a++, b++)
      sums[b] = (sums[b] as number) - (x[a] as number);
  }
  return changed;
}

/**
 * Lloyd's iterations from `centroids` (updated in place), until no row changes centre or
 * the centres move less than `stopShift` in total squared distance (scikit-learn's rule),
 * then a last assignment to the final centres, whose labels end in `scratch.labels`.
 * Returns the iterations and the inertia, from the clusters' sums:
 * sum |x - c|^2 = sum |x|^2 - 2 c.S + n |c|^2 (`normTotal` is sum |x|^2).
 */
function lloyd(
  x: Float64Array,
  norms: Float64Array,
  normTotal: number,
  all: Int32Array,
  p: number,
  k: number,
  centroids: Float64Array,
  maxIterations: number,
  stopShift: number,
  chunk: number,
  scratch: Scratch,
): { iterations: number; inertia: number } {
  const { labels, previous } = scratch;
  const n = norms.length;
  const sums = new Float64Array(k * p);
  const counts = new Int32Array(k);
  const moved = new Float64Array(k);
  previous.fill(-1);
  assignRows(x, norms, all, n, centroids, k, p, chunk, scratch);
  let iterations = 0;
  while (iterations < maxIterations && moveRows(x, p, labels, previous, sums, counts) > 0) {
    iterations++;
    let shift = 0;
    // An emptied cluster keeps its centroid.
    for (let c = 0; c < k; c++) {
      const count = counts[c] as number;
      let own = 0;
      if (count > 0) {
        for (let j = 0; j < p; j++) {
          const value = (sums[c * p + j] as number) / count;
          own += (value - (centroids[c * p + j] as number)) ** 2;
          centroids[c * p + j] = value;
        }
      }
      moved[c] = Math.sqrt(own);
      shift += own;
    }
    reassign(x, norms, p, k, centroids, moved, chunk, scratch);
    if (shift <= stopShift) break;
  }
  moveRows(x, p, labels, previous, sums, counts);
  let inertia = normTotal;
  for (let c = 0; c < k; c++) {
    let dot = 0;
    let norm = 0;
    for (let j = 0; j < p; j++) {
      const value = centroids[c * p + j] as number;
      dot += value * (sums[c * p + j] as number);
      norm += value * value;
    }
    inertia += (counts[c] as number) * norm - 2 * dot;
  }
  return { iterations, inertia: Math.max(0, inertia) };
}

/** What the threads of one k-means share (typed arrays on SharedArrayBuffers when threaded). */
interface Job {
  readonly x: Float64Array;
  /** Each row's squared norm, and their sum. */
  readonly norms: Float64Array;
  readonly normTotal: number;
  /** 0, 1, ..., n - 1: every row, for `dots`. */
  readonly all: Int32Array;
  /** Each start's seeding sample: m sorted row numbers. */
  readonly samples: Int32Array;
  readonly p: number;
  readonly k: number;
  readonly starts: number;
  readonly trials: number;
  readonly chunk: number;
  readonly maxIterations: number;
  readonly stopShift: number;
  /** Each start's uniform draws, one after another. */
  readonly draws: Float64Array;
  /** Words: 0 = the next start to take, 1 = threads finished, 2 = a thread failed. */
  readonly control: Int32Array;
  /** Each start's centroids, inertia, iterations and thread. */
  readonly centroids: Float64Array;
  readonly inertias: Float64Array;
  readonly iterations: Float64Array;
  readonly threadOf: Int32Array;
  /** Each thread's best labels, threads x n. */
  readonly labels: Int32Array;
}

/**
 * Takes starts until none is left; every thread (the main one, 0, too) runs this. A start
 * seeds, iterates, and sums its inertia from each row's exact distance to its centre.
 */
function takeStarts(job: Job, thread: number): void {
  const { x, norms, all, p, k, starts, trials, chunk, control } = job;
  const n = norms.length;
  const perStart = 1 + (k - 1) * trials;
  const m = job.samples.length / starts;
  const width = Math.max(k, trials);
  try {
    const scratch = newScratch(n, width, chunk);
    const sample = newSample(m, p, trials);
    const sampleScratch = m < n ? newScratch(m, width, chunk) : null;
    const bestLabels = job.labels.subarray(thread * n, (thread + 1) * n);
    let best = Number.POSITIVE_INFINITY;
    for (let s = Atomics.add(control, 0, 1); s < starts; s = Atomics.add(control, 0, 1)) {
      const draws = job.draws.subarray(s * perStart, (s + 1) * perStart);
      const centroids = job.centroids.subarray(s * k * p, (s + 1) * k * p);
      sample.normTotal = 0;
      for (let r = 0; r < m; r++) {
        const row = job.samples[s * m + r] as number;
        sample.x.set(x.subarray(row * p, row * p + p), r * p);
        sample.norms[r] = norms[row] as number;
        sample.normTotal += norms[row] as number;
      }
      seedCentres(p, k, draws, trials, chunk, sample, scratch.out, centroids);
      // On a sample, Lloyd's iterations first bring the seeds near the optimum for little.
      if (sampleScratch) {
        const { x: xs, norms: ns, normTotal, all: rows } = sample;
        lloyd(
          xs,
          ns,
          normTotal,
          rows,
          p,
          k,
          centroids,
          job.maxIterations,
          job.stopShift,
          chunk,
          sampleScratch,
        );
      }
      const result = lloyd(
        x,
        norms,
        job.normTotal,
        all,
        p,
        k,
        centroids,
        job.maxIterations,
        job.stopShift,
        chunk,
        scratch,
      );
      job.inertias[s] = result.inertia;
      job.iterations[s] = result.iterations;
      job.threadOf[s] = thread;
      // Starts are taken in increasing order, so on a tie the thread keeps the earlier one.
      if (result.inertia < best) {
        best = result.inertia;
        bestLabels.set(scratch.labels);
      }
    }
  } catch (error) {
    Atomics.store(control, 2, 1);
    console.error(error);
  } finally {
    Atomics.add(control, 1, 1);
    Atomics.notify(control, 1);
  }
}

/** scikit-learn's stopping rule: centres moving less than tolerance x the mean variance of the features. */
function tolerance(x: Float64Array, p: number, relative: number): number {
  const n = x.length / p;
  const sums = new Float64Array(p);
  const squares = new Float64Array(p);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) {
      const v = x[i * p + j] as number;
      sums[j] = (sums[j] as number) + v;
      squares[j] = (squares[j] as number) + v * v;
    }
  let total = 0;
  for (let j = 0; j < p; j++) {
    const mean = (sums[j] as number) / n;
    total += Math.max(0, (squares[j] as number) / n - mean * mean);
  }
  return (relative * total) / p;
}

/**
 * Seeds come from a sample of this many rows per start when n is larger: k-means++ needs
 * k passes over its rows, Lloyd's iterations on every row then move the seeds to the same
 * optimum, and large-data implementations do the same (faiss trains on 256 rows a centre).
 */
const SEEDING_SAMPLE = 32_768;

/** m of the rows 0..n-1, drawn without replacement (Floyd's algorithm), in increasing order. */
function sampleRows(n: number, m: number, rng: Rng): Int32Array {
  if (m >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const chosen = new Set<number>();
  for (let j = n - m; j < n; j++) {
    const t = Math.floor(rng.next() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return Int32Array.from(chosen).sort();
}

export interface KMeansResult {
  readonly k: number;
  readonly centroids: Float64Array;
  readonly labels: Int32Array;
  /** Sum of squared distances of the rows to their centroid. */
  readonly inertia: number;
  readonly iterations: number;
}

/** Threads for the starts: the option, else every core (up to 8) when the data repays starting them. */
function threadsFor(requested: number | undefined, n: number, p: number, starts: number): number {
  const threads = requested ?? (n * p >= 1_000_000 ? availableParallelism() : 1);
  return Math.max(1, Math.min(Math.floor(threads), starts, 8));
}

/** Runs `takeStarts` on the main thread and `helpers` worker threads, and waits for them all. */
function runThreads(job: Job, helpers: number): void {
  // esbuild (tsx, vitest) may wrap functions in __name(); the worker has no such helper.
  const source = [
    '"use strict";',
    'const __name = (target) => target;',
    ...[
      distance2,
      dots,
      squaredNorms,
      newScratch,
      newSample,
      seedCentres,
      moveRows,
      assignRows,
      reassign,
      lloyd,
      takeStarts,
    ].map(String),
    `const { job, thread } = require('node:worker_threads').workerData;`,
    'takeStarts(job, thread);',
  ].join('\n');
  const workers = Array.from({ length: helpers }, (_, h) => {
    const worker = new Worker(source, { eval: true, workerData: { job, thread: h + 1 } });
    worker.unref();
    return worker;
  });
  takeStarts(job, 0);
  // A start at 10 million rows takes about a minute; a thread silent for 10 minutes is stuck.
  const { control } = job;
  for (let done = Atomics.load(control, 1), waited = 0; done <= helpers; done = Atomics.load(control, 1)) {
    if (Atomics.wait(control, 1, done, 60_000) === 'timed-out' && ++waited >= 10) {
      for (const worker of workers) void worker.terminate();
      throw new StrataError('internal', 'k-means: a worker thread did not answer in 10 minutes');
    }
  }
  if (Atomics.load(control, 2) === 1)
    throw new StrataError('internal', 'k-means: a worker thread failed (its error is printed above)');
}

/**
 * The best (lowest inertia; on a tie the first) of `starts` runs, each stopped as
 * scikit-learn stops: when no row changes cluster, or the centres move less than
 * `tolerance` (1e-4) x the mean feature variance. Start s draws its seeds from its own
 * stream (seed, s), so the starts can run on several threads and the result is the same
 * whatever their number.
 */
export function kmeans(
  x: Float64Array,
  p: number,
  k: number,
  options: {
    seed?: number;
    /** Rows seeded from (default 32,768; every row when n is smaller). */
    sample?: number;
    starts?: number;
    maxIterations?: number;
    tolerance?: number;
    threads?: number;
  } = {},
): KMeansResult {
  const n = x.length / p;
  const starts = options.starts ?? 10;
  const trials = 2 + Math.floor(Math.log(k));
  const perStart = 1 + (k - 1) * trials;
  const threads = threadsFor(options.threads, n, p, starts);
  // Worker threads read the rows and write their results in shared memory.
  const buffer = (bytes: number) => (threads > 1 ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const data =
    x.buffer instanceof SharedArrayBuffer || threads === 1 ? x : new Float64Array(buffer(x.length * 8));
  if (data !== x) data.set(x);
  const norms = new Float64Array(buffer(n * 8));
  norms.set(squaredNorms(data, n, p));
  const all = new Int32Array(buffer(n * 4));
  for (let i = 0; i < n; i++) all[i] = i;
  const draws = new Float64Array(buffer(starts * perStart * 8));
  const m = Math.min(n, options.sample ?? SEEDING_SAMPLE);
  const samples = new Int32Array(buffer(starts * m * 4));
  for (let s = 0; s < starts; s++) {
    const rng = new Rng((options.seed ?? 42) >>> 0, s);
    for (let d = 0; d < perStart; d++) draws[s * perStart + d] = rng.next();
    samples.set(sampleRows(n, m, rng), s * m);
  }
  const job: Job = {
    x: data,
    norms,
    normTotal: norms.reduce((sum, value) => sum + value, 0),
    all,
    samples,
    p,
    k,
    starts,
    trials,
    chunk: CHUNK,
    maxIterations: options.maxIterations ?? 300,
    stopShift: tolerance(data, p, options.tolerance ?? 1e-4),
    draws,
    control: new Int32Array(buffer(3 * 4)),
    centroids: new Float64Array(buffer(starts * k * p * 8)),
    inertias: new Float64Array(buffer(starts * 8)),
    iterations: new Float64Array(buffer(starts * 8)),
    threadOf: new Int32Array(buffer(starts * 4)),
    labels: new Int32Array(buffer(threads * n * 4)),
  };
  if (threads > 1) runThreads(job, threads - 1);
  else takeStarts(job, 0);
  if (Atomics.load(job.control, 2) === 1) throw new StrataError('internal', 'k-means failed');
  let best = 0;
  for (let s = 1; s < starts; s++) if ((job.inertias[s] as number) < (job.inertias[best] as number)) best = s;
  const centroids = job.centroids.slice(best * k * p, (best + 1) * k * p);
  const thread = job.threadOf[best] as number;
  const labels = job.labels.slice(thread * n, (thread + 1) * n);
  return {
    k,
    centroids,
    labels,
    inertia: job.inertias[best] as number,
    iterations: job.iterations[best] as number,
  };
}
