import type { WorkspaceVocabulary } from '../../src/contract/workspace-answers.js';
import { formatKind, type NumberKind } from '../../src/format/numbers.js';
import { type Loaded, useApi } from './load.js';

/** The workspace's currency and metric kinds (GET /v1/workspace), for pages that write metrics. */
export function useVocabulary(): Loaded<WorkspaceVocabulary> {
  return useApi<WorkspaceVocabulary>('/v1/workspace');
}

/**
 * A metric's value as its kind writes it (MRR as money in the workspace's currency, a count
 * whole); a plain number while the vocabulary is not there or does not know the metric.
 */
export function metricText(
  vocabulary: WorkspaceVocabulary | null,
  metric: string,
  value: number | null | undefined,
): string {
  const kind = vocabulary?.metrics.find((m) => m.name === metric)?.kind;
  const numeric: NumberKind = kind === undefined || kind === 'text' ? 'number' : kind;
  return formatKind(value, numeric, vocabulary?.currency ?? 'USD');
}

/** Any metric's value: a number by its kind (metricText), text (a category) as it is. */
export function shownMetric(vocabulary: WorkspaceVocabulary | null, metric: string, value: unknown): string {
  if (typeof value === 'number' || value === null || value === undefined)
    return metricText(vocabulary, metric, value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
