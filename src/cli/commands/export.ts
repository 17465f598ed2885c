import { resolve } from 'node:path';
import { CRM_LAYOUTS, type CrmLayout, EXPORTS, type ExportKind, exportData } from '../../activate/exports.js';
import { StrataError } from '../../errors.js';
import type { ExportFormat } from '../../store/store.js';
import { numberOption } from '../options.js';
import type { Output } from '../output.js';
import { withWorkspace } from './run.js';

const FORMATS = ['csv', 'json', 'parquet'] as const;

/** `strata export memberships|metrics|crm|ab --out FILE [--format F] [--segment S] [--layout L] [--run N] [--test T]`. */
export async function runExport(
  what: string,
  options: {
    workspace: string;
    out?: string;
    format: string;
    segment?: string;
    layout: string;
    run?: string;
    test?: string;
  },
  output: Output,
) {
  if (!EXPORTS.includes(what as ExportKind))
    throw new StrataError('invalid_argument', `export ${what}: expected one of ${EXPORTS.join(', ')}`);
  if (!FORMATS.includes(options.format as ExportFormat))
    throw new StrataError(
      'invalid_argument',
      `--format ${options.format}: expected one of ${FORMATS.join(', ')}`,
    );
  if (!CRM_LAYOUTS.includes(options.layout as CrmLayout))
    throw new StrataError(
      'invalid_argument',
      `--layout ${options.layout}: expected one of ${CRM_LAYOUTS.join(', ')}`,
    );
  if (!options.out) throw new StrataError('invalid_argument', `export ${what}: --out FILE is required`);
  const path = resolve(options.out);
  const run = numberOption('--run', options.run, { whole: true, min: 1 });
  return withWorkspace(options.workspace, async (store, workspace) => {
    const result = await exportData(
      store,
      {
        what: what as ExportKind,
        format: options.format as ExportFormat,
        path,
        layout: options.layout as CrmLayout,
        ...(options.segment ? { segment: options.segment } : {}),
        ...(run === undefined ? {} : { run }),
        ...(options.test ? { test: options.test } : {}),
      },
      workspace.metrics,
    );
    output.result(
      result,
      () => `wrote ${result.rows} rows to ${result.path}${result.runId ? ` (run ${result.runId})` : ''}`,
    );
    return result;
  });
}
