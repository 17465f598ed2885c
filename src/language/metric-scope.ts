import { hasOwnKey, ownValue } from '../own-key.js';
import type { MetricNode } from './ast.js';
import { undeclaredMetric, unknownMetricMessage } from './metric-names.js';
import { isTextMetric } from './value-types.js';

/** Throws the error of a bad reference, located at `path` in strata.yaml. */
export type Fail = (code: string, message: string, path: readonly (string | number)[]) => never;

/** A metric reference inside a metric, with its path relative to the metric's definition. */
interface MetricInput {
  readonly name: string;
  readonly path: readonly (string | number)[];
}

/** Metrics a metric is built from, with the path of each reference inside it. */
function metricInputs(node: MetricNode): MetricInput[] {
  switch (node.kind) {
    case 'change':
      return [{ name: node.metric, path: ['change'] }];
    case 'percentile':
      return [{ name: node.metric, path: ['percentile'] }];
    case 'rollup':
      return [{ name: node.metric, path: ['rollup'] }];
    case 'score':
      return node.components.map((c, i) => ({ name: c.metric, path: ['score', i, 'metric'] }));
    case 'rfm':
      return [
        { name: node.recency, path: ['rfm'] },
        { name: node.frequency, path: ['rfm'] },
        { name: node.monetary, path: ['rfm'] },
      ];
    default:
      return [];
  }
}

/**
 * The metrics a workspace can use: the declared ones, and the built-in, account-column and
 * saved-model metrics added as references name them. Checks that metrics built from
 * metrics refer to known ones, without a cycle and without a ranked metric inside another.
 */
export class MetricScope {
  readonly metrics: Record<string, MetricNode>;
  private readonly visited = new Map<string, 'open' | 'done'>();

  constructor(
    private readonly declared: Readonly<Record<string, MetricNode>>,
    /** Metrics usable without a declaration besides the built-in ones (saved models' outputs). */
    private readonly implicit: (name: string) => MetricNode | undefined,
    private readonly fail: Fail,
  ) {
    this.metrics = { ...declared };
  }

  /** Makes `name` known (declaring a built-in or account metric on first use), or fails at `path`. */
  use(name: string, path: readonly (string | number)[]): void {
    if (hasOwnKey(this.metrics, name)) return;
    const node = undeclaredMetric(name) ?? this.implicit(name);
    if (node) this.metrics[name] = node;
    else this.fail('unknown_metric', unknownMetricMessage(name, Object.keys(this.declared)), path);
  }

  /** The kind of metric `name`, if it is known so far. */
  kind(name: string): MetricNode['kind'] | undefined {
    return ownValue(this.metrics, name)?.kind;
  }

  /** Outputs of saved models: computed over their own features, after every other metric. */
  isSavedOutput(name: string): boolean {
    const kind = this.kind(name);
    return kind === 'model' || kind === 'cluster';
  }

  /** Metrics ranked over all accounts: they cannot be inputs of other metrics. */
  isRanked(name: string): boolean {
    const kind = this.kind(name);
    return kind === 'percentile' || kind === 'rfm';
  }

  /** Metrics over an account's hierarchy: computed after every per-account value, like ranks. */
  isRolledUp(name: string): boolean {
    return this.kind(name) === 'rollup';
  }

  /** Whether metric `name` holds text (src/language/value-types.ts). */
  isText(name: string): boolean {
    return isTextMetric(name, this.metrics);
  }

  /** Checks metric `name` and, depth first, the metrics it is built from; `trail` leads to it. */
  check(name: string, trail: readonly string[] = []): void {
    if (this.visited.get(name) === 'done') return;
    if (this.visited.get(name) === 'open') {
      const cycle = [...trail.slice(trail.indexOf(name)), name].join(' -> ');
      this.fail('metric_cycle', `metrics refer to each other in a cycle: ${cycle}`, ['metrics', name]);
    }
    this.visited.set(name, 'open');
    const node = ownValue(this.metrics, name);
    for (const input of node ? metricInputs(node) : []) {
      const at = ['metrics', name, ...input.path];
      this.use(input.name, at);
      this.checkInput(name, node, input.name, at);
      this.check(input.name, [...trail, name]);
    }
    this.visited.set(name, 'done');
  }

  /** What may not be inside metric `name`: a ranked metric, a saved model's output, text in RFM. */
  private checkInput(
    name: string,
    node: MetricNode | undefined,
    input: string,
    at: readonly (string | number)[],
  ): void {
    // A percentile of a percentile is the same ranks; a percentile of an RFM score is not.
    if ((node?.kind !== 'percentile' || this.kind(input) === 'rfm') && this.isRanked(input)) {
      this.fail(
        'unsupported_metric',
        `'${input}' is ranked over all accounts (a percentile or RFM score) and cannot be used inside '${name}'`,
        at,
      );
    }
    if (this.isSavedOutput(input)) {
      this.fail(
        'unsupported_metric',
        `'${input}' is the output of a saved model and cannot be used inside '${name}'`,
        at,
      );
    }
    if (this.isRolledUp(input)) {
      this.fail(
        'unsupported_metric',
        `'${input}' is rolled up over account hierarchies and cannot be used inside '${name}'`,
        at,
      );
    }
    if (node?.kind === 'rollup' && this.isText(input)) {
      this.fail('type_mismatch', `a roll-up needs numbers, and metric '${input}' is text`, at);
    }
    if (node?.kind === 'rfm' && this.isText(input)) {
      this.fail('type_mismatch', `RFM needs numbers, and metric '${input}' is text`, at);
    }
  }
}
