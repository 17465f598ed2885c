import { Client } from '@hubspot/api-client';
import type { CrmConnector, Preparation, PropertyChoices, Write, WriteResult } from './connector.js';
import { type CallFailure, type RetryPolicy, withRetries } from './retry.js';
import type { SyncedValue } from './sync-state.js';
import type { MappedField } from './sync-values.js';

/**
 * HubSpot companies and contacts through @hubspot/api-client (CRM API v3): properties read
 * and created in their own group (`/crm/v3/properties/{object}`), companies found by domain
 * with the search endpoint's IN filter, contacts by email with batch read on `idProperty`
 * email, values written with batch update (at most 100 inputs a call). The client's own
 * retries are off: retry.ts honours `Retry-After` and the rate-limit policy in the body.
 */

/** Pages of one domain search before it is given up (200 companies a page). */
const MAX_SEARCH_PAGES = 50;

export interface HubSpotOptions {
  readonly object: 'companies' | 'contacts';
  readonly token: string;
  readonly apiUrl?: string | undefined;
  readonly group: string;
  readonly retry: RetryPolicy;
}

/** What the client threw, as retry.ts reads it (ApiException: code, body, headers). */
export function hubspotFailure(error: unknown): CallFailure | null {
  const e = error as { code?: unknown; body?: unknown; headers?: Record<string, string> } | null;
  if (!e || typeof e.code !== 'number') {
    // A refused or cut connection: worth another try, as a 5xx.
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && /^E(CONNRESET|CONNREFUSED|PIPE|TIMEDOUT)$|^UND_ERR/.test(code))
      return { status: 503, message: `HubSpot unreachable: ${code}` };
    return null;
  }
  const body = (e.body ?? {}) as { message?: unknown; policyName?: unknown; category?: unknown };
  const policy = String(body.policyName ?? '');
  return {
    status: e.code,
    retryAfter: e.headers?.['retry-after'],
    // HubSpot's documented windows: the per-second limit and the ten-second rolling one.
    vendorWaitMs: policy === 'TEN_SECONDLY_ROLLING' ? 10_000 : policy === 'SECONDLY' ? 1000 : undefined,
    // The CRM's own text, bounded: it is shown, logged and kept with failed records.
    message: `HubSpot answered ${e.code}${body.category ? ` ${String(body.category).slice(0, 80)}` : ''}: ${String(body.message ?? 'no message').slice(0, 300)}`,
  };
}

/** A value as HubSpot's API takes every property: text ('' clears it). */
function asText(value: SyncedValue): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

/** The property HubSpot should have for a mapped field. */
function propertyFor(field: MappedField, choices: PropertyChoices, group: string) {
  const label = `Strata ${field.property.replace(/^strata_/, '').replace(/_/g, ' ')}`;
  const options = (values: readonly string[]) =>
    values.map((value, i) => ({ label: value, value, displayOrder: i, hidden: false }));
  const base = { name: field.property, label, groupName: group };
  const { value } = field;
  if (field.kind === 'flag')
    return {
      ...base,
      type: 'bool',
      fieldType: 'booleancheckbox',
      options: [
        { label: 'Yes', value: 'true', displayOrder: 0, hidden: false },
        { label: 'No', value: 'false', displayOrder: 1, hidden: false },
      ],
    };
  if (field.kind === 'number') return { ...base, type: 'number', fieldType: 'number' };
  if (value === 'segments')
    return { ...base, type: 'enumeration', fieldType: 'checkbox', options: options(choices.segments) };
  if (typeof value === 'object' && 'scheme' in value)
    return {
      ...base,
      type: 'enumeration',
      fieldType: 'select',
      options: options(choices.schemes[value.scheme] ?? []),
    };
  return { ...base, type: 'string', fieldType: value === 'next_action' ? 'textarea' : 'text' };
}

export function hubspotConnector(options: HubSpotOptions): CrmConnector {
  const client = new Client({
    accessToken: options.token,
    numberOfApiCallRetries: 0,
    ...(options.apiUrl ? { basePath: options.apiUrl.replace(/\/+$/, '') } : {}),
  });
  const api = options.object === 'companies' ? client.crm.companies : client.crm.contacts;
  const call = <T>(work: () => Promise<T>) => withRetries(work, hubspotFailure, options.retry);

  return {
    batchSize: 100,
    findSize: 100,

    async prepare(fields, choices): Promise<Preparation> {
      const existing = await call(() => client.crm.properties.coreApi.getAll(options.object));
      const byName = new Map(existing.results.map((p) => [p.name, p]));
      const wanted = fields.map((field) => propertyFor(field, choices, options.group));
      const missing = wanted.filter((p) => !byName.has(p.name));
      const updated: string[] = [];
      // A pick list missing a segment or label written now (a segment added since) gets it.
      for (const want of wanted) {
        const have = byName.get(want.name);
        if (!have || !('options' in want) || have.type !== 'enumeration' || want.type !== 'enumeration')
          continue;
        const known = new Set(have.options.map((o) => o.value));
        const added = want.options.filter((o) => !known.has(o.value));
        if (added.length === 0) continue;
        await call(() =>
          client.crm.properties.coreApi.update(options.object, want.name, {
            options: [
              ...have.options,
              ...added.map((o, i) => ({ ...o, displayOrder: have.options.length + i })),
            ],
          }),
        );
        updated.push(want.name);
      }
      if (missing.length === 0) return { created: [], updated };
      await call(async () => {
        try {
          await client.crm.properties.groupsApi.create(options.object, {
            name: options.group,
            label: 'Strata',
          });
        } catch (error) {
          // 409: the group is there already.
          if ((error as { code?: unknown }).code !== 409) throw error;
        }
      });
      const created = await call(() =>
        client.crm.properties.batchApi.create(options.object, {
          inputs: missing as Parameters<typeof client.crm.properties.batchApi.create>[1]['inputs'],
        }),
      );
      const errors = 'errors' in created ? (created.errors ?? []) : [];
      if (errors.length > 0)
        throw new Error(
          `HubSpot refused to create ${errors.length} of ${missing.length} properties: ${errors
            .map((e) => e.message)
            .join('; ')
            .slice(0, 500)}`,
        );
      return { created: missing.map((p) => p.name), updated };
    },

    async find(keys): Promise<Map<string, string>> {
      const found = new Map<string, string>();
      if (keys.length === 0) return found;
      if (options.object === 'contacts') {
        const answer = await call(() =>
          client.crm.contacts.batchApi.read({
            idProperty: 'email',
            inputs: keys.map((id) => ({ id })),
            properties: ['email'],
            propertiesWithHistory: [],
          }),
        );
        for (const record of answer.results) {
          const email = record.properties.email?.toLowerCase();
          if (email && !found.has(email)) found.set(email, record.id);
        }
        return found;
      }
      let after: string | undefined;
      // 100 domains find at most a few hundred companies: a CRM paging on past MAX_SEARCH_PAGES is refused.
      let pages = 0;
      do {
        if (++pages > MAX_SEARCH_PAGES)
          throw new Error(
            `HubSpot's search went on past ${MAX_SEARCH_PAGES} pages for ${keys.length} domains`,
          );
        const page = await call(() =>
          client.crm.companies.searchApi.doSearch({
            filterGroups: [
              { filters: [{ propertyName: 'domain', operator: 'IN' as never, values: [...keys] }] },
            ],
            properties: ['domain'],
            limit: 200,
            ...(after ? { after } : {}),
            sorts: [],
          }),
        );
        // When two companies share a domain, the oldest (ids grow as records are made).
        for (const record of page.results) {
          const domain = record.properties.domain?.toLowerCase();
          const held = found.get(domain ?? '');
          if (domain && (held === undefined || Number(record.id) < Number(held)))
            found.set(domain, record.id);
        }
        after = page.paging?.next?.after;
      } while (after);
      return found;
    },

    async write(batch: readonly Write[]): Promise<WriteResult[]> {
      const inputs = batch.map(({ crmId, values }) => ({
        id: crmId,
        properties: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, asText(v)])),
      }));
      const answer = await call(() => api.batchApi.update({ inputs }));
      // A 207 names the failed ids in each error's context; the others were written.
      const failed = new Map<string, string>();
      for (const error of 'errors' in answer ? (answer.errors ?? []) : []) {
        const ids = (error.context as Record<string, string[]> | undefined)?.ids ?? [];
        for (const id of ids) failed.set(id, `${error.category}: ${error.message}`);
      }
      const written = new Set(answer.results.map((r) => r.id));
      return batch.map(({ crmId }) => {
        const reason = failed.get(crmId);
        if (reason) return { ok: false, error: reason };
        return written.has(crmId) ? { ok: true } : { ok: false, error: 'HubSpot did not return this record' };
      });
    },
  };
}
