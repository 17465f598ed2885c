import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileWat, KERNELS, wasmModuleSource } from '../../scripts/build-wasm.js';
import { WASM_BASE64 } from '../../src/ml/boosting/histogram-wasm.js';
import type { Kernel } from '../../src/ml/boosting/kernels.js';
import { Rng } from '../../src/random.js';

describe('the WebAssembly histogram kernel', () => {
  it('is compiled from its source as committed (run npm run build:wasm after editing the .wat)', async () => {
    for (const path of KERNELS) {
      const committed = readFileSync(path.replace(/\.wat$/, '-wasm.ts'), 'utf8');
      expect(committed).toBe(wasmModuleSource(path, await compileWat(path)));
    }
  });

  it('adds (g, h) to the bins a direct loop finds, and swaps as a direct loop swaps', () => {
    // 1,000 positions of 11 features: three groups, the last with three features and one unused slot.
    const [n, p, bins] = [1000, 11, 7];
    const groups = Math.ceil(p / 4);
    const rng = new Rng(5);
    const code = Array.from({ length: n }, () =>
      Array.from({ length: p }, () => Math.floor(rng.next() * bins)),
    );
    const g = Float64Array.from({ length: n }, () => rng.next() - 0.5);
    const h = Float64Array.from({ length: n }, () => rng.next() + 64);
    // Memory: histogram (p features x bins pairs, then a spare area), codes, g, h, bases, position lists.
    const histBytes = p * bins * 16;
    const at = { hist: 0, codes: histBytes + 4096, g: 0, h: 0, bases: 0, a: 0, b: 0 };
    at.g = at.codes + groups * n * 4;
    at.h = at.g + n * 8;
    at.bases = at.h + n * 8;
    at.a = at.bases + groups * 16;
    at.b = at.a + n * 4;
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
    const module = new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
    const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernel;
    const words = new Uint32Array(memory.buffer, at.codes, groups * n);
    for (let k = 0; k < n; k++)
      for (let j = 0; j < p; j++)
        words[(j >> 2) * n + k] =
          (words[(j >> 2) * n + k] as number) | ((code[k]?.[j] ?? 0) << ((j & 3) * 8));
    new Float64Array(memory.buffer, at.g, n).set(g);
    new Float64Array(memory.buffer, at.h, n).set(h);
    const bases = new Int32Array(memory.buffer, at.bases, groups * 4).fill(histBytes);
    for (let j = 0; j < p; j++) bases[j] = j * bins * 16;
    // Positions [100, 900), groups 1 and 2 (features 4-10), then group 0 alone.
    kernel.accumulate(at.hist, at.codes, n, at.bases, 1, 3, 100, 900, at.g, at.h);
    kernel.accumulate(at.hist, at.codes, n, at.bases, 0, 1, 100, 900, at.g, at.h);
    const hist = new Float64Array(memory.buffer, at.hist, p * bins * 2);
    const expected = new Float64Array(p * bins * 2);
    for (let k = 100; k < 900; k++)
      for (let j = 0; j < p; j++) {
        const slot = (j * bins + (code[k]?.[j] ?? 0)) * 2;
        expected[slot] = (expected[slot] as number) + (g[k] as number);
        expected[slot + 1] = (expected[slot + 1] as number) + (h[k] as number);
      }
    for (let s = 0; s < expected.length; s++) expect(hist[s]).toBeCloseTo(expected[s] as number, 10);

    // Swap positions 3 <-> 500 and 10 <-> 11 in group 1's codes and in g.
    new Uint32Array(memory.buffer, at.a, 2).set([3, 10]);
    new Uint32Array(memory.buffer, at.b, 2).set([500, 11]);
    const before = { words: words.slice(n, 2 * n), g: g.slice() };
    kernel.swap32(at.codes + n * 4, at.a, at.b, 2);
    kernel.swap64(at.g, at.a, at.b, 2);
    const after = { words: words.subarray(n, 2 * n), g: new Float64Array(memory.buffer, at.g, n) };
    const swapped = (values: ArrayLike<number>, i: number) =>
      values[i === 3 ? 500 : i === 500 ? 3 : i === 10 ? 11 : i === 11 ? 10 : i];
    for (let k = 0; k < n; k++) {
      expect(after.words[k]).toBe(swapped(before.words, k));
      expect(after.g[k]).toBe(swapped(before.g, k));
    }
  });
});
