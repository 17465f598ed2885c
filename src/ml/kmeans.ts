import { availableParallelism } from 'node:os';
import { Rng } from '../random.js';
import { CHUNK, squaredNorms } from './kmeans-kernels.js';
import { type StartsState, takeStarts } from './kmeans-starts.js';
import { WorkerPool } from './worker-pool.js';

/**
 * k-means on standardised features over typed arrays: k-means++ seeding (Arthur &
 * Vassilvitskii, 2007) from a seeded random stream, Lloyd iterations, several starts.
 * Deterministic for a seed. Choosing k is choose-k.ts.
 */

/** scikit-learn's stopping rule: centres moving less than tolerance x the mean variance of the features. */
function tolerance(x: Float64Array, p: number, relative: number): number {
  const n = x.length / p;
  const sums = new Float64Array(p);
  const squares = new Float64Array(p);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) {
      const v = x[i * p + j] ?? 0;
      sums[j] = (sums[j] ?? 0) + v;
      squares[j] = (squares[j] ?? 0) + v * v;
    }
  let total = 0;
  for (let j = 0; j < p; j++) {
    const mean = (sums[j] ?? 0) / n;
    total += Math.max(0, (squares[j] ?? 0) / n - mean * mean);
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

/** Runs `takeStarts` on the main thread and `workers` worker threads, and waits for them all. */
function runThreads(job: StartsState, workers: number): void {
  // A start at 10 million rows takes about a minute; a thread silent for 10 minutes is stuck.
  const pool = new WorkerPool('kmeansStarts', job, workers, 'k-means', 600_000);
  try {
    const posted = Array.from({ length: workers }, (_, t) => pool.offer(t, [t + 1]));
    takeStarts(job, 0);
    posted.forEach((done, t) => {
      if (done) pool.wait(t);
    });
  } finally {
    pool.close();
  }
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
  const job: StartsState = {
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
    next: new Int32Array(buffer(4)),
    centroids: new Float64Array(buffer(starts * k * p * 8)),
    inertias: new Float64Array(buffer(starts * 8)),
    iterations: new Float64Array(buffer(starts * 8)),
    threadOf: new Int32Array(buffer(starts * 4)),
    labels: new Int32Array(buffer(threads * n * 4)),
  };
  if (threads > 1) runThreads(job, threads - 1);
  else takeStarts(job, 0);
  let best = 0;
  for (let s = 1; s < starts; s++) if ((job.inertias[s] ?? 0) < (job.inertias[best] ?? 0)) best = s;
  const centroids = job.centroids.slice(best * k * p, (best + 1) * k * p);
  const thread = job.threadOf[best] ?? 0;
  const labels = job.labels.slice(thread * n, (thread + 1) * n);
  return {
    k,
    centroids,
    labels,
    inertia: job.inertias[best] ?? 0,
    iterations: job.iterations[best] ?? 0,
  };
}
