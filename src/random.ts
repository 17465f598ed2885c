/**
 * A small seeded PRNG and the distributions the demo world needs, also the random stream
 * of the models (k-means seeding, sampling), so every seeded result is reproducible.
 *
 * Hand-written rather than a package because the generator needs three things at
 * once: a seed that fully determines the output (Math.random has none), speed (a few
 * billion draws for the L world), and identical sequences on every platform (only
 * 32-bit integer arithmetic; the float helpers use V8's fdlibm-derived Math, which is
 * the same on every OS for one Node version).
 */

/** Mixes a 32-bit value (splitmix32 finaliser), so nearby seeds give unrelated streams. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** sfc32 (Chris Doty-Humphrey's small fast chaotic generator): 128-bit state, passes PractRand. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(s0: number, s1 = 0, s2 = 0, s3 = 0) {
    this.a = mix32(s0);
    this.b = mix32(this.a ^ s1);
    this.c = mix32(this.b ^ s2);
    this.d = mix32(this.c ^ s3) | 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** An independent stream for one account and one concern, so a change in one part of the simulation never shifts the draws of another. */
  static forAccount(seed: number, index: number, stream: number): Rng {
    return new Rng(seed >>> 0, index >>> 0, Math.floor(index / 2 ** 32), stream);
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Shuffles `values` in place (Fisher-Yates, from the last element down) and returns them. */
  shuffle<T extends { [index: number]: number; readonly length: number }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const value = values[i] ?? 0;
      values[i] = values[j] ?? 0;
      values[j] = value;
    }
    return values;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo + 1) * this.next());
  }

  /** True with probability p. */
  bool(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(items.length * this.next())] as T;
  }

  /** Standard normal draw (Box-Muller; one value per call keeps the stream stateless). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal draw given the median (exp(mu)) and sigma of the underlying normal. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Exponential draw with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Poisson draw: inversion for small means, PTRS (Hoermann 1993) for large ones, so the cost stays flat. */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda < 10) {
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = this.next();
      while (p > limit) {
        k++;
        p *= this.next();
      }
      return k;
    }
    return this.poissonPtrs(lambda);
  }

  private poissonPtrs(lambda: number): number {
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.next() - 0.5;
      const v = this.next();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      const lhs = Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b);
      if (lhs <= -lambda + k * loglam - logFactorial(k)) return k;
    }
  }
}

/** ln(k!) via Stirling's series; exact enough (1e-10) for k >= 10, table below that. */
function logFactorial(k: number): number {
  if (k < 10) return SMALL_LOG_FACT[k] ?? 0;
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}

/** ln(k!) for k < 10, summed once at load. */
const SMALL_LOG_FACT = [0];
for (let k = 1; k < 10; k++) SMALL_LOG_FACT.push((SMALL_LOG_FACT[k - 1] ?? 0) + Math.log(k));

/** A discrete distribution over indices 0..n-1, built once from weights and sampled in O(log n). */
export class Categorical {
  private readonly cdf: Float64Array;

  constructor(weights: readonly number[]) {
    this.cdf = new Float64Array(weights.length);
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      total += Math.max(0, weights[i] ?? 0);
      this.cdf[i] = total;
    }
    if (!(total > 0)) throw new Error('Categorical needs at least one positive weight');
    for (let i = 0; i < this.cdf.length; i++) this.cdf[i] = (this.cdf[i] ?? 0) / total;
    this.cdf[this.cdf.length - 1] = 1;
  }

  get size(): number {
    return this.cdf.length;
  }

  /** The index whose cumulative share first exceeds u (u in [0, 1)). */
  at(u: number): number {
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cdf[mid] ?? 1) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** One index drawn with probability proportional to its weight. */
  sample(rng: Rng): number {
    return this.at(rng.next());
  }
}

/** A seeded uniform stream in [0, 1): the stream of `new Rng(seed)`, as a function. */
export function seededRandom(seed: number): () => number {
  const rng = new Rng(seed >>> 0);
  return () => rng.next();
}

/** Clamps x into [lo, hi]. */
export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
