import { didYouMean } from '../errors.js';
import { TABLE_NAMES } from '../model/tables.js';
import { checkDeriveEntry } from './derive/derive-columns.js';
import { FUNCTIONS } from './derive/functions.js';
import { PRESETS } from './presets/presets.js';
import type { SourceConfig } from './source-config.js';

export interface SourceProblem {
  readonly code: string;
  /** Where in strata.yaml, below `sources.<name>`. */
  readonly path: readonly string[];
  readonly message: string;
}

/**
 * What is wrong with a source before any file is read, or null: the table it fills is
 * unknown, its preset is unknown or fills another table, a derived column's expression does
 * not parse or calls an unknown function. The workspace loader reports it at its line.
 */
export function checkSource(name: string, source: SourceConfig): SourceProblem | null {
  const tables = TABLE_NAMES as string[];
  const preset =
    source.preset === undefined
      ? undefined
      : Object.hasOwn(PRESETS, source.preset)
        ? PRESETS[source.preset]
        : null;
  if (preset === null) {
    const ids = Object.keys(PRESETS);
    return {
      code: 'unknown_preset',
      path: ['preset'],
      message: `unknown preset '${source.preset}'${didYouMean(source.preset ?? '', ids)} (presets: ${ids.join(', ') || 'none'})`,
    };
  }
  if (preset && source.table && source.table !== preset.table)
    return {
      code: 'invalid_source',
      path: ['table'],
      message: `preset ${preset.id} fills table ${preset.table}, not ${source.table}`,
    };
  if (!source.table && !preset && !tables.includes(name))
    return {
      code: 'unknown_table',
      path: [],
      message: `unknown table '${name}'${didYouMean(name, TABLE_NAMES)} (tables: ${TABLE_NAMES.join(', ')}); a source with another name says its table with table: or preset:`,
    };
  const functions = { ...FUNCTIONS, ...preset?.functions };
  for (const [column, entry] of Object.entries(source.derive ?? {})) {
    const problem = checkDeriveEntry(entry, functions);
    if (problem)
      return { code: 'invalid_derive', path: ['derive', column], message: `the expression ${problem}` };
  }
  return null;
}
