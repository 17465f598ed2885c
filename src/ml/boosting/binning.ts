import { StrataError } from '../../errors.js';
import type { Rng } from '../../random.js';

/**
 * Binning, done once per fit: per feature, edges at quantiles of a seeded sample of rows,
 * then every value's bin code (255 value bins at most, one more for missing values), four
 * features' codes packed in a 32-bit word.
 */

/** Rows drawn to place the bin edges, as scikit-learn's subsample. */
export const BINNING_SAMPLE = 200_000;

/** Row indices in ascending order: all of `rows` when few, else a seeded sample of `limit`. */
export function sampleRows(rows: Uint32Array, limit: number, rng: Rng): Uint32Array {
  if (rows.length <= limit) return rows;
  const pool = rows.slice();
  for (let k = 0; k < limit; k++) {
    const pick = k + Math.floor(rng.next() * (pool.length - k));
    const chosen = pool[pick] ?? 0;
    pool[pick] = pool[k] ?? 0;
    pool[k] = chosen;
  }
  return pool.subarray(0, limit).sort();
}

/**
 * Bin edges of each feature: midpoints between adjacent distinct values when there are at
 * most maxBins of them, else midpoints at evenly spaced quantiles. A value goes to the
 * first bin whose edge it does not exceed, so `value <= edge` reproduces the binning.
 */
export function findEdges(x: Float64Array, p: number, rows: Uint32Array, maxBins: number): Float64Array[] {
  const edges: Float64Array[] = [];
  // The sample's values column by column, read in one pass over its rows (row by row, not
  // feature by feature: a row's values share cache lines), missing values left out.
  const columns = new Float64Array(p * rows.length);
  const counts = new Int32Array(p);
  for (let k = 0; k < rows.length; k++) {
    const at = (rows[k] ?? 0) * p;
    for (let j = 0; j < p; j++) {
      const v = x[at + j] ?? 0;
      if (!Number.isNaN(v)) {
        columns[j * rows.length + (counts[j] ?? 0)] = v;
        counts[j] = (counts[j] ?? 0) + 1;
      }
    }
  }
  for (let j = 0; j < p; j++) {
    const m = counts[j] ?? 0;
    const sorted = columns.subarray(j * rows.length, j * rows.length + m).sort();
    let distinct = m > 0 ? 1 : 0;
    for (let k = 1; k < m; k++) if (sorted[k] !== sorted[k - 1]) distinct++;
    const cuts: number[] = [];
    if (distinct <= maxBins) {
      for (let k = 1; k < m; k++) {
        const [a, b] = [sorted[k - 1] ?? 0, sorted[k] ?? 0];
        if (a !== b) cuts.push(0.5 * a + 0.5 * b);
      }
    } else {
      for (let q = 1; q < maxBins; q++) {
        const position = (q / maxBins) * (m - 1);
        const cut = 0.5 * (sorted[Math.floor(position)] ?? 0) + 0.5 * (sorted[Math.ceil(position)] ?? 0);
        if (cuts.length === 0 || cut > (cuts[cuts.length - 1] ?? 0)) cuts.push(cut);
      }
    }
    edges.push(Float64Array.from(cuts));
  }
  return edges;
}

/**
 * Bin codes of `rows` packed four features to a 32-bit word (feature j in byte j % 4 of
 * group j >> 2), group-major: group q of row k at q * rows.length + k. Missing values get
 * code edges[j].length + 1. Also which features have a missing value.
 */
export function binRows(
  x: Float64Array,
  p: number,
  rows: Uint32Array,
  edges: readonly Float64Array[],
): { codes: Uint32Array; missing: Uint8Array } {
  const n = rows.length;
  const codes = new Uint32Array(Math.ceil(p / 4) * n);
  const missing = new Uint8Array(p);
  // Each feature's edges padded with +Infinity to 255 in one array, for a search of eight
  // steps without branches (a binary search mispredicts half its branches).
  const padded = new Float64Array(p * 256).fill(Number.POSITIVE_INFINITY);
  for (let j = 0; j < p; j++) padded.set(edges[j] as Float64Array, j * 256);
  for (let k = 0; k < n; k++) {
    const at = (rows[k] ?? 0) * p;
    let word = 0;
    for (let j = 0; j < p; j++) {
      const v = x[at + j] ?? 0;
      const base = j * 256;
      let code: number;
      if (v - v === 0) {
        // The number of edges below v.
        let lo = base;
        lo += 128 & -+((padded[lo + 127] ?? 0) < v);
        lo += 64 & -+((padded[lo + 63] ?? 0) < v);
        lo += 32 & -+((padded[lo + 31] ?? 0) < v);
        lo += 16 & -+((padded[lo + 15] ?? 0) < v);
        lo += 8 & -+((padded[lo + 7] ?? 0) < v);
        lo += 4 & -+((padded[lo + 3] ?? 0) < v);
        lo += 2 & -+((padded[lo + 1] ?? 0) < v);
        lo += 1 & -+((padded[lo] ?? 0) < v);
        code = lo - base;
      } else if (Number.isNaN(v)) {
        code = (edges[j] as Float64Array).length + 1;
        missing[j] = 1;
      } else throw new StrataError('invalid_argument', `feature ${j} has an infinite value`);
      word |= code << ((j & 3) * 8);
      if ((j & 3) === 3 || j === p - 1) {
        codes[(j >> 2) * n + k] = word;
        word = 0;
      }
    }
  }
  return { codes, missing };
}

/** The code of feature j of position k in packed codes of n rows. */
export function codeAt(codes: Uint32Array, n: number, j: number, k: number): number {
  return ((codes[(j >> 2) * n + k] ?? 0) >>> ((j & 3) * 8)) & 255;
}
