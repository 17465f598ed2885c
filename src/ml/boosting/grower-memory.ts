import { StrataError } from '../../errors.js';
import { WASM_BASE64 } from './histogram-wasm.js';
import { instantiate, type Kernel, type SharedState, SUM_BLOCK } from './kernels.js';

/** The memory of a tree grower: every array of the fit in one shared WebAssembly memory. */

let compiled: WebAssembly.Module | null = null;
/** The histogram kernel, compiled once a process. */
function histogramModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
  return compiled;
}

/** The grower's arrays, where a feature's histogram starts, and the kernel on them. */
export interface GrowerMemory {
  readonly state: SharedState;
  readonly kernel: Kernel;
  /** Per feature, its first bin; histograms are `size` numbers long, `stride` apart in the pool. */
  readonly offsets: Int32Array;
  readonly size: number;
  readonly stride: number;
}

/**
 * Lays out the arrays of a fit of `n` rows and `p` features with `nBins` bins each (plus one
 * for missing values), room for `capacity` histograms, and copies the rows' codes and labels in.
 */
export function allocateGrower(
  n: number,
  p: number,
  codes: Uint32Array,
  y: Float64Array,
  nBins: Int32Array,
  capacity: number,
): GrowerMemory {
  const offsets = new Int32Array(p);
  let bins = 0;
  for (let j = 0; j < p; j++) {
    offsets[j] = bins;
    bins += (nBins[j] ?? 0) + 1;
  }
  const size = bins * 2;
  // After each histogram, a spare bin per code where the unused slots of the last
  // feature group add harmlessly (histogram.wat).
  const stride = size + 512;
  const shared = (bytes: number) => new SharedArrayBuffer(bytes);
  const groups = Math.ceil(p / 4);
  // The kernel's memory, each array 16-byte aligned.
  const sizes = {
    pool: capacity * stride * 8,
    codes: groups * n * 4,
    g: n * 8,
    h: n * 8,
    raw: n * 8,
    y: n * 8,
    fromLeft: n * 4,
    fromRight: n * 4,
    bases: groups * 16,
  };
  const at = { pool: 0, codes: 0, g: 0, h: 0, raw: 0, y: 0, fromLeft: 0, fromRight: 0, bases: 0 };
  let bytes = 0;
  for (const key of Object.keys(sizes) as (keyof typeof sizes)[]) {
    at[key] = bytes;
    bytes += Math.ceil(sizes[key] / 16) * 16;
  }
  const pages = Math.ceil(bytes / 65536);
  if (pages > 65536)
    throw new StrataError(
      'invalid_argument',
      `boosted trees: ${n} rows of ${p} features need ${(bytes / 2 ** 30).toFixed(1)} GiB of histogram memory; the limit is 4 GiB (train on a sample)`,
    );
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const module = histogramModule();
  const kernel = instantiate({ module, memory });
  const bases = new Int32Array(memory.buffer, at.bases, groups * 4).fill(size * 8);
  for (let j = 0; j < p; j++) bases[j] = (offsets[j] ?? 0) * 16;
  const state: SharedState = {
    memory,
    module,
    at,
    pool: new Float64Array(memory.buffer, at.pool, sizes.pool / 8),
    codes: new Uint32Array(memory.buffer, at.codes, groups * n),
    n,
    p,
    bases,
    g: new Float64Array(memory.buffer, at.g, n),
    h: new Float64Array(memory.buffer, at.h, n),
    unit: 2 ** Math.ceil(Math.log2(n / 4 + 1)),
    raw: new Float64Array(memory.buffer, at.raw, n),
    y: new Float64Array(memory.buffer, at.y, n),
    fromLeft: new Uint32Array(memory.buffer, at.fromLeft, n),
    fromRight: new Uint32Array(memory.buffer, at.fromRight, n),
    sums: new Float64Array(shared(Math.ceil(n / SUM_BLOCK) * 16)),
    next: new Int32Array(shared(4)),
  };
  state.codes.set(codes);
  state.y.set(y);
  return { state, kernel, offsets, size, stride };
}
