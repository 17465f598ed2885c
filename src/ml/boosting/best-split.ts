import type { ResolvedBoostedTreesOptions } from './model.js';

/** A child needs this much hessian (scikit-learn's min_hessian_to_split). */
const MIN_HESSIAN = 1e-3;

export interface Split {
  readonly gain: number;
  readonly feature: number;
  /** Non-missing bins <= bin go left. */
  readonly bin: number;
  readonly missingLeft: boolean;
  readonly gLeft: number;
  readonly hLeft: number;
  readonly countLeft: number;
}

/** Where a node's histogram is and what splitting it must respect. */
export interface SplitSearch {
  /** Histograms, (g, h + unit) per bin, a feature's bins in a row. */
  readonly pool: Float64Array;
  /** The packing unit of h + unit (see tree-grower.ts). */
  readonly unit: number;
  /** Per feature, its first bin; its number of non-missing bins; 1 if it had missing values. */
  readonly offsets: Int32Array;
  readonly nBins: Int32Array;
  readonly hasMissing: Uint8Array;
  readonly options: ResolvedBoostedTreesOptions;
}

/**
 * The split of largest gain over every feature of the histogram at `at` (its node's sums
 * g and h over `count` rows), both sides for missing values; null if none gains.
 */
export function bestSplit(
  search: SplitSearch,
  at: number,
  g: number,
  h: number,
  count: number,
): Split | null {
  const { l2, minSamplesLeaf } = search.options;
  const { pool: hist, unit } = search;
  const parent = (g * g) / (h + l2);
  let best: Split | null = null;
  let bestGain = 0;
  for (let j = 0; j < search.offsets.length; j++) {
    const base = at + (search.offsets[j] ?? 0) * 2;
    const bins = search.nBins[j] ?? 0;
    const missing = search.hasMissing[j] === 1;
    // Missing values right; with missing values the last bin splits them from the rest.
    let gl = 0;
    let packed = 0;
    for (let b = 0; b < (missing ? bins : bins - 1); b++) {
      gl += hist[base + 2 * b] ?? 0;
      packed += hist[base + 2 * b + 1] ?? 0;
      const cl = Math.floor(packed / unit);
      const hl = packed - cl * unit;
      if (cl < minSamplesLeaf || hl < MIN_HESSIAN) continue;
      const cr = count - cl;
      const hr = h - hl;
      if (cr < minSamplesLeaf || hr < MIN_HESSIAN) break;
      const gr = g - gl;
      const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
      if (gain > bestGain) {
        bestGain = gain;
        // Without missing values in training, a missing value follows the larger side.
        const missingLeft = !missing && cl > cr;
        best = { gain, feature: j, bin: b, missingLeft, gLeft: gl, hLeft: hl, countLeft: cl };
      }
    }
    if (!missing) continue;
    // Missing values left: the right side gathers the top bins.
    let gr = 0;
    packed = 0;
    for (let b = bins - 2; b >= 0; b--) {
      gr += hist[base + 2 * b + 2] ?? 0;
      packed += hist[base + 2 * b + 3] ?? 0;
      const cr = Math.floor(packed / unit);
      const hr = packed - cr * unit;
      if (cr < minSamplesLeaf || hr < MIN_HESSIAN) continue;
      const cl = count - cr;
      const hl = h - hr;
      if (cl < minSamplesLeaf || hl < MIN_HESSIAN) break;
      const gl2 = g - gr;
      const gain = (gl2 * gl2) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
      if (gain > bestGain) {
        bestGain = gain;
        best = { gain, feature: j, bin: b, missingLeft: true, gLeft: gl2, hLeft: hl, countLeft: cl };
      }
    }
  }
  return best;
}
