import { type ColumnType, TABLES } from '../model/tables.js';
import { ownValue } from '../own-key.js';
import type { MetricNode } from './ast.js';

/** Built-in metrics whose values are text ('promoter', '2024-03', '2024-Q1'), not numbers. */
const TEXT_METRICS = new Set(['nps_category', 'signup_month', 'signup_quarter']);

const isNumericType = (type: ColumnType) => type === 'integer' || type === 'double';

/** Account columns usable as numeric metrics without a declaration. */
export const NUMERIC_ACCOUNT_COLUMNS = TABLES.accounts.columns
  .filter((c) => isNumericType(c.type))
  .map((c) => c.name);

/** Whether a metric holds text (compared with eq / in) rather than a number. */
export function isTextMetric(name: string, metrics: Readonly<Record<string, MetricNode>>): boolean {
  const node = ownValue(metrics, name);
  return (
    TEXT_METRICS.has(name) ||
    (node?.kind === 'builtin' && TEXT_METRICS.has(node.name)) ||
    (node?.kind === 'rfm' && node.part === 'cell')
  );
}

/** What an account column holds, or null for a name that is not a column (a key of `traits`). */
export function accountColumnValue(name: string): 'number' | 'text' | null {
  const column = TABLES.accounts.columns.find((c) => c.name === name);
  if (!column) return null;
  return isNumericType(column.type) ? 'number' : 'text';
}
