/**
 * The loops of k-means over typed arrays: distances as blocked dot products, assignment with
 * Hamerly's bounds, Lloyd's iterations. Run by every thread of a fit (kmeans-starts.ts).
 */

/** Squared distance from row `i` of `x` to row `c` of `centres`, computed from the differences (exact). */
export function distance2(x: Float64Array, i: number, centres: Float64Array, c: number, p: number): number {
  let d0 = 0;
  let d1 = 0;
  let a = i * p;
  let b = c * p;
  for (const end = a + p - 1; a < end; a += 2, b += 2) {
    const u = (x[a] ?? 0) - (centres[b] ?? 0);
    const v = (x[a + 1] ?? 0) - (centres[b + 1] ?? 0);
    d0 += u * u;
    d1 += v * v;
  }
  if (a < i * p + p) {
    const u = (x[a] ?? 0) - (centres[b] ?? 0);
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
export function dots(
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
    const x0 = (rows[r] ?? 0) * p;
    const x1 = (rows[r + 1] ?? 0) * p;
    const x2 = (rows[r + 2] ?? 0) * p;
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
        const a = x[x0 + j] ?? 0;
        const b = x[x1 + j] ?? 0;
        const e = x[x2 + j] ?? 0;
        const u = centres[c0 + j] ?? 0;
        const v = centres[c1 + j] ?? 0;
        const w = centres[c2 + j] ?? 0;
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
        const u = centres[c0 + j] ?? 0;
        s0 += (x[x0 + j] ?? 0) * u;
        s1 += (x[x1 + j] ?? 0) * u;
        s2 += (x[x2 + j] ?? 0) * u;
      }
      out[o + c] = s0;
      out[o + m + c] = s1;
      out[o + 2 * m + c] = s2;
    }
  }
  for (; r < to; r++) {
    const x0 = (rows[r] ?? 0) * p;
    for (let c = 0; c < m; c++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += (x[x0 + j] ?? 0) * (centres[c * p + j] ?? 0);
      out[(r - from) * m + c] = s;
    }
  }
}

/** Squared norms of `m` rows of p values. */
export function squaredNorms(values: Float64Array, m: number, p: number): Float64Array {
  const norms = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += (values[c * p + j] ?? 0) ** 2;
    norms[c] = s;
  }
  return norms;
}

/** Rows measured together: the dot products of a chunk stay in the first-level cache. */
export const CHUNK = 240;

/**
 * What one thread keeps per row, reused from start to start. `labels`, `upper` and `lower`
 * are Hamerly's (2010): each row's centre, the distance to it (an upper bound once centres
 * move) and a lower bound on the distance to any other centre.
 */
export interface Scratch {
  readonly labels: Int32Array;
  readonly previous: Int32Array;
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  /** Rows to measure against every centre. */
  readonly pending: Int32Array;
  /** One chunk's dot products. */
  readonly out: Float64Array;
}

export function newScratch(n: number, width: number, chunk: number): Scratch {
  return {
    labels: new Int32Array(n),
    previous: new Int32Array(n),
    upper: new Float64Array(n),
    lower: new Float64Array(n),
    pending: new Int32Array(n),
    out: new Float64Array(chunk * width),
  };
}

/**
 * The nearest centre (the lower number on a tie) of each row in `rows[0..count)`, with
 * Hamerly's bounds: the distance to it and to the second nearest.
 */
export function assignRows(
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
      const i = rows[r] ?? 0;
      const norm = norms[i] ?? 0;
      let best = 0;
      let bestDistance = Number.POSITIVE_INFINITY;
      let second = Number.POSITIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        const d = Math.max(0, norm + (centreNorms[c] ?? 0) - 2 * (out[(r - from) * k + c] ?? 0));
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
export function reassign(
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
  for (let c = 0; c < k; c++) farthest = Math.max(farthest, moved[c] ?? 0);
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
    const own = labels[i] ?? 0;
    const up = (upper[i] ?? 0) + (moved[own] ?? 0);
    const low = (lower[i] ?? 0) - farthest;
    upper[i] = up;
    lower[i] = low;
    const bound = Math.max(half[own] ?? 0, low);
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
export function moveRows(
  x: Float64Array,
  p: number,
  labels: Int32Array,
  previous: Int32Array,
  sums: Float64Array,
  counts: Int32Array,
): number {
  let changed = 0;
  for (let i = 0; i < labels.length; i++) {
    const to = labels[i] ?? 0;
    const from = previous[i] ?? 0;
    if (to === from) continue;
    changed++;
    previous[i] = to;
    counts[to] = (counts[to] ?? 0) + 1;
    for (let a = i * p, b = to * p, end = a + p; a < end; a++, b++) sums[b] = (sums[b] ?? 0) + (x[a] ?? 0);
    if (from < 0) continue;
    counts[from] = (counts[from] ?? 0) - 1;
    for (let a = i * p, b = from * p, end = a + p; a < end; a++, b++) sums[b] = (sums[b] ?? 0) - (x[a] ?? 0);
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
export function lloyd(
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
      const count = counts[c] ?? 0;
      let own = 0;
      if (count > 0) {
        for (let j = 0; j < p; j++) {
          const value = (sums[c * p + j] ?? 0) / count;
          own += (value - (centroids[c * p + j] ?? 0)) ** 2;
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
      const value = centroids[c * p + j] ?? 0;
      dot += value * (sums[c * p + j] ?? 0);
      norm += value * value;
    }
    inertia += (counts[c] ?? 0) * norm - 2 * dot;
  }
  return { iterations, inertia: Math.max(0, inertia) };
}
