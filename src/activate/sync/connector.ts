import { StrataError } from '../../errors.js';
import type { SyncedValues } from './sync-state.js';
import type { MappedField } from './sync-values.js';

/**
 * What the sync needs of a CRM, whichever vendor: its properties made ready, records found
 * by domain or email, and batches written with an answer per record. Each vendor's file
 * (hubspot.ts, salesforce.ts) implements it through the vendor's official client.
 */

/** Allowed values of enumerated properties (segments, a scheme's labels), for the CRM's pick lists. */
export interface PropertyChoices {
  readonly segments: readonly string[];
  readonly schemes: Readonly<Record<string, readonly string[]>>;
}

export interface Preparation {
  /** Properties Strata created in the CRM (HubSpot), or options it added to pick lists. */
  readonly created: readonly string[];
  readonly updated: readonly string[];
}

/** A record to write: the CRM id and every mapped value. */
export interface Write {
  readonly crmId: string;
  readonly values: SyncedValues;
}

/** Per record written, in input order: done, or the CRM's reason. */
export type WriteResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

export interface CrmConnector {
  /** Records per write call, the vendor's documented maximum. */
  readonly batchSize: number;
  /** Keys per lookup call. */
  readonly findSize: number;
  /** Checks the credentials and that each mapped property exists, creating what the API allows. */
  prepare(fields: readonly MappedField[], choices: PropertyChoices): Promise<Preparation>;
  /** The CRM ids of the records with these domains or emails (lower-case); absent keys are not found. */
  find(keys: readonly string[]): Promise<Map<string, string>>;
  write(batch: readonly Write[]): Promise<WriteResult[]>;
}

/** A set-up step the user must do in the CRM before a sync can write (a field the API cannot create). */
export class SetupNeeded extends StrataError {
  constructor(
    message: string,
    readonly missing: readonly string[],
  ) {
    super('crm_setup_needed', message, {}, { missing });
  }
}
