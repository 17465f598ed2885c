/**
 * Compiles the WebAssembly text kernels (src/**\/*.wat) to the TypeScript modules that hold
 * their bytes (NAME-wasm.ts beside NAME.wat), so that the product needs no compiler at run
 * time. Usage: npm run build:wasm. test/ml/histogram-wasm.test.ts checks they are current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import wabtInit from 'wabt';

export const KERNELS = ['src/ml/boosting/histogram.wat'];

/** The module's bytes, compiled with the features the kernels use (SIMD, shared memory). */
export async function compileWat(path: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat(path, readFileSync(path, 'utf8'), { simd: true, threads: true });
  const { buffer } = module.toBinary({});
  module.destroy();
  return buffer;
}

/** The TypeScript module written for a kernel. */
export function wasmModuleSource(path: string, bytes: Uint8Array): string {
  const name = path.split('/').pop() as string;
  return [
    `// Generated from ${name} by \`npm run build:wasm\` (scripts/build-wasm.ts): do not edit.`,
    `export const WASM_BASE64 =`,
    `  '${Buffer.from(bytes).toString('base64')}';`,
    '',
  ].join('\n');
}

if (process.argv[1]?.endsWith('build-wasm.ts')) {
  for (const path of KERNELS) {
    const target = path.replace(/\.wat$/, '-wasm.ts');
    writeFileSync(target, wasmModuleSource(path, await compileWat(path)));
    console.log(`${path} -> ${target}`);
  }
}
