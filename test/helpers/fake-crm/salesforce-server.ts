import {
  type Answer,
  type Call,
  type FakeHttp,
  type RecordsFault,
  retryAfterHeader,
  type StatusFault,
  startFakeHttp,
} from './fake-http.js';

/**
 * A local Salesforce for the CRM sync tests: describe, query (with its paging), and updates
 * through sObject Collections, as the REST API Developer Guide documents them
 * (developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/: errorcodes.htm,
 * resources_composite_sobjects_collections_update.htm, resources_query.htm, and the SaveResult
 * of the SOAP guide for the per-record answers). Any API version vNN.N is accepted. README.md.
 */

export type SalesforceValues = Record<string, string | number | boolean | null>;

export interface SalesforceField {
  readonly name: string;
  readonly type: string;
  readonly label: string;
  readonly updateable: boolean;
  readonly custom: boolean;
}

export interface FakeSalesforce extends FakeHttp {
  /** Records by sObject type (Account, Contact): Id -> field values (Id not repeated inside). */
  readonly records: Map<string, Map<string, SalesforceValues>>;
  /** Ids once in `records` and deleted since: updates fail with ENTITY_IS_DELETED. */
  readonly deletedIds: Set<string>;
  readonly fields: Map<string, SalesforceField[]>;
}

/** sObject Collections: "The list can contain up to 200 objects." */
export const SALESFORCE_COLLECTION_LIMIT = 200;

export interface FakeSalesforceOptions {
  readonly token: string;
  /** Custom fields to add per type, e.g. { Account: ['Strata_Segment__c'] } (text, updateable). */
  readonly customFields?: Readonly<Record<string, readonly string[]>>;
  /** Records a query page holds before nextRecordsUrl: 2000 in Salesforce, smaller to test paging. */
  readonly queryPageSize?: number;
}

/** Starts a fake Salesforce org accepting `Authorization: Bearer <token>`. */
export async function startFakeSalesforce(options: FakeSalesforceOptions): Promise<FakeSalesforce> {
  const field = (name: string, type: string, label: string, custom = false): SalesforceField => ({
    name,
    type,
    label,
    updateable: type !== 'id',
    custom,
  });
  const fields = new Map<string, SalesforceField[]>([
    [
      'Account',
      [
        field('Id', 'id', 'Account ID'),
        field('Name', 'string', 'Account Name'),
        field('Website', 'url', 'Website'),
      ],
    ],
    [
      'Contact',
      [
        field('Id', 'id', 'Contact ID'),
        field('Email', 'email', 'Email'),
        field('FirstName', 'string', 'First Name'),
        field('LastName', 'string', 'Last Name'),
      ],
    ],
  ]);
  for (const [type, names] of Object.entries(options.customFields ?? {})) {
    fields.get(type)?.push(...names.map((name) => field(name, 'string', name.replace(/__c$/, ''), true)));
  }
  const state: State = {
    records: new Map([...fields.keys()].map((type) => [type, new Map<string, SalesforceValues>()])),
    deletedIds: new Set(),
    fields,
    cursors: new Map(),
    pageSize: options.queryPageSize ?? 2000,
  };
  const http = await startFakeHttp({
    token: options.token,
    // errorcodes.htm: 401, "The session ID or OAuth token used has expired or is invalid. The
    // response body contains the message and errorCode."
    unauthorized: () => errors(401, 'INVALID_SESSION_ID', 'Session expired or invalid'),
    faultAnswer,
    route: (call) => route(call, state),
  });
  return { ...http, records: state.records, deletedIds: state.deletedIds, fields };
}

interface State {
  readonly records: FakeSalesforce['records'];
  readonly deletedIds: Set<string>;
  readonly fields: Map<string, SalesforceField[]>;
  /** Query locators -> the records still to send. */
  readonly cursors: Map<string, { rows: object[]; totalSize: number }>;
  readonly pageSize: number;
}

/** The REST API's error body: an array of { message, errorCode } (fields when it names some). */
function errors(
  status: number,
  errorCode: string,
  message: string,
  headers: Record<string, string> = {},
): Answer {
  return { status, headers, body: [{ message, errorCode }] };
}

function faultAnswer(fault: StatusFault): Answer {
  // errorcodes.htm: 403 with REQUEST_LIMIT_EXCEEDED when the org's API request limit is exceeded;
  // 503 when the server is unavailable (maintenance or overload).
  const defaults: Record<number, [string, string]> = {
    403: ['REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'],
    503: ['SERVER_UNAVAILABLE', 'Server is unavailable, try again later.'],
  };
  const [code, message] = defaults[fault.status] ?? [`HTTP_${fault.status}`, `Scripted ${fault.status}`];
  return errors(fault.status, fault.errorCode ?? code, message, retryAfterHeader(fault));
}

function route(call: Call, state: State): Answer {
  const m = /^\/services\/data\/v(\d+\.\d)(\/.*)$/.exec(call.pathname);
  if (m === null) return errors(404, 'NOT_FOUND', 'The requested resource does not exist');
  const version = m[1] as string;
  const rest = m[2] as string;
  const describe = /^\/sobjects\/(\w+)\/describe$/.exec(rest);
  if (call.method === 'GET' && describe !== null) return describeAnswer(state, describe[1] as string);
  if (call.method === 'GET' && rest === '/query') return query(state, version, call.query.get('q') ?? '');
  const more = /^\/query\/([\w-]+)$/.exec(rest);
  if (call.method === 'GET' && more !== null) return nextPage(state, version, more[1] as string);
  if (call.method === 'PATCH' && rest === '/composite/sobjects')
    return updateCollection(state, call.body, call.failRecords);
  return errors(404, 'NOT_FOUND', 'The requested resource does not exist');
}

function describeAnswer(state: State, type: string): Answer {
  const fields = state.fields.get(type);
  if (fields === undefined) return errors(404, 'NOT_FOUND', 'The requested resource does not exist');
  return {
    status: 200,
    body: { name: type, label: type, custom: false, queryable: true, updateable: true, fields },
  };
}

/** A field's name as the describe spells it; Salesforce reads field names without regard to case. */
function canonical(state: State, type: string, name: string): string | undefined {
  return state.fields.get(type)?.find((f) => f.name.toLowerCase() === name.toLowerCase())?.name;
}

/** One SOQL string literal: \' \" \\ \n \r \t \b \f are the escapes (SOQL reference, "Quoted String Escape Sequences"). */
function unquote(literal: string): string | undefined {
  const escapes: Record<string, string> = {
    "'": "'",
    '"': '"',
    '\\': '\\',
    n: '\n',
    r: '\r',
    t: '\t',
    b: '\b',
    f: '\f',
  };
  let out = '';
  for (let i = 1; i < literal.length - 1; i++) {
    const c = literal[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const escaped = escapes[literal[++i] as string];
    if (escaped === undefined) return undefined;
    out += escaped;
  }
  return out;
}

const SOQL =
  /^SELECT\s+([\w\s,]+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s+(IN|=)\s+(\(.*\)|'.*'))?(?:\s+LIMIT\s+(\d+))?$/is;
const LITERAL = /\s*('(?:[^'\\]|\\.)*')\s*(,|$)/sy;

/** The quoted literals of `a, b, c`, or undefined when something else stands between them. */
function scanLiterals(text: string): string[] | undefined {
  const literals: string[] = [];
  LITERAL.lastIndex = 0;
  let more = true;
  while (more) {
    const m = LITERAL.exec(text);
    if (m === null) return undefined;
    literals.push(m[1] as string);
    more = m[2] === ',';
  }
  return LITERAL.lastIndex === text.length ? literals : undefined;
}

/** Parses the queries the sync sends: SELECT fields FROM T [WHERE F IN ('a', ...) | F = 'a'] [LIMIT n]. */
function parseSoql(
  soql: string,
): { fields: string[]; type: string; where?: { field: string; values: string[] }; limit?: number } | string {
  const m = SOQL.exec(soql.trim());
  if (m === null) return 'unexpected token';
  const [, fieldList, type, field, operator, valueText, limit] = m;
  const parsed = {
    fields: (fieldList as string).split(',').map((f) => f.trim()),
    type: type as string,
    ...(limit === undefined ? {} : { limit: Number(limit) }),
  };
  if (field === undefined || valueText === undefined) return parsed;
  const literals = scanLiterals(operator === '=' ? valueText : valueText.slice(1, -1));
  // Anything but literals separated by commas (a broken escape leaves a stray quote) is malformed.
  if (literals === undefined || (operator === '=' && literals.length !== 1))
    return `unexpected token: ${valueText}`;
  const values = literals.map(unquote);
  if (values.some((v) => v === undefined)) return 'Invalid string literal: illegal escape sequence';
  return { ...parsed, where: { field, values: values as string[] } };
}

function query(state: State, version: string, soql: string): Answer {
  const parsed = parseSoql(soql);
  if (typeof parsed === 'string') return errors(400, 'MALFORMED_QUERY', parsed);
  const records = state.records.get(parsed.type);
  if (records === undefined)
    return errors(400, 'INVALID_TYPE', `sObject type '${parsed.type}' is not supported.`);
  const names = [...parsed.fields, ...(parsed.where === undefined ? [] : [parsed.where.field])];
  const unknown = names.find((n) => canonical(state, parsed.type, n) === undefined);
  if (unknown !== undefined)
    return errors(400, 'INVALID_FIELD', `No such column '${unknown}' on entity '${parsed.type}'.`);
  const fields = parsed.fields.map((n) => canonical(state, parsed.type, n) as string);
  const where = parsed.where;
  const whereField = where === undefined ? undefined : (canonical(state, parsed.type, where.field) as string);
  // SOQL compares strings without regard to case.
  const wanted = new Set(where?.values.map((v) => v.toLowerCase()));
  const rows = [...records]
    .filter(([id, values]) => {
      if (whereField === undefined) return true;
      const actual = whereField === 'Id' ? id : values[whereField];
      return actual !== null && actual !== undefined && wanted.has(String(actual).toLowerCase());
    })
    .slice(0, parsed.limit)
    .map(([id, values]) => ({
      attributes: { type: parsed.type, url: `/services/data/v${version}/sobjects/${parsed.type}/${id}` },
      ...Object.fromEntries(fields.map((f) => [f, f === 'Id' ? id : (values[f] ?? null)])),
    }));
  return page(state, version, rows, rows.length);
}

/** One page of a query answer (resources_query.htm: totalSize, done, records, nextRecordsUrl). */
function page(state: State, version: string, rows: object[], totalSize: number): Answer {
  const records = rows.slice(0, state.pageSize);
  const rest = rows.slice(state.pageSize);
  if (rest.length === 0) return { status: 200, body: { totalSize, done: true, records } };
  const locator = `01gFAKE${String(state.cursors.size).padStart(8, '0')}-${records.length}`;
  state.cursors.set(locator, { rows: rest, totalSize });
  return {
    status: 200,
    body: { totalSize, done: false, nextRecordsUrl: `/services/data/v${version}/query/${locator}`, records },
  };
}

function nextPage(state: State, version: string, locator: string): Answer {
  const cursor = state.cursors.get(locator);
  if (cursor === undefined) return errors(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
  state.cursors.delete(locator);
  return page(state, version, cursor.rows, cursor.totalSize);
}

interface SaveError {
  statusCode: string;
  message: string;
  fields: string[];
}

const ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

function updateCollection(state: State, body: unknown, fault: RecordsFault | undefined): Answer {
  const { allOrNone, records } = (body ?? {}) as { allOrNone?: unknown; records?: unknown };
  if (!Array.isArray(records)) return errors(400, 'JSON_PARSER_ERROR', 'records is required');
  // The guide says "up to 200" and 400 for a request that is not well formed, not the code:
  // EXCEEDED_ID_LIMIT is what integrations report.
  if (records.length > SALESFORCE_COLLECTION_LIMIT) {
    return errors(
      400,
      'EXCEEDED_ID_LIMIT',
      `record limit reached. cannot submit more than ${SALESFORCE_COLLECTION_LIMIT} records in this operation`,
    );
  }
  // Field names are checked while the body is read: an unknown one refuses the whole request.
  const changes: { type: string; id: string; values: SalesforceValues }[] = [];
  for (const record of records as Record<string, unknown>[]) {
    const { attributes, ...rest } = record;
    const type = (attributes as { type?: unknown } | undefined)?.type;
    if (typeof type !== 'string' || !state.fields.has(type)) {
      return errors(400, 'INVALID_TYPE', 'Each record must have attributes with a supported type.');
    }
    const values: SalesforceValues = {};
    let id = '';
    for (const [name, value] of Object.entries(rest)) {
      const field = canonical(state, type, name);
      if (field === undefined)
        return errors(400, 'INVALID_FIELD', `No such column '${name}' on sobject of type ${type}`);
      if (field === 'Id') id = String(value);
      else values[field] = value as SalesforceValues[string];
    }
    changes.push({ type, id, values });
  }
  const results = changes.map(({ type, id }): SaveError | undefined => {
    if (!ID.test(id))
      return {
        statusCode: 'MALFORMED_ID',
        message: `${type} ID: id value of incorrect type: ${id}`,
        fields: ['Id'],
      };
    if (fault?.ids.includes(id)) {
      return {
        statusCode: fault.code ?? 'UNABLE_TO_LOCK_ROW',
        message: fault.message ?? 'unable to obtain exclusive access to this record',
        fields: [],
      };
    }
    if (state.deletedIds.has(id))
      return { statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] };
    if (!state.records.get(type)?.has(id))
      return { statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: [] };
    return undefined;
  });
  const rolledBack = allOrNone === true && results.some((r) => r !== undefined);
  const answer = changes.map(({ type, id, values }, i) => {
    const failure = results[i];
    // SaveResult: `id` only for a record written; the errors otherwise, in input order.
    if (failure !== undefined) return { success: false, errors: [failure] };
    if (rolledBack) {
      const message =
        'Record rolled back because not all records were valid and the request was using AllOrNone header';
      return {
        success: false,
        errors: [{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message, fields: [] }],
      };
    }
    Object.assign(state.records.get(type)?.get(id) ?? {}, values);
    return { id, success: true, errors: [] };
  });
  return { status: 200, body: answer };
}
