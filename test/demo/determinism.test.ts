import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/demo/generate-world.js';

let root = '';

/** SHA-256 of every file under `dir`, keyed by relative path. */
async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path)] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return out;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-determinism-'));
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('generateWorld determinism', () => {
  it('writes byte-identical files for the same seed and different ones for another seed', async () => {
    const out = join(root, 'world');
    const progress: string[] = [];
    await generateWorld({
      scale: 'S',
      seed: 11,
      outDir: out,
      accounts: 300,
      onProgress: (_d, _t, phase) => progress.push(phase),
    });
    const first = await hashTree(out);
    await rm(out, { recursive: true });
    await generateWorld({ scale: 'S', seed: 11, outDir: out, accounts: 300 });
    const second = await hashTree(out);
    expect(Object.keys(first).sort()).toEqual([
      'accounts.parquet',
      'events/part-00000.parquet',
      'ground_truth.csv',
      'manifest.json',
      'subscriptions.parquet',
      'surveys.parquet',
      'tickets.parquet',
      'trait_history.parquet',
      'users.parquet',
    ]);
    expect(second).toEqual(first);
    expect(progress).toContain('accounts');

    await generateWorld({ scale: 'S', seed: 12, outDir: out, accounts: 300 });
    const other = await hashTree(out);
    for (const file of ['accounts.parquet', 'events/part-00000.parquet', 'ground_truth.csv']) {
      expect(other[file], file).not.toBe(first[file]);
    }
  });

  it('rejects a non-integer seed or account count', async () => {
    const out = join(root, 'bad');
    await expect(generateWorld({ scale: 'S', seed: 1.5, outDir: out })).rejects.toThrow(/seed/);
    await expect(generateWorld({ scale: 'S', seed: 1, outDir: out, accounts: 0 })).rejects.toThrow(
      /accounts/,
    );
  });
});
