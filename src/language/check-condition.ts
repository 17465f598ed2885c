import { didYouMean } from '../errors.js';
import type { Comparison, ConditionNode } from './ast.js';
import type { Fail, MetricScope } from './metric-scope.js';
import { accountColumnValue } from './value-types.js';

type Path = readonly (string | number)[];

/** What checking a segment's conditions needs: the metrics, the other segments, where to report. */
export interface ConditionContext {
  readonly scope: MetricScope;
  /** Every segment id of the workspace. */
  readonly segmentIds: readonly string[];
  /** Records that the segment being checked refers to `segment`. */
  readonly refer: (segment: string) => void;
  readonly fail: Fail;
}

const ORDERING = new Set(['gt', 'gte', 'lt', 'lte', 'between']);

/** Checks every name and type in a condition tree, at `path` in strata.yaml. */
export function checkCondition(node: ConditionNode, path: Path, context: ConditionContext): void {
  switch (node.kind) {
    case 'metric':
    case 'metricChange':
      checkMetricCondition(node, path, context);
      return;
    case 'rank':
      context.scope.use(node.metric, [...path, 'by']);
      context.scope.check(node.metric);
      if (context.scope.kind(node.metric) === 'rfm') {
        context.fail(
          'unsupported_metric',
          `'${node.metric}' is an RFM score: compare it (gte: 4) instead of ranking it`,
          [...path, 'by'],
        );
      }
      if (context.scope.isRolledUp(node.metric)) {
        context.fail(
          'unsupported_metric',
          `'${node.metric}' is rolled up over account hierarchies: compare it instead of ranking it`,
          [...path, 'by'],
        );
      }
      return;
    case 'trait':
      checkTrait(node, path, context.fail);
      return;
    case 'segment':
      if (!context.segmentIds.includes(node.segment)) {
        context.fail(
          'unknown_segment',
          `unknown segment '${node.segment}'${didYouMean(node.segment, context.segmentIds)}`,
          [...path, 'segment'],
        );
      }
      context.refer(node.segment);
      return;
    case 'all':
    case 'any':
      node.conditions.forEach((c, i) => {
        checkCondition(c, [...path, node.kind, i], context);
      });
      return;
    case 'not':
      checkCondition(node.condition, [...path, 'not'], context);
      return;
    default:
      return;
  }
}

/** A metric compared (by value, or by its change over a window) must exist and fit the comparison. */
function checkMetricCondition(
  node: Extract<ConditionNode, { kind: 'metric' | 'metricChange' }>,
  path: Path,
  { scope, fail }: ConditionContext,
): void {
  const at = [...path, 'metric'];
  scope.use(node.metric, at);
  scope.check(node.metric);
  if (node.kind === 'metric') {
    // A text metric compared by size is a type mismatch.
    if (ORDERING.has(node.op) && scope.isText(node.metric)) {
      fail(
        'type_mismatch',
        `metric '${node.metric}' is text; compare it with eq, ne or in, not ${node.op}`,
        at,
      );
    }
  } else if (scope.isSavedOutput(node.metric)) {
    fail(
      'unsupported_metric',
      `'${node.metric}' is the output of a saved model; dropBy needs a plain metric`,
      at,
    );
  } else if (scope.isRolledUp(node.metric)) {
    fail(
      'unsupported_metric',
      `'${node.metric}' is rolled up over account hierarchies; dropBy needs a plain metric`,
      at,
    );
  } else if (scope.isRanked(node.metric)) {
    fail(
      'unsupported_metric',
      `'${node.metric}' is ranked over all accounts; dropBy needs a plain metric`,
      at,
    );
  }
}

/** An account column compared with a value of the other type is a type mismatch. */
function checkTrait(
  node: Extract<ConditionNode, { kind: 'trait' }> & Comparison,
  path: Path,
  fail: Fail,
): void {
  const column = accountColumnValue(node.trait);
  const values = Array.isArray(node.value) ? node.value : [node.value];
  const numericValue = typeof node.value === 'number' || Array.isArray(node.value);
  // A text column (industry, plan, ...) compared by size.
  if (column === 'text' && ORDERING.has(node.op) && numericValue) {
    fail('type_mismatch', `trait '${node.trait}' is text; '${node.op}' needs a number`, [...path, node.op]);
  }
  // A number column compared with text would depend on how the engine prints numbers
  // ('1200' or '1200.0'); ask for the number instead.
  const texts = values.filter((v) => typeof v === 'string');
  if (column === 'number' && texts.length > 0) {
    const number = Number(texts[0]);
    const hint =
      texts[0] !== '' && Number.isFinite(number)
        ? `write ${number}, not '${texts[0]}'`
        : 'compare it with a number';
    fail('type_mismatch', `trait '${node.trait}' is a number; ${hint}`, [...path, node.op]);
  }
}
