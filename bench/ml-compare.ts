/**
 * Strata's models against scikit-learn on the same data (DESIGN section 5): L2 logistic
 * regression (coefficients, AUC within 0.01) and k-means on standardised features (inertia
 * within 1%), with the time of each side. The data is synthetic and seeded: 100,000 rows of
 * 10 features with a known logistic link, and 50,000 points in 6 blobs of 5 dimensions.
 * Usage: node --import tsx bench/ml-compare.ts   (needs Debian's python3-sklearn)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kmeans, seededRandom } from '../src/ml/kmeans.js';
import { fitLogistic, predictLogistic } from '../src/ml/logistic-regression.js';
import { rocAuc } from '../src/ml/metrics.js';
import { standardize } from '../src/ml/standardize.js';

const out = 'bench/out';
mkdirSync(out, { recursive: true });
const random = seededRandom(2026);
const normal = () => Math.sqrt(-2 * Math.log(random() + 1e-300)) * Math.cos(2 * Math.PI * random());

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
const rows: string[] = [`${Array.from({ length: p }, (_, j) => `x${j}`).join(',')},y`];
for (let i = 0; i < n; i++) rows.push(`${Array.from(x.subarray(i * p, i * p + p)).join(',')},${y[i]}`);
writeFileSync(join(out, 'ml-classification.csv'), rows.join('\n'));

const [m, d, k] = [50_000, 5, 6];
const points = new Float64Array(m * d);
const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => random() * 20));
for (let i = 0; i < m; i++) {
  const c = centres[i % k] ?? [];
  for (let j = 0; j < d; j++) points[i * d + j] = (c[j] ?? 0) + normal() * 1.5;
}
const pointRows: string[] = [Array.from({ length: d }, (_, j) => `d${j}`).join(',')];
for (let i = 0; i < m; i++) pointRows.push(Array.from(points.subarray(i * d, i * d + d)).join(','));
writeFileSync(join(out, 'ml-clustering.csv'), pointRows.join('\n'));

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

const reference = JSON.parse(
  execFileSync(
    '/usr/bin/python3',
    [
      'bench/ml_reference.py',
      join(out, 'ml-classification.csv'),
      join(out, 'ml-clustering.csv'),
      String(k),
      String(l2),
    ],
    {
      encoding: 'utf8',
    },
  ),
) as {
  logistic: { weights: number[]; intercept: number; auc: number; seconds: number };
  kmeans: { inertia: number; seconds: number };
};

const largestWeightGap = Math.max(
  ...model.weights.map((w, j) => Math.abs(w - (reference.logistic.weights[j] ?? 0))),
);
const result = {
  logistic: {
    strataSeconds: logisticSeconds,
    sklearnSeconds: reference.logistic.seconds,
    strataAuc: auc,
    sklearnAuc: reference.logistic.auc,
    aucGap: Math.abs(auc - reference.logistic.auc),
    largestWeightGap,
    interceptGap: Math.abs(model.intercept - reference.logistic.intercept),
  },
  kmeans: {
    strataSeconds: kmeansSeconds,
    sklearnSeconds: reference.kmeans.seconds,
    strataInertia: clusters.inertia,
    sklearnInertia: reference.kmeans.inertia,
    relativeGap: (clusters.inertia - reference.kmeans.inertia) / reference.kmeans.inertia,
  },
};
console.log(JSON.stringify(result, null, 2));
writeFileSync(join(out, 'ml-compare.json'), JSON.stringify(result, null, 2));
