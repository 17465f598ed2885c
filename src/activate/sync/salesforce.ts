import { Connection } from 'jsforce';
import type { CrmConnector, Preparation, Write, WriteResult } from './connector.js';
import { SetupNeeded } from './connector.js';
import { type CallFailure, type RetryPolicy, withRetries } from './retry.js';
import type { SyncedValue } from './sync-state.js';

/**
 * Salesforce Accounts and Contacts through jsforce (REST API): fields checked with the
 * object's describe (a custom field the REST API cannot create is a set-up step, named with
 * its type), accounts found by Website and contacts by Email with a query jsforce builds and
 * escapes, values written with sObject Collections (`composite/sobjects`, at most 200 records
 * a call, allOrNone false so each record succeeds or fails alone).
 */

export interface SalesforceOptions {
  readonly object: 'Account' | 'Contact';
  readonly instanceUrl: string;
  readonly token: string;
  readonly retry: RetryPolicy;
}

/** The API version Strata writes with (Winter '25). */
export const SALESFORCE_API_VERSION = '62.0';

/** The answer behind the latest failed call: jsforce's errors carry the vendor's code, not the HTTP status. */
interface LastAnswer {
  status: number;
  retryAfter: string | undefined;
}

/** What jsforce threw, as retry.ts reads it, with the HTTP answer seen on the wire. */
export function salesforceFailure(error: unknown, last: LastAnswer | null): CallFailure | null {
  const e = error as { errorCode?: unknown; name?: unknown; message?: unknown; code?: unknown } | null;
  if (!e) return null;
  const code = String(e.errorCode ?? e.code ?? e.name ?? '');
  // jsforce's network errors quote the whole URL (a lookup's every domain): the start says enough.
  const full = String(e.message ?? code);
  const message = full.length > 300 ? `${full.slice(0, 300)}…` : full;
  if (/^E(CONNRESET|CONNREFUSED|PIPE|TIMEDOUT)$|^UND_ERR/.test(code) || /FetchError/.test(String(e.name)))
    return { status: 503, message: `Salesforce unreachable: ${message}` };
  const status =
    last?.status ??
    (code === 'REQUEST_LIMIT_EXCEEDED'
      ? 403
      : /^ERROR_HTTP_(\d{3})$/.exec(code)?.[1]
        ? Number(code.slice(11))
        : 0);
  if (status === 0) return null;
  // Salesforce's API limit answer is a 403 REQUEST_LIMIT_EXCEEDED: waited out like a 429.
  const limited = code === 'REQUEST_LIMIT_EXCEEDED';
  return {
    status: limited ? 429 : status,
    retryAfter: last?.retryAfter,
    message: `Salesforce answered ${status} ${code}: ${message}`,
  };
}

const asField = (value: SyncedValue) => value;

/** A SOQL string literal: backslash and quote escaped as the SOQL reference says, the only way a value reaches a query. */
export function soqlString(value: string): string {
  const escaped = value.replace(/[\\'"\n\r\t\b\f]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
    return named[c] ?? `\\${c}`;
  });
  return `'${escaped}'`;
}

/**
 * Longest encoded query a lookup sends: Salesforce answers 414 over 16,384 characters of URL
 * (and Node's own servers refuse 16 KiB of headers), so lookups stay well under.
 */
const MAX_QUERY_URL = 12_000;

/** The keys' values (each key's forms together) in groups whose encoded IN list fits MAX_QUERY_URL. */
export function urlSizedGroups(values: readonly (readonly string[])[]): string[][] {
  const groups: string[][] = [];
  let group: string[] = [];
  let size = 0;
  for (const forms of values) {
    const cost = forms.reduce((n, form) => n + encodeURIComponent(`${soqlString(form)}, `).length, 0);
    if (group.length > 0 && size + cost > MAX_QUERY_URL) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(...forms);
    size += cost;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** The Website values a domain may be written as. */
export function websiteForms(domain: string): string[] {
  const hosts = [domain, `www.${domain}`];
  return hosts.flatMap((host) => [host, `http://${host}`, `https://${host}`]).flatMap((w) => [w, `${w}/`]);
}

/** A Website value's domain: no scheme, no www., no path, lower case. */
export function websiteDomain(website: string): string {
  return website
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/^www\./, '')
    .replace(/[/?#].*$/, '');
}

export function salesforceConnector(options: SalesforceOptions): CrmConnector {
  const connection = new Connection({
    instanceUrl: options.instanceUrl.replace(/\/+$/, ''),
    accessToken: options.token,
    version: SALESFORCE_API_VERSION,
  });
  // jsforce retries some calls by itself and keeps the HTTP status and headers from its
  // errors: its transport is wrapped to turn its retries off (retry.ts decides) and to keep
  // the latest answer's status and Retry-After.
  let last: LastAnswer | null = null;
  const transport = connection._transport;
  const httpRequest = transport.httpRequest.bind(transport);
  transport.httpRequest = (request, requestOptions) => {
    const answer = httpRequest(request, { ...requestOptions, retry: { maxRetries: 0 } });
    answer.then(
      (response) => {
        last =
          response.statusCode >= 400
            ? { status: response.statusCode, retryAfter: response.headers['retry-after'] }
            : null;
      },
      () => {
        last = null;
      },
    );
    return answer;
  };
  const call = <T>(work: () => Promise<T>) =>
    withRetries(
      () => {
        last = null;
        return work();
      },
      (error) => salesforceFailure(error, last),
      options.retry,
    );
  const sobject = () => connection.sobject(options.object);
  const keyField = options.object === 'Account' ? 'Website' : 'Email';

  return {
    batchSize: 200,
    // Keys read from the state file per lookup round; each round's queries are sized by URL length.
    findSize: 200,

    async prepare(fields): Promise<Preparation> {
      const described = await call(() => sobject().describe());
      const known = new Map(described.fields.map((f) => [f.name.toLowerCase(), f]));
      const missing = fields.filter((f) => !known.has(f.property.toLowerCase()));
      const readOnly = fields.filter((f) => known.get(f.property.toLowerCase())?.updateable === false);
      if (missing.length > 0 || readOnly.length > 0) {
        const type = (kind: string) =>
          kind === 'flag' ? 'Checkbox' : kind === 'number' ? 'Number(16, 6)' : 'Text Area (255)';
        const lines = [
          ...missing.map(
            (f) =>
              `${f.property} (${type(f.kind)}): create it in Setup, Object Manager, ${options.object}, Fields & Relationships`,
          ),
          ...readOnly.map((f) => `${f.property}: the integration user cannot edit it (field-level security)`),
        ];
        throw new SetupNeeded(
          `Salesforce ${options.object} needs ${lines.length === 1 ? 'one set-up step' : `${lines.length} set-up steps`} before Strata can write:\n  ${lines.join('\n  ')}`,
          [...missing, ...readOnly].map((f) => f.property),
        );
      }
      return { created: [], updated: [] };
    },

    async find(keys): Promise<Map<string, string>> {
      const found = new Map<string, string>();
      const values = options.object === 'Account' ? keys.map(websiteForms) : keys.map((key) => [key]);
      // A query travels in the URL: groups of keys kept under MAX_QUERY_URL characters encoded.
      for (const group of urlSizedGroups(values)) {
        // Written here, not with jsforce's find(): it leaves backslashes unescaped and drops the
        // WHERE of an empty list (every record), and returns only the first page.
        const soql = `SELECT Id, ${keyField} FROM ${options.object} WHERE ${keyField} IN (${group.map(soqlString).join(', ')})`;
        const records = await call(
          async () => (await connection.query(soql, { autoFetch: true, maxFetch: 100_000 })).records,
        );
        // When two records share a domain or an email, the lowest Id (ids grow as records are made).
        for (const record of records as { Id: string; [field: string]: unknown }[]) {
          const raw = String(record[keyField] ?? '');
          const key = options.object === 'Account' ? websiteDomain(raw) : raw.toLowerCase();
          const held = found.get(key);
          if (key && (held === undefined || record.Id < held)) found.set(key, record.Id);
        }
      }
      return found;
    },

    async write(batch: readonly Write[]): Promise<WriteResult[]> {
      const records = batch.map(({ crmId, values }) => ({
        Id: crmId,
        ...Object.fromEntries(Object.entries(values).map(([k, v]) => [k, asField(v)])),
      }));
      const results = await call(() => sobject().update(records, { allOrNone: false }));
      return (Array.isArray(results) ? results : [results]).map((result) =>
        result.success
          ? { ok: true }
          : {
              ok: false,
              error: result.errors
                .map((e) => `${(e as { statusCode?: string }).statusCode ?? e.errorCode}: ${e.message}`)
                .join('; '),
            },
      );
    },
  };
}
