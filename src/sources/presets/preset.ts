import type { TableName } from '../../model/tables.js';
import type { DeriveEntry } from '../derive/derive-columns.js';
import type { DeriveFunction } from '../derive/functions.js';

/**
 * A preset: how one vendor's standard export of one object (Stripe subscriptions, HubSpot
 * companies, ...) becomes one of Strata's tables, as the same `map:` and `derive:` a person
 * could write in strata.yaml. A source with `preset:` starts from these; its own `map:` and
 * `derive:` entries override the preset's of the same name.
 */
export interface PresetMapping {
  readonly map?: Readonly<Record<string, string>>;
  readonly derive: Readonly<Record<string, DeriveEntry>>;
}

export interface Preset {
  /** `vendor/object`, as written after `preset:`. */
  readonly id: string;
  readonly table: TableName;
  /** One sentence for the README's table of presets. */
  readonly doc: string;
  /** Where the vendor documents the fields this preset reads. */
  readonly reference: string;
  /** The mapping of the vendor's CSV export, if it has one. */
  readonly csv?: PresetMapping;
  /** The mapping of the vendor API's JSON objects, and the key of a list answer holding them. */
  readonly json?: PresetMapping & { readonly records: string };
  /** Functions only this preset's expressions need (the functions of derive/functions.ts are always there). */
  readonly functions?: Readonly<Record<string, DeriveFunction>>;
}
