import type { MetricNode } from '../compile/ast.js';
import { compileLayers, metricColumn } from '../compile/compile-workspace.js';
import { MetricCompiler } from '../compile/metric-sql.js';
import { evaluateLayers } from '../engine/evaluate.js';
import { StrataError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { metricNode, withInputs } from '../workspace/metric-closure.js';

export interface FeatureMatrix {
  readonly features: readonly string[];
  readonly accountIds: readonly string[];
  /** Row-major, accounts x features; NaN where an account has no value. */
  readonly x: Float64Array;
}

/**
 * Numeric metrics of every account at `asOf`, computed in the database by the compiled
 * workspace (one row per account) and read back as a typed matrix for the models: the
 * models need the rows themselves, once per fit.
 */
export async function loadFeatures(
  store: Store,
  workspace: Workspace,
  metrics: readonly string[],
  asOf: Date,
): Promise<FeatureMatrix> {
  if (metrics.length === 0) throw new StrataError('invalid_argument', 'give at least one metric');
  const roots: Record<string, MetricNode> = {};
  metrics.forEach((name, i) => {
    const node = metricNode(workspace, name, ['metrics', name]);
    if (MetricCompiler.isText(name, { [name]: node })) {
      throw new StrataError('type_mismatch', `metric '${name}' is text; models need numbers`);
    }
    roots[`feature:${i}`] = node;
  });
  const layers = compileLayers(store.dialect, { metrics: withInputs(workspace, roots), segments: [], asOf });
  const table = await evaluateLayers(store, layers, 'strata_features');
  try {
    const q = store.dialect.quoteIdentifier;
    const columns = metrics.map(
      (_, i) => `${store.dialect.toDouble(q(metricColumn(`feature:${i}`)))} AS f${i}`,
    );
    const rows = await store.query<Record<string, unknown>>(
      `SELECT account_id, ${columns.join(', ')} FROM ${table} ORDER BY account_id`,
    );
    const x = new Float64Array(rows.length * metrics.length);
    rows.forEach((row, i) => {
      metrics.forEach((_, j) => {
        const value = row[`f${j}`];
        x[i * metrics.length + j] = value === null || value === undefined ? Number.NaN : Number(value);
      });
    });
    return { features: [...metrics], accountIds: rows.map((r) => String(r.account_id)), x };
  } finally {
    await store.dropScratch(table);
  }
}
