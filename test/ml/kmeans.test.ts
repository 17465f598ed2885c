import { describe, expect, it } from 'vitest';
import { chooseK, pickK, silhouette } from '../../src/ml/choose-k.js';
import { kmeans } from '../../src/ml/kmeans.js';
import { standardize } from '../../src/ml/standardize.js';
import { seededRandom } from '../../src/random.js';

/** Three blobs of 60 points in 2-D around (0, 0), (10, 0) and (0, 10), spread 1. */
function blobs(seed: number) {
  const random = seededRandom(seed);
  const centres = [
    [0, 0],
    [10, 0],
    [0, 10],
  ];
  const x = new Float64Array(180 * 2);
  const truth = new Int32Array(180);
  for (let i = 0; i < 180; i++) {
    const c = i % 3;
    truth[i] = c;
    x[i * 2] = (centres[c]?.[0] ?? 0) + (random() - 0.5) * 2;
    x[i * 2 + 1] = (centres[c]?.[1] ?? 0) + (random() - 0.5) * 2;
  }
  return { x, truth };
}

describe('k-means', () => {
  it('finds three separated blobs, picks k = 3 by silhouette, and is deterministic', () => {
    const { x, truth } = blobs(3);
    const { z } = standardize(x, 2);
    const { chosen, curve } = chooseK(z, 2, { kMin: 2, kMax: 6 });
    expect(chosen?.k).toBe(3);
    // Every true blob maps to exactly one cluster.
    const mapping = new Map<number, Set<number>>();
    truth.forEach((t, i) => {
      mapping.set(t, (mapping.get(t) ?? new Set()).add(chosen?.labels[i] ?? -1));
    });
    expect([...mapping.values()].map((s) => s.size)).toEqual([1, 1, 1]);
    // The elbow: inertia falls with k, sharply until 3.
    expect(curve.map((c) => c.k)).toEqual([2, 3, 4, 5, 6]);
    expect((curve[0]?.inertia ?? 0) / (curve[1]?.inertia ?? 1)).toBeGreaterThan(5);
    expect(kmeans(z, 2, 3, { seed: 9 }).labels).toEqual(kmeans(z, 2, 3, { seed: 9 }).labels);
  });

  it('reports the inertia and silhouette that the labels imply, computed here directly', () => {
    const { x } = blobs(5);
    const result = kmeans(x, 2, 3);
    let inertia = 0;
    for (let i = 0; i < 180; i++) {
      const c = result.labels[i] ?? 0;
      inertia +=
        ((x[i * 2] ?? 0) - (result.centroids[c * 2] ?? 0)) ** 2 +
        ((x[i * 2 + 1] ?? 0) - (result.centroids[c * 2 + 1] ?? 0)) ** 2;
    }
    expect(result.inertia).toBeCloseTo(inertia, 8);
    // Silhouette of a 4-point example worked by hand: clusters {0, 1} and {10, 11} on a line.
    // Point 0: a = 1, b = (10 + 11) / 2 = 10.5 -> 0.904762; point 1: a = 1, b = 9.5 -> 0.894737; symmetric.
    const line = new Float64Array([0, 1, 10, 11]);
    expect(silhouette(line, 1, new Int32Array([0, 0, 1, 1]), 2)).toBeCloseTo((0.904762 + 0.894737) / 2, 5);
  });

  it('gives the same clustering on one thread or two, and from a seeding sample finds the true groups', () => {
    // 30,000 points, 5 groups of unequal size in 7 dimensions, centres 6 apart on one axis each.
    const [n, p, k] = [30_000, 7, 5];
    const random = seededRandom(11);
    const x = new Float64Array(n * p);
    const truth = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const group = i % 10 < 4 ? 0 : i % 10 < 6 ? 1 : i % 10 < 8 ? 2 : i % 10 < 9 ? 3 : 4;
      truth[i] = group;
      for (let j = 0; j < p; j++) x[i * p + j] = (j === group ? 6 : 0) + (random() - 0.5) * 2;
    }
    const one = kmeans(x, p, k, { seed: 3, threads: 1, sample: 2000 });
    const two = kmeans(x, p, k, { seed: 3, threads: 2, sample: 2000 });
    expect(two.labels).toEqual(one.labels);
    expect(Array.from(two.centroids)).toEqual(Array.from(one.centroids));
    expect(two.inertia).toBe(one.inertia);
    // Each true group is one cluster, whose centre is the group's mean (computed here).
    const clusterOf = new Map<number, Set<number>>();
    truth.forEach((t, i) => {
      clusterOf.set(t, (clusterOf.get(t) ?? new Set()).add(one.labels[i] ?? -1));
    });
    expect([...clusterOf.values()].map((clusters) => clusters.size)).toEqual([1, 1, 1, 1, 1]);
    let inertia = 0;
    for (let group = 0; group < k; group++) {
      const members = [...truth.keys()].filter((i) => truth[i] === group);
      const c = one.labels[members[0] ?? 0] ?? 0;
      for (let j = 0; j < p; j++) {
        const mean = members.reduce((sum, i) => sum + (x[i * p + j] ?? 0), 0) / members.length;
        expect(one.centroids[c * p + j]).toBeCloseTo(mean, 10);
        for (const i of members) inertia += ((x[i * p + j] ?? 0) - mean) ** 2;
      }
    }
    expect(one.inertia / inertia).toBeCloseTo(1, 10);
    // Every label is the nearest centre, by direct distances.
    for (let i = 0; i < n; i += 97) {
      const distances = Array.from({ length: k }, (_, c) =>
        Array.from(
          { length: p },
          (_, j) => ((x[i * p + j] ?? 0) - (one.centroids[c * p + j] ?? 0)) ** 2,
        ).reduce((a, b) => a + b),
      );
      expect(one.labels[i]).toBe(distances.indexOf(Math.min(...distances)));
    }
  });

  it('skips a k whose solution has a near-empty cluster when choosing k', () => {
    // Two blobs of 60 on a line around 0 and 10 (spread 1), and one point at 1,000: every k
    // puts that point alone. Without a minimum k = 2 (the point against the rest) scores best;
    // with a minimum of 2 rows every k from 2 to 4 is rejected, the smallest cluster holding 1.
    const random = seededRandom(7);
    const x = new Float64Array(121);
    for (let i = 0; i < 120; i++) x[i] = (i < 60 ? 0 : 10) + (random() - 0.5) * 2;
    x[120] = 1000;
    const free = chooseK(x, 1, { kMin: 2, kMax: 4 });
    expect(free.chosen?.k).toBe(2);
    expect(free.curve[0]?.smallest.accounts).toBe(1);
    const ruled = chooseK(x, 1, { kMin: 2, kMax: 4, minSize: 2 });
    expect(ruled.chosen).toBeNull();
    expect(ruled.curve.map((c) => [c.k, c.smallest.accounts, c.rejected])).toEqual([
      [2, 1, true],
      [3, 1, true],
      [4, 1, true],
    ]);
    // Without the far point, the two blobs are k = 2, each cluster 60 rows.
    const blobsOnly = chooseK(x.subarray(0, 120), 1, { kMin: 2, kMax: 4, minSize: 2 });
    expect(blobsOnly.chosen?.k).toBe(2);
    expect(blobsOnly.curve[0]).toMatchObject({ smallest: { accounts: 60 }, rejected: false });
  });

  it('takes the fewest clusters among silhouettes within 0.03 of the best', () => {
    // The demo's usage curve: best 0.615 at k = 8; k = 3 (0.594) is within 0.03, k = 2 (0.573) is not.
    const point = (k: number, silhouette: number, rejected = false) => ({ k, silhouette, rejected });
    const demo = [0.573, 0.594, 0.591, 0.609, 0.604, 0.607, 0.615].map((s, i) => point(i + 2, s));
    expect(pickK(demo)).toBe(3);
    // A clear best stays chosen; a rejected k is never chosen, even within the tie.
    expect(pickK([point(2, 0.4), point(3, 0.7), point(4, 0.69)])).toBe(3);
    expect(pickK([point(2, 0.69, true), point(3, 0.7)])).toBe(3);
    expect(pickK([point(2, 0.5, true)])).toBeNull();
  });
});
