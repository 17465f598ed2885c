import { StrataError } from '../errors.js';
import { plural } from '../format/words.js';
import { TABLE_NAMES, type TableName } from '../model/tables.js';
import type { FileFormat, ImportRequest, ImportResult, Store } from '../store/store.js';
import { pathInWorkspace } from '../store/store-config.js';
import { derivedColumns } from './derive/derive-columns.js';
import { FUNCTIONS } from './derive/functions.js';
import type { Preset } from './presets/preset.js';
import { PRESETS } from './presets/presets.js';
import type { SourceConfig } from './source-config.js';

/** One import's result, with the strata.yaml source it came from. */
export type SourceResult = ImportResult & { readonly source: string };

/** A source's outcome in a dry run: what it would do, or why it could not be read. */
export type DryRunOutcome =
  | SourceResult
  | { readonly source: string; readonly table: TableName; readonly error: { code: string; message: string } };

export interface ImportOptions {
  /** Import only these sources (names in strata.yaml). */
  readonly only?: readonly string[];
  readonly onProgress?: (source: string, fraction: number) => void;
}

interface Workspace {
  readonly dir: string;
  readonly config: { readonly sources: Readonly<Record<string, SourceConfig>> };
}

/** The table a source fills: `table:`, else its preset's, else its name. */
export function sourceTable(name: string, source: SourceConfig): TableName | undefined {
  if (source.table) return source.table;
  const preset = source.preset ? presetOf(source.preset) : undefined;
  if (preset) return preset.table;
  return (TABLE_NAMES as string[]).includes(name) ? (name as TableName) : undefined;
}

function presetOf(id: string): Preset | undefined {
  return Object.hasOwn(PRESETS, id) ? PRESETS[id] : undefined;
}

/**
 * The sources in the order they are imported: tables in the model's order (accounts before
 * the tables that refer to them), sources of one table in strata.yaml's order.
 */
export function orderedSources(workspace: Workspace, only?: readonly string[]) {
  const entries = Object.entries(workspace.config.sources).flatMap(([name, source]) => {
    const table = sourceTable(name, source);
    return table && (!only || only.includes(name)) ? [{ name, source, table }] : [];
  });
  return TABLE_NAMES.flatMap((table) => entries.filter((e) => e.table === table));
}

/** A file to import a source from: its own `file:`, or the CSV a Postgres source was read into. */
export interface SourceFile {
  readonly path: string;
  readonly format?: FileFormat;
}

/**
 * The import request of one source: the file to read (by default its `file:`), its
 * preset's mapping under its own `map:` and `derive:`.
 */
export function sourceRequest(
  workspace: Workspace,
  name: string,
  source: SourceConfig,
  table: TableName,
  read: SourceFile | undefined = source.file
    ? {
        path: pathInWorkspace(workspace.dir, source.file),
        ...(source.format ? { format: source.format } : {}),
      }
    : undefined,
): Omit<ImportRequest, 'onProgress'> {
  if (!read)
    throw new StrataError('not_supported', `sources.${name}: a Postgres source is read before its import`, {
      path: `sources.${name}`,
    });
  const file = read.path;
  const format = read.format;
  const preset = source.preset ? presetOf(source.preset) : undefined;
  const json = format === 'json' || (format === undefined && /\.json$/i.test(file));
  const mapping = preset ? (json ? preset.json : preset.csv) : undefined;
  if (preset && !mapping)
    throw new StrataError(
      'invalid_source',
      `sources.${name}: preset ${preset.id} reads ${preset.csv ? 'CSV' : 'JSON'} files, not ${source.file ?? 'a Postgres table'}`,
      { path: `sources.${name}.${source.file ? 'file' : 'postgres'}` },
    );
  const derive = { ...mapping?.derive, ...source.derive };
  const map = { ...mapping?.map, ...source.map };
  const records = source.records ?? (preset?.json && json ? preset.json.records : undefined);
  return {
    table,
    file,
    ...(format ? { format } : {}),
    ...(records ? { records } : {}),
    ...(Object.keys(map).length > 0 ? { map } : {}),
    ...(Object.keys(derive).length > 0
      ? { derive: derivedColumns(name, derive, { ...FUNCTIONS, ...preset?.functions }) }
      : {}),
    ...(source.skipInvalid ? { skipInvalid: source.skipInvalid } : {}),
  };
}

/** One source imported (or dry-run): a file through the store, a Postgres source through a temporary file. */
async function importSource(
  store: Store,
  workspace: Workspace,
  { name, source, table }: { name: string; source: SourceConfig; table: TableName },
  options: ImportOptions,
  dryRun: boolean,
) {
  const onProgress = options.onProgress;
  const flags = {
    ...(onProgress ? { onProgress: (fraction: number) => onProgress(name, fraction) } : {}),
    ...(dryRun ? { dryRun: true } : {}),
  };
  // Loaded only for a Postgres source: the `pg` client cost every import about 45 ms to load.
  return source.postgres
    ? (await import('./postgres/import-postgres.js')).importPostgresSource(
        store,
        name,
        source,
        (file) => sourceRequest(workspace, name, source, table, file),
        flags,
      )
    : store.importFile({ ...sourceRequest(workspace, name, source, table), ...flags });
}

/**
 * Imports every source of strata.yaml (or those in `only`). Each is its own atomic import:
 * when one fails, those imported before it stay imported and the later ones are not
 * started, and the error says all three (with the committed results in its details).
 */
export async function importSources(store: Store, workspace: Workspace, options: ImportOptions = {}) {
  const results: SourceResult[] = [];
  const sources = orderedSources(workspace, options.only);
  for (const [i, { name, source, table }] of sources.entries()) {
    try {
      const result = await importSource(store, workspace, { name, source, table }, options, false);
      results.push({ ...result, source: name });
    } catch (error) {
      if (!(error instanceof StrataError)) throw error;
      throw failedSource(
        error,
        name,
        results,
        sources.slice(i + 1).map((s) => s.name),
      );
    }
  }
  return results;
}

/** A source's failure, saying which sources were imported before it and which were not started. */
function failedSource(
  error: StrataError,
  name: string,
  imported: readonly SourceResult[],
  notStarted: readonly string[],
): StrataError {
  const parts = [`source ${name}: ${error.describe()}`];
  if (imported.length > 0)
    parts.push(
      `imported before it: ${imported.map((r) => `${r.source} (${plural(r.inserted + r.updated, 'row written', 'rows written')})`).join(', ')}`,
    );
  if (notStarted.length > 0) parts.push(`not started: ${notStarted.join(', ')}`);
  const details = (error.details ?? {}) as Record<string, unknown>;
  return new StrataError(
    error.code,
    parts.join('; '),
    {},
    {
      ...details,
      source: name,
      imports: imported,
      notStarted,
    },
  );
}

/**
 * What importing every source would do, writing nothing: per source the rows it would
 * insert, update, leave unchanged and skip, with the first invalid rows; a source that
 * cannot be read (a missing file, a bad expression) gives its error and the others go on.
 */
export async function dryRunSources(store: Store, workspace: Workspace, options: ImportOptions = {}) {
  const outcomes: DryRunOutcome[] = [];
  for (const { name, source, table } of orderedSources(workspace, options.only)) {
    try {
      const result = await importSource(store, workspace, { name, source, table }, options, true);
      outcomes.push({ ...result, source: name });
    } catch (error) {
      if (!(error instanceof StrataError)) throw error;
      outcomes.push({ source: name, table, error: { code: error.code, message: error.describe() } });
    }
  }
  return outcomes;
}
