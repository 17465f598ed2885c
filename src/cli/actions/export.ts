import { resolve } from 'node:path';
import { CRM_LAYOUTS, EXPORTS, exportData } from '../../activate/exports.js';
import { StrataError } from '../../errors.js';
import { count } from '../../format/numbers.js';
import type { ExportInput } from '../commands/export.js';
import type { Output } from '../output.js';
import { withWorkspace } from '../workspace-session.js';

const FORMATS = ['csv', 'json', 'ndjson', 'parquet'] as const;

/** `strata export memberships|metrics|crm|ab --out FILE [--format F] [--segment S] [--layout L] [--run N] [--test T]`. */
export async function runExport(options: ExportInput, output: Output) {
  const { what, run } = options;
  const kind = EXPORTS.find((k) => k === what);
  if (kind === undefined)
    throw new StrataError('invalid_argument', `export ${what}: expected one of ${EXPORTS.join(', ')}`);
  const format = FORMATS.find((f) => f === options.format);
  if (format === undefined)
    throw new StrataError(
      'invalid_argument',
      `--format ${options.format}: expected one of ${FORMATS.join(', ')}`,
    );
  const layout = CRM_LAYOUTS.find((l) => l === options.layout);
  if (layout === undefined)
    throw new StrataError(
      'invalid_argument',
      `--layout ${options.layout}: expected one of ${CRM_LAYOUTS.join(', ')}`,
    );
  if (!options.out) throw new StrataError('invalid_argument', `export ${what}: --out FILE is required`);
  const path = resolve(options.out);
  return withWorkspace(options.workspace, async (store, workspace) => {
    const result = await exportData(
      store,
      {
        what: kind,
        format,
        path,
        layout,
        ...(options.segment ? { segment: options.segment } : {}),
        ...(run === undefined ? {} : { run }),
        ...(options.test ? { test: options.test } : {}),
      },
      workspace.metrics,
    );
    output.result(
      result,
      () =>
        `wrote ${count(result.rows)} rows to ${result.path}${result.runId ? ` (run ${result.runId})` : ''}`,
    );
    return result;
  });
}
