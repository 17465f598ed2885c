import { describe, expect, it } from 'vitest';
import { Categorical, Rng } from '../../src/random.js';

const draws = (n: number, f: () => number) => Array.from({ length: n }, f);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

describe('Rng', () => {
  it('repeats its sequence for the same seed and differs for another seed or stream', () => {
    const r1 = new Rng(42);
    const r2 = new Rng(42);
    const r3 = new Rng(43);
    const a = draws(100, () => r1.next());
    expect(draws(100, () => r2.next())).toEqual(a);
    expect(draws(100, () => r3.next())).not.toEqual(a);
    expect(Rng.forAccount(1, 7, 0).next()).not.toBe(Rng.forAccount(1, 7, 1).next());
    expect(Rng.forAccount(1, 7, 0).next()).toBe(Rng.forAccount(1, 7, 0).next());
  });

  it('draws uniform values in [0, 1) with mean 1/2', () => {
    const r = new Rng(1);
    const xs = draws(100_000, () => r.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mean(xs)).toBeCloseTo(0.5, 2);
  });

  it('draws normal, log-normal and exponential values with the asked parameters', () => {
    const r = new Rng(2);
    const n = draws(100_000, () => r.normal(3, 2));
    expect(mean(n)).toBeCloseTo(3, 1);
    expect(sd(n)).toBeCloseTo(2, 1);
    const ln = draws(50_001, () => r.logNormal(50, 1)).sort((x, y) => x - y);
    expect(ln[25_000]).toBeGreaterThan(47);
    expect(ln[25_000]).toBeLessThan(53);
    expect(mean(draws(100_000, () => r.exponential(4)))).toBeCloseTo(4, 1);
  });

  it('draws Poisson counts with mean and variance lambda, small and large', () => {
    const r = new Rng(3);
    for (const lambda of [0.3, 4, 25, 400]) {
      const xs = draws(60_000, () => r.poisson(lambda));
      expect(Math.abs(mean(xs) - lambda)).toBeLessThan(0.03 * lambda + 0.02);
      expect(Math.abs(sd(xs) ** 2 - lambda)).toBeLessThan(0.06 * lambda + 0.03);
      expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    }
    expect(r.poisson(0)).toBe(0);
  });

  it('samples categories in proportion to their weights', () => {
    const r = new Rng(4);
    const c = new Categorical([1, 0, 3]);
    const counts = [0, 0, 0];
    for (let i = 0; i < 40_000; i++) {
      const k = c.sample(r);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect(counts[1]).toBe(0);
    expect((counts[2] ?? 0) / 40_000).toBeCloseTo(0.75, 1);
    expect(() => new Categorical([0, 0])).toThrow();
  });
});
