import { describe, expect, it } from 'vitest';
import { explainLogistic, fitLogistic, predictLogistic } from '../../src/ml/logistic-regression.js';
import { rocAuc } from '../../src/ml/metrics.js';
import { seededRandom } from '../../src/random.js';

describe('logistic regression', () => {
  // 400 rows: the label depends on x0 (up) and x1 (down); x2 is noise.
  const next = seededRandom(7);
  const n = 400;
  const x = new Float64Array(n * 3);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [a, b, c] = [next() * 10, next() * 5 + 100, next()];
    x.set([a, b, c], i * 3);
    const logit = 0.8 * (a - 5) - 1.5 * (b - 102.5) + 0.2;
    y[i] = next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  const model = fitLogistic(x, y, ['a', 'b', 'noise'], { l2: 1 });

  it('reaches the optimum: the penalised gradient is zero, computed here from the definition', () => {
    const z = (i: number, j: number) =>
      ((x[i * 3 + j] ?? 0) - (model.means[j] ?? 0)) / (model.scales[j] ?? 1);
    const gradient = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const eta = model.intercept + [0, 1, 2].reduce((s, j) => s + (model.weights[j] ?? 0) * z(i, j), 0);
      const residual = 1 / (1 + Math.exp(-eta)) - (y[i] ?? 0);
      for (let j = 0; j < 3; j++) gradient[j] = (gradient[j] ?? 0) + residual * z(i, j);
      gradient[3] = (gradient[3] ?? 0) + residual;
    }
    for (let j = 0; j < 3; j++) gradient[j] = (gradient[j] ?? 0) + model.l2 * (model.weights[j] ?? 0);
    for (const g of gradient) expect(Math.abs(g)).toBeLessThan(1e-8);
    expect(model.iterations).toBeLessThan(30);
  });

  it('finds the direction of each effect, ranks well, and explains a row', () => {
    expect(model.weights[0]).toBeGreaterThan(0);
    expect(model.weights[1]).toBeLessThan(0);
    expect(Math.abs(model.weights[2] ?? 0)).toBeLessThan(Math.abs(model.weights[0] ?? 0) / 5);
    const probabilities = predictLogistic(model, x);
    expect(rocAuc(y, probabilities)).toBeGreaterThan(0.85);
    const why = explainLogistic(model, [9, 100.5, 0.5]);
    expect(why[0]?.feature === 'a' || why[0]?.feature === 'b').toBe(true);
    const total = why.reduce((s, c) => s + c.contribution, model.intercept);
    expect(predictLogistic(model, new Float64Array([9, 100.5, 0.5]))[0]).toBeCloseTo(
      1 / (1 + Math.exp(-total)),
      12,
    );
  });

  it('takes a missing value as the mean of the observed ones, standardised to 0', () => {
    // Feature a: 1, NaN, 3, NaN, 5, 7 -> observed mean 16 / 4 = 4; imputed 1 4 3 4 5 7, whose
    // squared deviations 9 0 1 0 1 9 give the population variance 20 / 6.
    const a = [1, Number.NaN, 3, Number.NaN, 5, 7];
    const b = [2, 0, 1, 3, 1, 2];
    const labels = [0, 1, 0, 1, 1, 1];
    const rows = (first: number[]) => Float64Array.from(first.flatMap((v, i) => [v, b[i] ?? 0]));
    const model = fitLogistic(rows(a), labels, ['a', 'b'], { l2: 0.5 });
    expect(model.means[0]).toBe(4);
    expect(model.scales[0]).toBeCloseTo(Math.sqrt(20 / 6), 14);
    // The same fit as on the imputed column.
    const imputed = fitLogistic(rows([1, 4, 3, 4, 5, 7]), labels, ['a', 'b'], { l2: 0.5 });
    model.weights.forEach((w, j) => {
      expect(w).toBeCloseTo(imputed.weights[j] ?? 0, 12);
    });
    expect(model.intercept).toBeCloseTo(imputed.intercept, 12);
    // Scoring: a missing a is the mean; its contribution is 0.
    const [missing, atMean] = predictLogistic(model, Float64Array.from([Number.NaN, 2, 4, 2]));
    expect(missing).toBe(atMean);
    const why = explainLogistic(model, [Number.NaN, 2]);
    expect(why.find((c) => c.feature === 'a')?.contribution).toBe(0);
    const wB = model.weights[1] ?? 0;
    expect(why.find((c) => c.feature === 'b')?.contribution).toBeCloseTo(
      (wB * (2 - (model.means[1] ?? 0))) / (model.scales[1] ?? 1),
      14,
    );
  });

  it('reaches the same optimum on many rows, where the Hessian comes from a sample', () => {
    // 150,000 rows: the last Newton steps use the Hessian of 8,192 rows, the gradient of all of them.
    const random = seededRandom(3);
    const rows = 150_000;
    const xs = new Float64Array(rows * 4);
    const ys = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const v = [random() * 4, random() - 0.5, random() < 0.1 ? Number.NaN : random() * 100, random()];
      xs.set(v, i * 4);
      const logit = 0.7 * (v[0] ?? 0) - 2 * (v[1] ?? 0) + 0.01 * (Number.isNaN(v[2]) ? 50 : (v[2] ?? 0)) - 2;
      ys[i] = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    }
    const fitted = fitLogistic(xs, ys, ['a', 'b', 'c', 'd'], { l2: 2 });
    const exact = fitLogistic(xs, ys, ['a', 'b', 'c', 'd'], { l2: 2, tolerance: 1e-12 });
    // The penalised gradient over every row, from the definition, is zero.
    const gradient = [0, 0, 0, 0, 0];
    for (let i = 0; i < rows; i++) {
      const z = [0, 1, 2, 3].map((j) => {
        const v = xs[i * 4 + j] ?? 0;
        return Number.isNaN(v) ? 0 : (v - (fitted.means[j] ?? 0)) / (fitted.scales[j] ?? 1);
      });
      const eta = z.reduce((s, v, j) => s + v * (fitted.weights[j] ?? 0), fitted.intercept);
      const residual = 1 / (1 + Math.exp(-eta)) - (ys[i] ?? 0);
      z.forEach((v, j) => {
        gradient[j] = (gradient[j] ?? 0) + residual * v;
      });
      gradient[4] = (gradient[4] ?? 0) + residual;
    }
    fitted.weights.forEach((w, j) => {
      gradient[j] = (gradient[j] ?? 0) + 2 * w;
    });
    for (const g of gradient) expect(Math.abs(g)).toBeLessThan(1e-6);
    fitted.weights.forEach((w, j) => {
      expect(Math.abs(w - (exact.weights[j] ?? 0))).toBeLessThan(1e-9);
    });
    expect(fitted.iterations).toBeLessThan(20);
    // A second thread for the passes over every row changes nothing.
    expect(fitLogistic(xs, ys, ['a', 'b', 'c', 'd'], { l2: 2, threads: 2 })).toEqual(fitted);
  });
});

describe('logistic regression on rows its first sample misses', () => {
  // 16,384 rows, so the first Newton steps use a sample of every second row (8,192 of them).
  // x0 is a plain signal on every row; x1 is 0 except on one odd row in 64, where it is 40
  // to 80 and raises the odds: the sample never sees it, so its Hessian has no curvature
  // along x1 while the gradient over every row does. A Newton step under that Hessian
  // overshoots; the fit must still reach the optimum (checked from the definition).
  const next = seededRandom(11);
  const n = 1 << 14;
  const x = new Float64Array(n * 2);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = next() * 4 - 2;
    const b = i % 64 === 1 ? 40 + next() * 40 : 0;
    x.set([a, b], i * 2);
    const logit = -3 + 1.2 * a + 0.05 * b;
    y[i] = next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  const model = fitLogistic(x, y, ['a', 'b'], { l2: 1 });

  it('reaches the optimum: the penalised gradient over every row is zero', () => {
    const z = (i: number, j: number) =>
      ((x[i * 2 + j] ?? 0) - (model.means[j] ?? 0)) / (model.scales[j] ?? 1);
    const gradient = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const eta = model.intercept + (model.weights[0] ?? 0) * z(i, 0) + (model.weights[1] ?? 0) * z(i, 1);
      const residual = 1 / (1 + Math.exp(-eta)) - (y[i] ?? 0);
      gradient[0] = (gradient[0] ?? 0) + residual * z(i, 0);
      gradient[1] = (gradient[1] ?? 0) + residual * z(i, 1);
      gradient[2] = (gradient[2] ?? 0) + residual;
    }
    for (let j = 0; j < 2; j++) gradient[j] = (gradient[j] ?? 0) + model.l2 * (model.weights[j] ?? 0);
    for (const g of gradient) expect(Math.abs(g)).toBeLessThan(1e-6);
    expect(model.weights[1]).toBeGreaterThan(0);
  });
});
