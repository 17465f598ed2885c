import type { ConditionNode } from '../language/ast.js';
import { comparedMetric, conditionPaths } from '../language/condition-paths.js';
import { ownValue } from '../own-key.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { implicitModelMetric } from '../workspace/model-files.js';
import { type Explanation, explainAccount } from './predict.js';

/**
 * What drove a prediction a condition compares (`{ metric: churn_probability, gte: 0.7 }`,
 * `{ top: 10%, by: risk }`): the saved model's explanation of the account at the same
 * as-of time, its largest feature contributions, as `strata predict explain` gives them.
 * `strata explain` and the explain route hand `modelDrivers` to src/engine/explain-membership.ts.
 */

/** Contributions shown per model: the few that matter most. */
const TOP_DRIVERS = 5;

/** The saved model behind a metric (declared `{ model: }` or `<name>_probability`), if any. */
function modelRef(workspace: Workspace, metric: string): string | null {
  const node = ownValue(workspace.metrics, metric) ?? implicitModelMetric(workspace.dir, metric);
  return node?.kind === 'model' ? node.ref : null;
}

/** Each model-backed metric the trees compare, with the model's explanation of `account` at `asOf`. */
export async function modelDrivers(
  store: Store,
  workspace: Workspace,
  account: string,
  asOf: Date,
  trees: readonly ConditionNode[],
): Promise<Map<string, Explanation>> {
  const refs = new Map<string, string>();
  for (const tree of trees)
    for (const { node } of conditionPaths(tree)) {
      const metric = comparedMetric(node);
      const ref = metric === null ? null : modelRef(workspace, metric);
      if (metric !== null && ref !== null) refs.set(metric, ref);
    }
  const drivers = new Map<string, Explanation>();
  for (const [metric, ref] of refs)
    drivers.set(metric, await explainAccount(store, workspace, ref, account, { asOf, top: TOP_DRIVERS }));
  return drivers;
}
