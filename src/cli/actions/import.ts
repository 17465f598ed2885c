import { didYouMean, StrataError } from '../../errors.js';
import { plural } from '../../format/words.js';
import { findTable, TABLE_NAMES } from '../../model/tables.js';
import { importSources } from '../../store/import-sources.js';
import { openStore } from '../../store/open-store.js';
import type { ImportResult } from '../../store/store.js';
import { loadWorkspace } from '../../workspace/load-workspace.js';
import type { ImportInput } from '../commands/import.js';
import { count, formatTable, type Output } from '../output.js';
import { createProgress } from '../progress.js';

/** Renders import results as a table of counts per file. */
export function renderImports(results: readonly ImportResult[]): string {
  return formatTable(
    ['table', 'file', 'read', 'inserted', 'updated', 'unchanged', 'skipped', 'seconds'],
    results.map((r) => [
      r.table,
      r.file,
      r.rowsRead,
      r.inserted,
      r.updated,
      r.unchanged,
      r.skipped,
      Number(r.seconds.toFixed(2)),
    ]),
    { kinds: [undefined, undefined, 'count', 'count', 'count', 'count', 'count'] },
  );
}

/** `strata import [<table> <file>]`: one file, or every source of strata.yaml. */
export async function runImport(options: ImportInput, output: Output) {
  const { table, file } = options;
  if ((table === undefined) !== (file === undefined)) {
    throw new StrataError(
      'invalid_argument',
      'give both <table> and <file>, or neither to import every source in strata.yaml',
    );
  }
  const workspace = loadWorkspace(options.workspace);
  const store = await openStore(workspace);
  try {
    let results: ImportResult[];
    if (table !== undefined && file !== undefined) {
      const model = findTable(table);
      if (!model)
        throw new StrataError(
          'unknown_table',
          `unknown table '${table}'${didYouMean(table, TABLE_NAMES)} (tables: ${TABLE_NAMES.join(', ')})`,
        );
      const progress = createProgress(`import ${table}`, !output.json);
      try {
        results = [
          await store.importFile({
            table: model.name,
            file,
            map: options.map,
            ...(options.format ? { format: options.format } : {}),
            skipInvalid: options.skipInvalid ?? false,
            onProgress: (fraction) => progress.update(fraction),
          }),
        ];
      } finally {
        progress.stop();
      }
    } else {
      const progress = createProgress('import', !output.json);
      try {
        results = await importSources(store, workspace, (name, fraction) => progress.update(fraction, name));
      } finally {
        progress.stop();
      }
      if (results.length === 0)
        output.say(`no sources in ${workspace.file}; add some, or run 'strata import <table> <file>'`);
    }
    const skipped = results.reduce((sum, r) => sum + r.skipped, 0);
    output.result({ imports: results }, () => {
      const lines = [renderImports(results)];
      if (skipped > 0) {
        lines.push(
          '',
          `${plural(skipped, 'invalid row', 'invalid rows', count(skipped))} skipped; first ones:`,
        );
        for (const r of results)
          for (const e of r.errors.slice(0, 10))
            lines.push(`  ${e.file}:${e.line}${e.column ? ` [${e.column}]` : ''}: ${e.reason}`);
      }
      return lines.join('\n');
    });
  } finally {
    await store.close();
  }
}
