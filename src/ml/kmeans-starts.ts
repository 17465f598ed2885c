import { lloyd, newScratch } from './kmeans-kernels.js';
import { newSample, seedCentres } from './kmeans-seeding.js';
import type { Task } from './worker-tasks.js';

/** What the threads of one k-means share (typed arrays on SharedArrayBuffers when threaded). */
export interface StartsState {
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
  /** The next start to take. */
  readonly next: Int32Array;
  /** Each start's centroids, inertia, iterations and thread. */
  readonly centroids: Float64Array;
  readonly inertias: Float64Array;
  readonly iterations: Float64Array;
  readonly threadOf: Int32Array;
  /** Each thread's best labels, threads x n. */
  readonly labels: Int32Array;
}

/** Copies start `s`'s sample of rows (and their norms) into `sample`. */
function fillSample(job: StartsState, s: number, sample: ReturnType<typeof newSample>): void {
  const { x, norms, p } = job;
  const m = sample.norms.length;
  sample.normTotal = 0;
  for (let r = 0; r < m; r++) {
    const row = job.samples[s * m + r] ?? 0;
    sample.x.set(x.subarray(row * p, row * p + p), r * p);
    sample.norms[r] = norms[row] ?? 0;
    sample.normTotal += norms[row] ?? 0;
  }
}

/**
 * Takes starts until none is left; every thread (the main one, 0, too) runs this. A start
 * seeds, iterates, and sums its inertia from each row's exact distance to its centre.
 */
export function takeStarts(job: StartsState, thread: number): void {
  const { x, norms, all, p, k, starts, trials, chunk, next, maxIterations, stopShift } = job;
  const n = norms.length;
  const perStart = 1 + (k - 1) * trials;
  const m = job.samples.length / starts;
  const width = Math.max(k, trials);
  const scratch = newScratch(n, width, chunk);
  const sample = newSample(m, p, trials);
  const sampleScratch = m < n ? newScratch(m, width, chunk) : null;
  const bestLabels = job.labels.subarray(thread * n, (thread + 1) * n);
  let best = Number.POSITIVE_INFINITY;
  for (let s = Atomics.add(next, 0, 1); s < starts; s = Atomics.add(next, 0, 1)) {
    const draws = job.draws.subarray(s * perStart, (s + 1) * perStart);
    const centroids = job.centroids.subarray(s * k * p, (s + 1) * k * p);
    fillSample(job, s, sample);
    seedCentres(p, k, draws, trials, chunk, sample, scratch.out, centroids);
    // On a sample, Lloyd's iterations first bring the seeds near the optimum for little.
    if (sampleScratch) {
      const { x: xs, norms: ns, normTotal, all: rows } = sample;
      lloyd(xs, ns, normTotal, rows, p, k, centroids, maxIterations, stopShift, chunk, sampleScratch);
    }
    const result = lloyd(
      x,
      norms,
      job.normTotal,
      all,
      p,
      k,
      centroids,
      maxIterations,
      stopShift,
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
}

/** A worker's job: takes starts as thread args[0]. */
export const startsTask: Task<StartsState> = (state) => (args) => {
  takeStarts(state, args[0] ?? 0);
  return 0;
};
