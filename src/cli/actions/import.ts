import { didYouMean, StrataError } from '../../errors.js';
import { plural } from '../../format/words.js';
import { findTable, TABLE_NAMES } from '../../model/tables.js';
import {
  type DryRunOutcome,
  dryRunSources,
  importSources,
  orderedSources,
} from '../../sources/import-sources.js';
import { openStore } from '../../store/open-store.js';
import type { ImportResult } from '../../store/store.js';
import { loadWorkspace, type Workspace } from '../../workspace/load-workspace.js';
import type { ImportInput } from '../commands/import.js';
import { count, formatTable, type Output } from '../output.js';
import { createProgress } from '../progress.js';

type Shown = ImportResult & { readonly source?: string };

/** Renders import results as a table of counts per source (or file). */
export function renderImports(results: readonly Shown[]): string {
  const named = results.some((r) => r.source !== undefined);
  return formatTable(
    [
      ...(named ? ['source'] : []),
      'table',
      'file',
      'read',
      'inserted',
      'updated',
      'unchanged',
      'skipped',
      'seconds',
    ],
    results.map((r) => [
      ...(named ? [r.source ?? ''] : []),
      r.table,
      r.file,
      r.rowsRead,
      r.inserted,
      r.updated,
      r.unchanged,
      r.skipped,
      Number(r.seconds.toFixed(2)),
    ]),
    {
      kinds: [
        ...(named ? [undefined] : []),
        undefined,
        undefined,
        'count',
        'count',
        'count',
        'count',
        'count',
      ],
    },
  );
}

/** The first invalid rows of each result, as `file:line [column]: reason` lines. */
function invalidRows(results: readonly ImportResult[], perFile = 10): string[] {
  const lines: string[] = [];
  for (const r of results)
    for (const e of r.errors.slice(0, perFile))
      lines.push(`  ${e.file}:${e.line}${e.column ? ` [${e.column}]` : ''}: ${e.reason}`);
  return lines;
}

/** `strata import --dry-run`: per source what an import would do, and why a source could not be read. */
function renderDryRun(outcomes: readonly DryRunOutcome[]): string {
  const read = outcomes.filter((o): o is Exclude<DryRunOutcome, { error: unknown }> => !('error' in o));
  const lines = ['Dry run: nothing was written.', ''];
  if (read.length > 0) lines.push(renderImports(read));
  for (const outcome of outcomes) {
    if ('error' in outcome) {
      lines.push(
        '',
        `source ${outcome.source} (${outcome.table}) cannot be imported: ${outcome.error.message}`,
      );
      continue;
    }
    if (outcome.skipped === 0) continue;
    const refusal = outcome.wouldRefuse
      ? 'the import would refuse this source (fix the rows, or set skipInvalid: true to import the valid ones)'
      : 'they would be skipped (skipInvalid)';
    lines.push(
      '',
      `source ${outcome.source}: ${plural(outcome.skipped, 'invalid row', 'invalid rows', count(outcome.skipped))}; ${refusal}. First ones:`,
    );
    lines.push(...invalidRows([outcome]));
  }
  return lines.join('\n');
}

/** `strata import [<table> <file>]`: one file, or every source of strata.yaml (or those named by --source). */
export async function runImport(options: ImportInput, output: Output) {
  const { table, file } = options;
  if ((table === undefined) !== (file === undefined)) {
    throw new StrataError(
      'invalid_argument',
      'give both <table> and <file>, or neither to import every source in strata.yaml',
    );
  }
  const workspace = loadWorkspace(options.workspace);
  const only = options.source.length > 0 ? options.source : undefined;
  if (only) checkSourceNames(workspace, only, table !== undefined);
  const store = await openStore(workspace);
  try {
    if (table !== undefined && file !== undefined) {
      const model = findTable(table);
      if (!model)
        throw new StrataError(
          'unknown_table',
          `unknown table '${table}'${didYouMean(table, TABLE_NAMES)} (tables: ${TABLE_NAMES.join(', ')})`,
        );
      const progress = createProgress(`import ${table}`, !output.json);
      const result = await store
        .importFile({
          table: model.name,
          file,
          map: options.map,
          ...(options.format ? { format: options.format } : {}),
          skipInvalid: options.skipInvalid ?? false,
          ...(options.dryRun ? { dryRun: true } : {}),
          onProgress: (fraction) => progress.update(fraction),
        })
        .finally(() => progress.stop());
      if (options.dryRun)
        return output.result({ dryRun: true, imports: [result] }, () =>
          renderDryRun([{ ...result, source: table }]),
        );
      return showImports([result], output);
    }
    const progress = createProgress(options.dryRun ? 'dry run' : 'import', !output.json);
    const onProgress = (source: string, fraction: number) => progress.update(fraction, source);
    if (options.dryRun) {
      const outcomes = await dryRunSources(store, workspace, {
        ...(only ? { only } : {}),
        onProgress,
      }).finally(() => progress.stop());
      return output.result({ dryRun: true, imports: outcomes }, () => renderDryRun(outcomes));
    }
    const results = await importSources(store, workspace, { ...(only ? { only } : {}), onProgress }).finally(
      () => progress.stop(),
    );
    if (results.length === 0)
      output.say(`no sources in ${workspace.file}; add some, or run 'strata import <table> <file>'`);
    showImports(results, output);
  } finally {
    await store.close();
  }
}

function showImports(results: readonly Shown[], output: Output) {
  const skipped = results.reduce((sum, r) => sum + r.skipped, 0);
  output.result({ imports: results }, () => {
    const lines = [renderImports(results)];
    if (skipped > 0)
      lines.push(
        '',
        `${plural(skipped, 'invalid row', 'invalid rows', count(skipped))} skipped; first ones:`,
        ...invalidRows(results),
      );
    return lines.join('\n');
  });
}

/** `--source` names sources of strata.yaml, and goes with importing them, not with one file. */
function checkSourceNames(workspace: Workspace, names: readonly string[], withFile: boolean) {
  if (withFile)
    throw new StrataError(
      'invalid_argument',
      '--source chooses sources of strata.yaml; give it without <table> <file>',
    );
  const known = orderedSources(workspace).map((s) => s.name);
  for (const name of names)
    if (!known.includes(name))
      throw new StrataError(
        'unknown_source',
        `no source '${name}' in ${workspace.file}${didYouMean(name, known)} (sources: ${known.join(', ') || 'none'})`,
      );
}
