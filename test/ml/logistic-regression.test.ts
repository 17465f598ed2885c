import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/ml/kmeans.js';
import { explainLogistic, fitLogistic, predictLogistic } from '../../src/ml/logistic-regression.js';
import { rocAuc } from '../../src/ml/metrics.js';

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
});
