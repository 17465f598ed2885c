/**
 * Strata's models against scikit-learn on the same data (DESIGN section 5), each side timed
 * on the same rows. Three datasets, synthetic and seeded:
 * - 100,000 rows of 10 features with a known logistic link: L2 logistic regression
 *   (coefficients, AUC within 0.01);
 * - 50,000 points in 6 blobs of 5 dimensions: k-means on standardised features (inertia
 *   within 1%);
 * - 1,250,000 rows of 30 features with a nonlinear signal (an interaction, thresholds, a sine,
 *   skewed and discrete features, informative missing values), split 1,000,000 train /
 *   250,000 test by a column of the CSV: histogram gradient-boosted trees (test AUC within
 *   0.01) and logistic regression (missing values at the mean), both trained on the
 *   1,000,000 rows; times are medians of REPEATS fits (default 3);
 * - 1,000,000 points in 6 blobs of unequal size in 30 dimensions, standardised, written as
 *   .npy for both sides: k-means, k = 6, 10 starts (inertia within 1%), REPEATS fits each.
 * Usage: node --import tsx bench/ml-compare.ts [REPEATS] [TRAIN_ROWS]   (installs Debian's
 * python3-sklearn if missing; TRAIN_ROWS, default 1,000,000, with a quarter as many more to test).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fitBoostedTrees } from '../src/ml/boosting/fit.js';
import { predictBoostedTrees } from '../src/ml/boosting/model.js';
import { kmeans } from '../src/ml/kmeans.js';
import { fitLogistic, predictLogistic } from '../src/ml/logistic-regression.js';
import { rocAuc } from '../src/ml/metrics.js';
import { standardize } from '../src/ml/standardize.js';
import { seededRandom } from '../src/random.js';

execFileSync('bench/ensure-sklearn.sh', { stdio: 'inherit' });
const out = 'bench/out';
mkdirSync(out, { recursive: true });
const repeats = Number(process.argv[2] ?? 3);
const random = seededRandom(2026);
const normal = () => Math.sqrt(-2 * Math.log(random() + 1e-300)) * Math.cos(2 * Math.PI * random());
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
/** Writes rows as CSV in chunks (a missing value is an empty field); numbers as JavaScript prints them, which read back exactly. */
function writeCsv(path: string, header: string, rows: number, row: (i: number) => string): void {
  const file = openSync(path, 'w');
  writeSync(file, `${header}\n`);
  for (let start = 0; start < rows; start += 10_000) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(rows, start + 10_000); i++) lines.push(row(i));
    writeSync(file, `${lines.join('\n')}\n`);
  }
  closeSync(file);
}

// 1. Logistic regression with a known link.
const [n, p, l2] = [100_000, 10, 1];
const truth = Array.from({ length: p }, (_, j) => (j % 3 === 0 ? 0 : j % 2 ? 0.8 : -0.5));
const x = new Float64Array(n * p);
const y = new Float64Array(n);
for (let i = 0; i < n; i++) {
  let logit = -0.3;
  for (let j = 0; j < p; j++) {
    const value = normal() * (1 + j);
    x[i * p + j] = value;
    logit += ((truth[j] ?? 0) * value) / (1 + j);
  }
  y[i] = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
}
const header = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, j) => `${prefix}${j}`).join(',');
writeCsv(join(out, 'ml-classification.csv'), `${header(p, 'x')},y`, n, (i) =>
  [...Array.from(x.subarray(i * p, i * p + p)), y[i]].join(','),
);

// 2. Blobs for k-means.
const [m, d, k] = [50_000, 5, 6];
const points = new Float64Array(m * d);
const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => random() * 20));
for (let i = 0; i < m; i++) {
  const c = centres[i % k] ?? [];
  for (let j = 0; j < d; j++) points[i * d + j] = (c[j] ?? 0) + normal() * 1.5;
}
writeCsv(join(out, 'ml-clustering.csv'), header(d, 'd'), m, (i) =>
  Array.from(points.subarray(i * d, i * d + d)).join(','),
);

// 3. A nonlinear signal in 30 features, 1,000,000 rows to train and 250,000 to test.
const trainRows = Number(process.argv[3] ?? 1_000_000);
const [testRows, q] = [trainRows / 4, 30];
const rows = trainRows + testRows;
const big = new Float64Array(rows * q);
const label = new Float64Array(rows);
for (let i = 0; i < rows; i++) {
  const v = new Float64Array(q);
  for (let j = 0; j < q; j++) {
    // x0-x9 normal, x10-x14 uniform, x15-x19 log-normal (skewed), x20-x24 counts 0-9, x25-x29 noise.
    if (j < 10 || j >= 25) v[j] = normal();
    else if (j < 15) v[j] = random();
    else if (j < 20) v[j] = Math.exp(normal());
    else v[j] = Math.floor(random() * 10);
  }
  const at = (j: number) => v[j] ?? 0;
  const x3Missing = random() < 0.08;
  const logit =
    -0.5 +
    1.2 * at(0) * at(1) +
    (at(2) > 0.5 ? 1.5 : 0) -
    (at(11) < 0.2 ? 0.8 : 0) +
    0.6 * at(4) +
    0.8 * Math.sin(2 * at(5)) +
    0.5 * Math.log(at(15)) +
    (at(20) >= 5 ? 0.3 * at(6) : 0) +
    (x3Missing ? 0.8 : 0.4 * at(3));
  label[i] = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  if (x3Missing) v[3] = Number.NaN;
  // Missing at random, not informative, in three more features.
  for (const j of [12, 17, 22]) if (random() < 0.05) v[j] = Number.NaN;
  big.set(v, i * q);
}
const field = (value: number) => (Number.isNaN(value) ? '' : String(value));
writeCsv(join(out, 'ml-boosting.csv'), `${header(q, 'x')},y,split`, rows, (i) => {
  const values = Array.from(big.subarray(i * q, i * q + q), field);
  return `${values.join(',')},${label[i]},${i < trainRows ? 'train' : 'test'}`;
});
const names = Array.from({ length: q }, (_, j) => `x${j}`);
const train = { x: big.subarray(0, trainRows * q), y: label.subarray(0, trainRows) };
const test = { x: big.subarray(trainRows * q), y: label.subarray(trainRows) };

/** scikit-learn's side of one comparison (bench/ml_reference.py), parsed. */
function reference<T>(...args: string[]): T {
  const output = execFileSync('/usr/bin/python3', ['bench/ml_reference.py', ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  return JSON.parse(output) as T;
}

// 4. Blobs in 30 dimensions for k-means at scale, standardised here and written as .npy
// (little-endian float64, row-major) so that both sides cluster the very same numbers.
const blobRows = trainRows;
const blobCentres = Array.from({ length: k }, () => Array.from({ length: q }, () => (random() - 0.5) * 8));
const blobPoints = new Float64Array(blobRows * q);
for (let i = 0; i < blobRows; i++) {
  // Blob c holds (c + 1) / 21 of the points.
  let c = 0;
  for (let u = random() * 21; u >= c + 1; c++) u -= c + 1;
  const centre = blobCentres[c] ?? [];
  for (let j = 0; j < q; j++) blobPoints[i * q + j] = (centre[j] ?? 0) + normal() * 1.5;
}
const blobs = standardize(blobPoints, q).z;
const blobsPath = join(out, 'ml-kmeans-large.npy');
{
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (${blobRows}, ${q}), }`;
  const header = `${dict}${' '.repeat(64 - ((10 + dict.length + 1) % 64))}\n`;
  const file = openSync(blobsPath, 'w');
  const preamble = Buffer.alloc(10);
  preamble.write('\x93NUMPY', 0, 'latin1');
  preamble.writeUInt8(1, 6);
  preamble.writeUInt16LE(header.length, 8);
  writeSync(file, preamble);
  writeSync(file, header, null, 'latin1');
  writeSync(file, new Uint8Array(blobs.buffer, blobs.byteOffset, blobs.byteLength));
  closeSync(file);
}

// The small comparisons, each side once.
let started = performance.now();
const model = fitLogistic(
  x,
  y,
  truth.map((_, j) => `x${j}`),
  { l2 },
);
const logisticSeconds = (performance.now() - started) / 1000;
const auc = rocAuc(y, predictLogistic(model, x));
started = performance.now();
const { z } = standardize(points, d);
const clusters = kmeans(z, d, k, { seed: 42, starts: 10 });
const kmeansSeconds = (performance.now() - started) / 1000;
const small = reference<{
  logistic: { weights: number[]; intercept: number; auc: number; seconds: number };
  kmeans: { inertia: number; seconds: number };
}>('small', join(out, 'ml-classification.csv'), join(out, 'ml-clustering.csv'), String(k), String(l2));

// The large ones, REPEATS times, the two sides alternating so that other work on the
// machine slows both alike.
const boostingOptions = {
  learningRate: 0.1,
  maxIterations: 100,
  maxLeafNodes: 31,
  minSamplesLeaf: 20,
  l2: 0,
  maxBins: 255,
  earlyStopping: false,
} as const;
const largeCsv = join(out, 'ml-boosting.csv');
type KMeansReference = { inertia: number; seconds: number; iterations: number; threads: unknown };
type BoostingReference = { auc: number; seconds: number; iterations: number; threads: unknown };
type LogisticReference = {
  weights: number[];
  intercept: number;
  auc: number;
  newtonCgSeconds: number;
  lbfgsSeconds: number;
  lbfgsDefaultSeconds: number;
  lbfgsDefaultWeightGap: number;
};
const runs: {
  boosted: number[];
  logistic: number[];
  sklearnBoosting: BoostingReference[];
  sklearnLogistic: LogisticReference[];
  kmeans: number[];
  sklearnKMeans: KMeansReference[];
} = { boosted: [], logistic: [], sklearnBoosting: [], sklearnLogistic: [], kmeans: [], sklearnKMeans: [] };
let largeClusters = kmeans(blobs.subarray(0, q * 100), q, k);
let boostedModel = fitBoostedTrees(train.x, train.y, names, { ...boostingOptions, maxIterations: 1 });
let largeModel = fitLogistic(train.x.subarray(0, q * 10), train.y.subarray(0, 10), names, { l2 });
const seconds = (run: () => void) => {
  const begun = performance.now();
  run();
  return (performance.now() - begun) / 1000;
};
for (let r = 0; r < repeats; r++) {
  runs.boosted.push(
    seconds(() => (boostedModel = fitBoostedTrees(train.x, train.y, names, boostingOptions))),
  );
  runs.sklearnBoosting.push(reference<BoostingReference>('boosting', largeCsv));
  runs.logistic.push(seconds(() => (largeModel = fitLogistic(train.x, train.y, names, { l2 }))));
  runs.sklearnLogistic.push(reference<LogisticReference>('logistic', largeCsv, String(l2)));
  runs.kmeans.push(seconds(() => (largeClusters = kmeans(blobs, q, k, { seed: 42, starts: 10 }))));
  runs.sklearnKMeans.push(reference<KMeansReference>('kmeans', blobsPath, String(k)));
}
const sklearnKMeans = runs.sklearnKMeans[0] as KMeansReference;
const boostedAuc = rocAuc(test.y, predictBoostedTrees(boostedModel, test.x));
const largeLogisticAuc = rocAuc(test.y, predictLogistic(largeModel, test.x));
const sklearnBoosting = runs.sklearnBoosting[0] as BoostingReference;
const sklearnLogistic = runs.sklearnLogistic[0] as LogisticReference;
const sklearnMedian = (key: 'newtonCgSeconds' | 'lbfgsSeconds' | 'lbfgsDefaultSeconds') =>
  median(runs.sklearnLogistic.map((run) => run[key]));

const weightGap = (ours: readonly number[], theirs: readonly number[]) =>
  Math.max(...ours.map((w, j) => Math.abs(w - (theirs[j] ?? 0))));
/** Medians, every fit, and the ratio of the two sides' medians. */
const timings = (strata: number[], sklearn: { seconds: number }[]) => ({
  strataSeconds: median(strata),
  strataAllSeconds: strata,
  sklearnSeconds: median(sklearn.map((run) => run.seconds)),
  sklearnAllSeconds: sklearn.map((run) => run.seconds),
  ratio: median(strata) / median(sklearn.map((run) => run.seconds)),
});
const result = {
  machine: {
    cpus: availableParallelism(),
    model: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    repeats,
    trainRows,
    // Other work on the machine slows both sides: the load averages (1, 5, 15 minutes) at the end.
    loadAverage: loadavg(),
  },
  logistic: {
    strataSeconds: logisticSeconds,
    sklearnSeconds: small.logistic.seconds,
    strataAuc: auc,
    sklearnAuc: small.logistic.auc,
    aucGap: Math.abs(auc - small.logistic.auc),
    largestWeightGap: weightGap(model.weights, small.logistic.weights),
    interceptGap: Math.abs(model.intercept - small.logistic.intercept),
  },
  kmeans: {
    strataSeconds: kmeansSeconds,
    sklearnSeconds: small.kmeans.seconds,
    strataInertia: clusters.inertia,
    sklearnInertia: small.kmeans.inertia,
    relativeGap: (clusters.inertia - small.kmeans.inertia) / small.kmeans.inertia,
  },
  largeKMeans: {
    ...timings(runs.kmeans, runs.sklearnKMeans),
    strataInertia: largeClusters.inertia,
    sklearnInertia: sklearnKMeans.inertia,
    relativeGap: (largeClusters.inertia - sklearnKMeans.inertia) / sklearnKMeans.inertia,
    strataIterations: largeClusters.iterations,
    sklearnIterations: sklearnKMeans.iterations,
    sklearnThreads: sklearnKMeans.threads,
  },
  boosting: {
    ...timings(runs.boosted, runs.sklearnBoosting),
    strataAuc: boostedAuc,
    sklearnAuc: sklearnBoosting.auc,
    aucGap: boostedAuc - sklearnBoosting.auc,
    strataTrees: boostedModel.iterations,
    sklearnTrees: sklearnBoosting.iterations,
    sklearnThreads: sklearnBoosting.threads,
  },
  largeLogistic: {
    strataSeconds: median(runs.logistic),
    strataAllSeconds: runs.logistic,
    strataIterations: largeModel.iterations,
    sklearnNewtonCgSeconds: sklearnMedian('newtonCgSeconds'),
    sklearnLbfgsSeconds: sklearnMedian('lbfgsSeconds'),
    sklearnLbfgsDefaultSeconds: sklearnMedian('lbfgsDefaultSeconds'),
    sklearnAllSeconds: runs.sklearnLogistic.map(({ newtonCgSeconds, lbfgsSeconds, lbfgsDefaultSeconds }) => ({
      newtonCgSeconds,
      lbfgsSeconds,
      lbfgsDefaultSeconds,
    })),
    sklearnLbfgsDefaultWeightGap: sklearnLogistic.lbfgsDefaultWeightGap,
    strataAuc: largeLogisticAuc,
    sklearnAuc: sklearnLogistic.auc,
    largestWeightGap: weightGap(largeModel.weights, sklearnLogistic.weights),
    interceptGap: Math.abs(largeModel.intercept - sklearnLogistic.intercept),
  },
};
console.log(JSON.stringify(result, null, 2));
writeFileSync(join(out, 'ml-compare.json'), JSON.stringify(result, null, 2));
