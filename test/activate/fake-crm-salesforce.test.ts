import jsforce from 'jsforce';
import { Transport } from 'jsforce/lib/transport.js';
import type { HttpRequest, HttpRequestOptions } from 'jsforce/lib/types/common.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeSalesforce, startFakeSalesforce } from '../helpers/fake-crm/salesforce-server.js';

/*
 * jsforce against the local Salesforce (test/helpers/fake-crm/README.md): the exact request it
 * sends, checked by hand against the REST API Developer Guide, and what it answers or throws.
 * Facts pinned here, with their place in node_modules/jsforce:
 * - It throws HttpApiError (lib/http-api.js:322): `errorCode` and `name` from the body's
 *   errorCode, `data` the error object; no status, no headers.
 * - It retries GET/PUT/DELETE (not PATCH/POST) on 420/429/500/502/503/504 five times, 0.5 s
 *   doubling, ignoring Retry-After (lib/request.js:58-81); no Connection option turns it off.
 * - update() of more than 200 records is one request unless `allowRecursive: true`
 *   (lib/connection.js:887); find() escapes ' but not \ (lib/soql-builder.js:13).
 */

const TOKEN = 'pat-na1-fake-token-7c1d';
const ACME = '001000000000001AAA';
const GLOBEX = '001000000000002AAA';
const MISSING = '001000000000009AAA';

/** A jsforce transport that sends no retry and keeps the last response's headers (Retry-After). */
class TappedTransport extends Transport {
  lastHeaders: Record<string, string> = {};
  override httpRequest(req: HttpRequest, options: HttpRequestOptions = {}) {
    const sent = super.httpRequest(req, { ...options, retry: { maxRetries: 0 } });
    sent.then(
      (res) => {
        this.lastHeaders = res.headers;
      },
      () => undefined,
    );
    return sent;
  }
}

describe('Salesforce through jsforce', () => {
  let sf: FakeSalesforce;
  const salesforce = () =>
    new jsforce.Connection({ instanceUrl: sf.url, accessToken: TOKEN, version: '62.0' });
  const last = () => sf.requests.at(-1);
  const accounts = () => sf.records.get('Account') as Map<string, Record<string, unknown>>;

  beforeAll(async () => {
    sf = await startFakeSalesforce({
      token: TOKEN,
      customFields: { Account: ['Strata_Segment__c'] },
      queryPageSize: 2,
    });
  });
  afterAll(() => sf.close());
  beforeEach(() => {
    sf.requests.length = 0;
    sf.script.length = 0;
    accounts().clear();
    accounts().set(ACME, { Name: 'Acme', Website: 'acme.com', Strata_Segment__c: null });
    accounts().set(GLOBEX, { Name: 'Globex', Website: 'globex.com', Strata_Segment__c: null });
    accounts().set('001000000000003AAA', { Name: 'Backslash', Website: 'a\\b.com', Strata_Segment__c: null });
  });

  it('describes Account', async () => {
    const described = await salesforce().sobject('Account').describe();
    expect(last()).toMatchObject({
      method: 'GET',
      path: '/services/data/v62.0/sobjects/Account/describe',
      body: undefined,
    });
    expect(last()?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(described.fields.find((f) => f.name === 'Strata_Segment__c')).toMatchObject({
      custom: true,
      updateable: true,
    });
  });

  it("builds find({Website: {$in}}) as SOQL IN, escaping ' but not \\, and drops an empty IN", async () => {
    const conn = salesforce();
    const found = await conn
      .sobject('Account')
      .find({ Website: { $in: ['ACME.com', "o'brien.com"] } }, ['Id', 'Website']);
    const soql = (r = last()) => decodeURIComponent((r?.path ?? '').replace(/^.*\?q=/, ''));
    expect(last()?.path.startsWith('/services/data/v62.0/query?q=')).toBe(true);
    expect(soql()).toBe("SELECT Id, Website FROM Account WHERE Website IN ('ACME.com', 'o\\'brien.com')");
    // SOQL compares strings without case.
    expect(found.map((r) => r.Id)).toEqual([ACME]);
    // a\b.com goes out as 'a\b.com', which SOQL reads as a, backspace, .com: no match.
    expect(await conn.sobject('Account').find({ Website: { $in: ['a\\b.com'] } }, ['Id'])).toEqual([]);
    await expect(conn.sobject('Account').find({ Website: { $in: ['c:\\d'] } }, ['Id'])).rejects.toMatchObject(
      { errorCode: 'MALFORMED_QUERY' },
    );
    // An empty list drops the condition: every Account (this page of them) comes back.
    const none = await conn.sobject('Account').find({ Website: { $in: [] } }, ['Id', 'Website']);
    expect(soql()).toBe('SELECT Id, Website FROM Account');
    expect(none.length).toBe(2);
  });

  it('pages a query through nextRecordsUrl', async () => {
    const conn = salesforce();
    const first = await conn.query<{ Id: string }>(
      "SELECT Id, Website FROM Account WHERE Website IN ('acme.com', 'globex.com', 'a\\\\b.com')",
    );
    expect(first).toMatchObject({ totalSize: 3, done: false });
    expect(first.records.map((r) => r.Id)).toEqual([ACME, GLOBEX]);
    const rest = await conn.queryMore(first.nextRecordsUrl as string);
    // jsforce hands back the server's relative nextRecordsUrl made absolute, and GETs it as is.
    expect(first.nextRecordsUrl).toMatch(new RegExp(`^${sf.url}/services/data/v62\\.0/query/[\\w-]+$`));
    expect(`${sf.url}${last()?.path}`).toBe(first.nextRecordsUrl);
    expect(rest).toMatchObject({
      totalSize: 3,
      done: true,
      records: [{ Id: '001000000000003AAA', Website: 'a\\b.com' }],
    });
  });

  it('updates with allOrNone false: results in input order, a failed one without id, errors per record', async () => {
    sf.script.push({ kind: 'fail-records', ids: [GLOBEX] });
    const records = [ACME, GLOBEX, MISSING, 'bad'].map((Id) => ({ Id, Strata_Segment__c: 'Champions' }));
    const results = await salesforce().sobject('Account').update(records, { allOrNone: false });
    expect(last()).toMatchObject({ method: 'PATCH', path: '/services/data/v62.0/composite/sobjects' });
    // jsforce spells the key `id`, puts attributes second, and sends allOrNone.
    expect(last()?.body).toEqual({
      allOrNone: false,
      records: [ACME, GLOBEX, MISSING, 'bad'].map((id) => ({
        id,
        attributes: { type: 'Account' },
        Strata_Segment__c: 'Champions',
      })),
    });
    expect(results).toEqual([
      { id: ACME, success: true, errors: [] },
      {
        success: false,
        errors: [
          {
            statusCode: 'UNABLE_TO_LOCK_ROW',
            message: 'unable to obtain exclusive access to this record',
            fields: [],
          },
        ],
      },
      {
        success: false,
        errors: [
          { statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: [] },
        ],
      },
      {
        success: false,
        errors: [
          {
            statusCode: 'MALFORMED_ID',
            message: 'Account ID: id value of incorrect type: bad',
            fields: ['Id'],
          },
        ],
      },
    ]);
    expect(accounts().get(ACME)?.Strata_Segment__c).toBe('Champions');
    expect(accounts().get(GLOBEX)?.Strata_Segment__c).toBeNull();
  });

  it('rolls back with allOrNone true; refuses an unknown field and 201 records unless allowRecursive', async () => {
    const conn = salesforce();
    const rolled = await conn.sobject('Account').update(
      [
        { Id: ACME, Name: 'A' },
        { Id: MISSING, Name: 'M' },
      ],
      { allOrNone: true },
    );
    // jsforce types a record's error as { errorCode } (lib/types/common.d.ts:54); the wire, as
    // documented, says statusCode: read it as sent.
    expect(rolled.map((r) => (r.errors[0] as unknown as { statusCode: string }).statusCode)).toEqual([
      'ALL_OR_NONE_OPERATION_ROLLED_BACK',
      'INVALID_CROSS_REFERENCE_KEY',
    ]);
    expect(accounts().get(ACME)?.Name).toBe('Acme');

    const unknown = conn
      .sobject('Account')
      .update([{ Id: ACME, Strata_Health__c: 80 }], { allOrNone: false });
    await expect(unknown).rejects.toMatchObject({ name: 'INVALID_FIELD', errorCode: 'INVALID_FIELD' });

    const many = Array.from({ length: 201 }, () => ({ Id: ACME, Name: 'Acme 2' }));
    await expect(conn.sobject('Account').update(many, { allOrNone: false })).rejects.toMatchObject({
      errorCode: 'EXCEEDED_ID_LIMIT',
    });
    sf.requests.length = 0;
    const split = await conn.sobject('Account').update(many, { allOrNone: false, allowRecursive: true });
    expect(split.length).toBe(201);
    expect(sf.requests.map((r) => (r.body as { records: unknown[] }).records.length)).toEqual([200, 1]);
  });

  it('throws HttpApiError on 401, 403 and 503 with the errorCode only; PATCH is not retried, GET is', async () => {
    const wrong = new jsforce.Connection({ instanceUrl: sf.url, accessToken: 'wrong', version: '62.0' });
    await expect(wrong.sobject('Account').describe()).rejects.toMatchObject({
      name: 'INVALID_SESSION_ID',
      errorCode: 'INVALID_SESSION_ID',
    });

    const conn = salesforce();
    sf.script.push({ kind: 'status', status: 403 }, { kind: 'status', status: 503, retryAfter: 30 });
    const update = () => conn.sobject('Account').update([{ Id: ACME, Name: 'Z' }], { allOrNone: false });
    const limited = await update().catch((e: unknown) => e);
    expect(limited?.constructor.name).toBe('HttpApiError');
    expect(limited).toMatchObject({
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
      data: { errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    });
    expect(Object.keys(limited as object).sort()).toEqual(['data', 'errorCode', 'name']);
    await expect(update()).rejects.toMatchObject({ errorCode: 'SERVER_UNAVAILABLE' });
    expect(sf.requests.length).toBe(3);

    // A GET answered 503 once is sent again 0.5 s later, Retry-After: 30 notwithstanding.
    sf.requests.length = 0;
    sf.script.push({ kind: 'status', status: 503, retryAfter: 30 });
    await expect(conn.sobject('Account').describe()).resolves.toMatchObject({ name: 'Account' });
    expect(sf.requests.length).toBe(2);
  });

  it('a transport passing retry: { maxRetries: 0 } stops the GET retries and shows Retry-After', async () => {
    const conn = salesforce();
    const tap = new TappedTransport();
    conn._transport = tap;
    sf.script.push({ kind: 'status', status: 503, retryAfter: 30 });
    await expect(conn.query('SELECT Id FROM Account')).rejects.toMatchObject({
      errorCode: 'SERVER_UNAVAILABLE',
    });
    expect(sf.requests.length).toBe(1);
    expect(tap.lastHeaders['retry-after']).toBe('30');
  });
});
