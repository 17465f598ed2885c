import type { Dialect } from '../dialect/dialect.js';
import { rawSql, type Sql } from '../dialect/sql.js';
import type { ClusterScorer, FeatureTransform, ModelScorer, TreeNodes } from '../language/ast.js';

/**
 * Saved models as SQL over their feature columns, so a probability or a cluster is a
 * metric like any other: computed in the database at any as-of time, rankable, and
 * identical to the model's own scoring in src/ml (same operations in the same order).
 */

/** The log-odds are clamped so exp() cannot overflow on an extreme account. */
const sigmoid = (raw: string) => `(1.0 / (1.0 + exp(-greatest(-700.0, least(700.0, ${raw})))))`;

/** A number literal that reads as a double on every engine (DuckDB reads 3.0 as a decimal). */
function double(dialect: Dialect, value: number): string {
  const text = dialect.literal(value);
  return Number.isInteger(value) ? dialect.toDouble(text) : text;
}

function treeSql(dialect: Dialect, tree: TreeNodes, columns: readonly string[], node = 0): string {
  const feature = tree.feature[node] ?? -1;
  if (feature < 0) return double(dialect, tree.value[node] ?? 0);
  const column = columns[feature] ?? 'NULL';
  const left = treeSql(dialect, tree, columns, tree.left[node] ?? 0);
  const right = treeSql(dialect, tree, columns, tree.right[node] ?? 0);
  // A missing value (NULL comparison) goes to the side learned in training; each subtree is
  // written once, so the text grows with the number of nodes, not with 2^depth.
  const goesLeft = `coalesce(${column} <= ${double(dialect, tree.threshold[node] ?? 0)}, ${dialect.literal(tree.missingLeft[node] === true)})`;
  return `CASE WHEN ${goesLeft} THEN ${left} ELSE ${right} END`;
}

/**
 * The model's probability, given one SQL column (a double, NULL when missing) per feature.
 * `stage` puts a tree's SQL in a column of its own and returns its name (see column-layers.ts);
 * the trees are added in the same order either way, so the sum is the same to the last bit.
 */
export function modelSql(
  dialect: Dialect,
  scorer: ModelScorer,
  columns: readonly string[],
  stage: (tree: number, sql: string) => string = (_, sql) => sql,
): string {
  if (scorer.type === 'logistic') {
    const terms = columns.map((column, j) => {
      const mean = double(dialect, scorer.means[j] ?? 0);
      return `${double(dialect, scorer.weights[j] ?? 0)} * ((coalesce(${column}, ${mean}) - ${mean}) / ${double(dialect, scorer.scales[j] ?? 1)})`;
    });
    return sigmoid([double(dialect, scorer.intercept), ...terms].join(' + '));
  }
  const trees = scorer.trees.map((tree, i) => stage(i, treeSql(dialect, tree, columns)));
  return sigmoid([double(dialect, scorer.baseScore), ...trees].join(' + '));
}

/**
 * A feature capped and logged as src/ml/metric-transform.ts does it in JavaScript. The cap is
 * a CASE, not greatest/least: DuckDB's greatest skips a NULL where ClickHouse's returns it,
 * and a missing value must stay missing on both.
 */
export function transformedSql(
  dialect: Dialect,
  transform: FeatureTransform | undefined,
  column: string,
): string {
  if (!transform) return column;
  const arms = [
    ...(transform.lower !== null ? [[`<`, double(dialect, transform.lower)]] : []),
    ...(transform.upper !== null ? [[`>`, double(dialect, transform.upper)]] : []),
  ].map(([op, bound]) => `WHEN ${column} ${op} ${bound} THEN ${bound}`);
  const capped = arms.length > 0 ? `(CASE ${arms.join(' ')} ELSE ${column} END)` : column;
  return transform.log ? dialect.naturalLog(`(1.0 + ${capped})`) : capped;
}

/**
 * Each feature, transformed as when the clustering was fitted, in standard deviations from
 * the mean it had then (a missing value at that mean, so 0): the space the centres live in.
 */
export function standardizedSql(
  dialect: Dialect,
  scorer: Pick<ClusterScorer, 'means' | 'scales' | 'transforms'>,
  columns: readonly string[],
): string[] {
  return columns.map((column, j) => {
    const mean = double(dialect, scorer.means[j] ?? 0);
    const value = transformedSql(dialect, scorer.transforms?.[j], column);
    return `((coalesce(${value}, ${mean}) - ${mean}) / ${double(dialect, scorer.scales[j] ?? 1)})`;
  });
}

/**
 * The number of the nearest centre (squared Euclidean distance in standardised units, a
 * missing value at the mean); ties go to the lower number, as in src/ml/kmeans.ts.
 */
export function clusterSql(dialect: Dialect, scorer: ClusterScorer, columns: readonly string[]): string {
  const z = standardizedSql(dialect, scorer, columns);
  const distances = scorer.centres.map(
    (centre) =>
      `(${z.map((value, j) => `(${value} - ${double(dialect, centre[j] ?? 0)}) * (${value} - ${double(dialect, centre[j] ?? 0)})`).join(' + ')})`,
  );
  // The first centre no farther than every later one is the nearest with the lowest number.
  const arms = distances.slice(0, -1).map((distance, c) => {
    const later = distances.slice(c + 1).map((other) => `${distance} <= ${other}`);
    return `WHEN ${later.join(' AND ')} THEN ${c}`;
  });
  return `CASE ${arms.join(' ')} ELSE ${distances.length - 1} END`;
}

/** `standardizedSql` over fragments, for queries outside the compiler (the cluster map). */
export function standardizedFragments(
  dialect: Dialect,
  scorer: Pick<ClusterScorer, 'means' | 'scales' | 'transforms'>,
  columns: readonly Sql[],
): Sql[] {
  return standardizedSql(
    dialect,
    scorer,
    columns.map((c) => c.text),
  ).map(rawSql);
}
