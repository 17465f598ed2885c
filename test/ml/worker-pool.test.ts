import { describe, expect, it } from 'vitest';
import type { StartsState } from '../../src/ml/kmeans-starts.js';
import { WorkerPool } from '../../src/ml/worker-pool.js';

const shared = (values: ArrayLike<number>) => {
  const array = new Float64Array(new SharedArrayBuffer(values.length * 8));
  array.set(values);
  return array;
};

describe('the worker pool of the models', () => {
  it('runs a kernel on a worker thread over shared memory', () => {
    // Three rows of two features at beta = (0.5, -1) and intercept 0.25:
    //   eta = 0.25 + 0.5 z1 - z2 = -1.25, 0.75, -2.5;
    //   residual = sigmoid(eta) - y = 0.22270 - 1, 0.67918 - 0, 0.07586 - 1;
    //   gradient = (sum r z1, sum r z2, sum r).
    const z = shared([1, 2, -1, -1, 0.5, 3]);
    const y = shared([1, 0, 1]);
    const beta = shared([0.5, -1, 0.25]);
    const out = shared([9, 9, 9]);
    const sigmoid = (eta: number) => 1 / (1 + Math.exp(-eta));
    const r = [sigmoid(-1.25) - 1, sigmoid(0.75), sigmoid(-2.5) - 1];
    const [r0 = 0, r1 = 0, r2 = 0] = r;
    const pool = new WorkerPool('logisticGradient', { z, y, p: 2, beta, out }, 1, 'test', 60_000);
    try {
      expect(pool.post(0, [0, 3])).toBe(true);
      expect(pool.wait(0)).toBe(0);
    } finally {
      pool.close();
    }
    const expected = [r0 * 1 + r1 * -1 + r2 * 0.5, r0 * 2 + r1 * -1 + r2 * 3, r0 + r1 + r2];
    for (const [j, value] of expected.entries()) expect(out[j]).toBeCloseTo(value, 12);
    expect(out[2]).toBeCloseTo(0.2227 - 1 + 0.67918 + 0.07586 - 1, 4);
  });

  it("throws a failed task's message in the caller, then leaves every share to the caller", () => {
    // A state without its arrays: the task's first read fails in the worker.
    const pool = new WorkerPool('kmeansStarts', {} as StartsState, 2, 'k-means', 60_000);
    expect(pool.post(0, [1])).toBe(true);
    expect(() => pool.wait(0)).toThrow(
      /^k-means: a worker thread failed: Cannot read properties of undefined \(reading 'length'\)$/,
    );
    expect(pool.post(0, [1])).toBe(false);
    expect(pool.post(1, [2])).toBe(false);
  });

  it('gives up on a job that takes longer than its patience', () => {
    // The gradient over a million rows takes milliseconds, far more than the 1 ms allowed.
    const n = 1_000_000;
    const state = {
      z: shared(new Float64Array(n * 2).fill(0.5)),
      y: shared(new Float64Array(n)),
      p: 2,
      beta: shared([1, 1, 1]),
      out: shared([0, 0, 0]),
    };
    const pool = new WorkerPool('logisticGradient', state, 1, 'logistic regression', 1);
    expect(pool.post(0, [0, n])).toBe(true);
    expect(() => pool.wait(0)).toThrow(/^logistic regression: a worker thread did not answer in 0 s$/);
    expect(pool.post(0, [0, n])).toBe(false);
  });
});
