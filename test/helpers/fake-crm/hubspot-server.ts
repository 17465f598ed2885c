import { randomUUID } from 'node:crypto';
import {
  type Answer,
  type Call,
  type FakeHttp,
  type RecordsFault,
  retryAfterHeader,
  type StatusFault,
  startFakeHttp,
} from './fake-http.js';
import {
  batchAnswer,
  CREATED_AT,
  createGroup,
  createProperties,
  error,
  type HubSpotObjectType,
  type HubSpotProperty,
  propertyBody,
  standardProperties,
} from './hubspot-properties.js';

export type { HubSpotObjectType, HubSpotProperty } from './hubspot-properties.js';

/**
 * A local HubSpot for the CRM sync tests: the subset of the CRM v3 API that Strata calls, with
 * the shapes of HubSpot's OpenAPI documents (as generated into @hubspot/api-client's models,
 * node_modules/@hubspot/api-client/lib/codegen/crm/{objects,properties}/models) and the error
 * bodies of "Handling errors" (developers.hubspot.com/docs/api-reference/error-handling) and
 * "API usage guidelines" (developers.hubspot.com/docs/api/usage-details). See README.md.
 */

/** Property values as HubSpot keeps them: strings, null when cleared. */
export type HubSpotValues = Record<string, string | null>;

export interface FakeHubSpot extends FakeHttp {
  /** The CRM's records by object type: id -> property values. Seed them, read them back. */
  readonly records: Record<HubSpotObjectType, Map<string, HubSpotValues>>;
  readonly properties: Record<HubSpotObjectType, Map<string, HubSpotProperty>>;
  readonly groups: Record<HubSpotObjectType, Set<string>>;
}

/** The documented limits: 100 inputs per batch call, 200 results per search page. */
export const HUBSPOT_BATCH_LIMIT = 100;
export const HUBSPOT_SEARCH_LIMIT = 200;

/** Starts a fake HubSpot accepting `Authorization: Bearer <token>`. */
export async function startFakeHubSpot(options: { token: string }): Promise<FakeHubSpot> {
  const records = { companies: new Map<string, HubSpotValues>(), contacts: new Map<string, HubSpotValues>() };
  const properties = { companies: standardProperties('companies'), contacts: standardProperties('contacts') };
  const groups = { companies: new Set(['companyinformation']), contacts: new Set(['contactinformation']) };
  const state: FakeHubSpot['records'] = records;
  const http = await startFakeHttp({
    token: options.token,
    unauthorized: (presented) =>
      // Handling errors: 401 when the authentication provided is invalid; HubSpot's standard error body.
      error(
        401,
        'INVALID_AUTHENTICATION',
        presented === undefined
          ? 'Authentication credentials not found.'
          : 'The OAuth token used to make this call expired or is invalid.',
      ),
    faultAnswer,
    route: (call) => route(call, { records: state, properties, groups }),
  });
  return { ...http, records, properties, groups };
}

function faultAnswer(fault: StatusFault): Answer {
  if (fault.status === 429) {
    // API usage guidelines: the 429 body names the limit hit in policyName (and its message).
    const policyName = fault.policyName ?? 'SECONDLY';
    const message =
      policyName === 'DAILY'
        ? 'You have reached your daily limit.'
        : policyName === 'TEN_SECONDLY_ROLLING'
          ? 'You have reached your ten_secondly_rolling limit.'
          : 'You have reached your secondly limit.';
    return {
      status: 429,
      headers: retryAfterHeader(fault),
      body: {
        status: 'error',
        message,
        errorType: 'RATE_LIMIT',
        correlationId: randomUUID(),
        policyName,
        requestId: randomUUID(),
      },
    };
  }
  const answer = error(
    fault.status,
    fault.status >= 500 ? 'SERVICE_UNAVAILABLE' : 'VALIDATION_ERROR',
    `Scripted ${fault.status}`,
  );
  return { ...answer, headers: retryAfterHeader(fault) };
}

interface State {
  readonly records: FakeHubSpot['records'];
  readonly properties: FakeHubSpot['properties'];
  readonly groups: FakeHubSpot['groups'];
}

function route(call: Call, state: State): Answer {
  const m = /^\/crm\/v3\/(properties|objects)\/(companies|contacts)(\/.*)?$/.exec(call.pathname);
  const objectType = m?.[2] as HubSpotObjectType | undefined;
  if (m === null || objectType === undefined)
    return error(404, 'OBJECT_NOT_FOUND', `No route for ${call.pathname}`);
  const action = `${call.method} ${m[1]}${m[3] ?? ''}`;
  const body = (call.body ?? {}) as Record<string, unknown>;
  switch (action) {
    case 'GET properties':
      return { status: 200, body: { results: [...state.properties[objectType].values()].map(propertyBody) } };
    case 'POST properties/groups':
      return createGroup(state.groups[objectType], body);
    case 'POST properties/batch/create':
      return createProperties(state, objectType, body);
    case 'POST objects/search':
      return search(state, objectType, body);
    case 'POST objects/batch/read':
      return batchRead(state, objectType, body);
    case 'POST objects/batch/update':
      return batchUpdate(state, objectType, body, call.failRecords);
    default:
      return error(404, 'OBJECT_NOT_FOUND', `No route for ${call.method} ${call.pathname}`);
  }
}

/** A record as the objects API answers it (SimplePublicObject), with the properties asked for. */
function objectBody(id: string, values: HubSpotValues, asked: readonly string[]): object {
  const properties: HubSpotValues = {
    hs_object_id: id,
    createdate: CREATED_AT,
    hs_lastmodifieddate: values.hs_lastmodifieddate ?? CREATED_AT,
  };
  for (const name of asked) properties[name] = values[name] ?? null;
  return {
    id,
    properties,
    createdAt: CREATED_AT,
    updatedAt: properties.hs_lastmodifieddate,
    archived: false,
  };
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

// The reference gives the limit (100 inputs) but not the message of the 400 above it: ours is made up.
function tooMany(count: number, limit: number): Answer | undefined {
  if (count <= limit) return undefined;
  return error(400, 'VALIDATION_ERROR', `Batch input exceeded the limit: ${count} inputs, at most ${limit}.`);
}

interface Filter {
  propertyName?: string;
  operator?: string;
  value?: string;
  values?: string[];
}

/** HubSpot's search compares text without regard to case. */
function filterHolds(filter: Filter, id: string, values: HubSpotValues): boolean {
  const name = filter.propertyName ?? '';
  const actual = (name === 'hs_object_id' ? id : values[name])?.toLowerCase();
  const wanted = (filter.value ?? '').toLowerCase();
  switch (filter.operator) {
    case 'EQ':
      return actual === wanted;
    case 'NEQ':
      return actual !== wanted;
    case 'IN':
      return actual !== undefined && (filter.values ?? []).some((v) => String(v).toLowerCase() === actual);
    case 'HAS_PROPERTY':
      return actual !== undefined && actual !== '';
    case 'NOT_HAS_PROPERTY':
      return actual === undefined || actual === '';
    default:
      throw new Error(`operator ${String(filter.operator)}`);
  }
}

const OPERATORS = new Set(['EQ', 'NEQ', 'IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY']);

function search(state: State, objectType: HubSpotObjectType, body: Record<string, unknown>): Answer {
  const limit = typeof body.limit === 'number' ? body.limit : 10;
  // CRM search reference: at most 200 results a page.
  if (limit > HUBSPOT_SEARCH_LIMIT)
    return error(400, 'VALIDATION_ERROR', `limit must be at most ${HUBSPOT_SEARCH_LIMIT}.`);
  const groups = (Array.isArray(body.filterGroups) ? body.filterGroups : []) as { filters?: Filter[] }[];
  for (const filter of groups.flatMap((g) => g.filters ?? [])) {
    if (!OPERATORS.has(filter.operator ?? ''))
      return error(400, 'VALIDATION_ERROR', `Unsupported operator ${String(filter.operator)}.`);
    if (!state.properties[objectType].has(filter.propertyName ?? '')) {
      return error(400, 'VALIDATION_ERROR', `Property ${String(filter.propertyName)} does not exist.`);
    }
  }
  const all = [...state.records[objectType]].sort(([a], [b]) => Number(a) - Number(b) || a.localeCompare(b));
  const hits = all.filter(
    ([id, values]) =>
      groups.length === 0 || groups.some((g) => (g.filters ?? []).every((f) => filterHolds(f, id, values))),
  );
  const after = Number(body.after ?? 0);
  const page = hits.slice(after, after + limit);
  const asked = stringList(body.properties);
  const next = after + limit < hits.length ? { paging: { next: { after: String(after + limit) } } } : {};
  return {
    status: 200,
    body: { total: hits.length, results: page.map(([id, v]) => objectBody(id, v, asked)), ...next },
  };
}

/** Finds a record by id, or by the unique property `idProperty` (email for contacts). */
function findRecord(
  state: State,
  objectType: HubSpotObjectType,
  key: string,
  idProperty: unknown,
): [string, HubSpotValues] | undefined {
  const records = state.records[objectType];
  if (idProperty === undefined || idProperty === 'hs_object_id') {
    const values = records.get(key);
    return values === undefined ? undefined : [key, values];
  }
  const wanted = key.toLowerCase();
  return [...records].find(([, values]) => values[String(idProperty)]?.toLowerCase() === wanted);
}

function uniqueIdProperty(objectType: HubSpotObjectType, idProperty: unknown): boolean {
  return (
    idProperty === undefined ||
    idProperty === 'hs_object_id' ||
    (objectType === 'contacts' && idProperty === 'email')
  );
}

function notFound(objectType: HubSpotObjectType, ids: string[]): object {
  const kind = objectType === 'companies' ? 'COMPANY' : 'CONTACT';
  return {
    status: 'error',
    category: 'OBJECT_NOT_FOUND',
    message: `Could not get some ${kind} objects, they may be deleted or not exist. Check that ids are valid.`,
    context: { ids },
  };
}

function batchRead(state: State, objectType: HubSpotObjectType, body: Record<string, unknown>): Answer {
  const inputs = (Array.isArray(body.inputs) ? body.inputs : []) as { id?: unknown }[];
  const limit = tooMany(inputs.length, HUBSPOT_BATCH_LIMIT);
  if (limit !== undefined) return limit;
  if (!uniqueIdProperty(objectType, body.idProperty)) {
    return error(400, 'VALIDATION_ERROR', `${String(body.idProperty)} is not a unique property.`);
  }
  const asked = stringList(body.properties);
  const results: object[] = [];
  const missing: string[] = [];
  for (const input of inputs) {
    const found = findRecord(state, objectType, String(input.id), body.idProperty);
    if (found === undefined) missing.push(String(input.id));
    else results.push(objectBody(found[0], found[1], asked));
  }
  return batchAnswer(200, results, missing.length === 0 ? [] : [notFound(objectType, missing)]);
}

interface UpdateInput {
  id?: unknown;
  idProperty?: unknown;
  properties?: Record<string, unknown>;
}

/** The properties of `inputs` that do not exist, or values outside an enumeration's options. */
function invalidValues(state: State, objectType: HubSpotObjectType, inputs: UpdateInput[]): object[] {
  const known = state.properties[objectType];
  const problems: object[] = [];
  for (const [name, value] of inputs.flatMap((i) => Object.entries(i.properties ?? {}))) {
    const property = known.get(name);
    if (property === undefined) {
      problems.push({
        message: `Property "${name}" does not exist`,
        code: 'PROPERTY_DOESNT_EXIST',
        context: { propertyName: [name] },
      });
    } else if (
      property.type === 'enumeration' &&
      value !== null &&
      value !== '' &&
      !String(value)
        .split(';')
        .every((v) => property.options.some((o) => o.value === v))
    ) {
      problems.push({
        message: `${String(value)} was not one of the allowed options`,
        code: 'INVALID_OPTION',
        context: { propertyName: [name] },
      });
    }
  }
  return problems;
}

// "Handling errors" documents 207 Multi-Status for batch create; that batch update answers an
// unknown id the same way (OBJECT_NOT_FOUND, context.ids), as batch read does, is our assumption.
function batchUpdate(
  state: State,
  objectType: HubSpotObjectType,
  body: Record<string, unknown>,
  fault: RecordsFault | undefined,
): Answer {
  const inputs = (Array.isArray(body.inputs) ? body.inputs : []) as UpdateInput[];
  const limit = tooMany(inputs.length, HUBSPOT_BATCH_LIMIT);
  if (limit !== undefined) return limit;
  // A property that does not exist (or a value it refuses) fails the whole call: 400, nothing
  // written. The categories are HubSpot's; the messages are not documented, ours are made up.
  const invalid = invalidValues(state, objectType, inputs);
  if (invalid.length > 0) {
    return error(400, 'VALIDATION_ERROR', 'Property values were not valid', { errors: invalid });
  }
  const results: object[] = [];
  const missing: string[] = [];
  const scripted: string[] = [];
  const now = new Date().toISOString();
  for (const input of inputs) {
    const key = String(input.id);
    const found = uniqueIdProperty(objectType, input.idProperty)
      ? findRecord(state, objectType, key, input.idProperty)
      : undefined;
    if (fault?.ids.includes(key)) scripted.push(key);
    else if (found === undefined) missing.push(key);
    else {
      const [id, values] = found;
      for (const [name, value] of Object.entries(input.properties ?? {}))
        values[name] = value === null ? null : String(value);
      values.hs_lastmodifieddate = now;
      results.push(objectBody(id, values, Object.keys(input.properties ?? {})));
    }
  }
  const errors = [
    ...(missing.length > 0 ? [notFound(objectType, missing)] : []),
    ...(scripted.length > 0
      ? [
          {
            status: 'error',
            category: fault?.code ?? 'VALIDATION_ERROR',
            message: fault?.message ?? 'Scripted failure',
            context: { ids: scripted },
          },
        ]
      : []),
  ];
  return batchAnswer(200, results, errors);
}
