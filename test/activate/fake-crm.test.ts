import { Client } from '@hubspot/api-client';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/companies/index.js';
import {
  PropertyCreateFieldTypeEnum,
  PropertyCreateTypeEnum,
} from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeHubSpot, startFakeHubSpot } from '../helpers/fake-crm/hubspot-server.js';
import { rawRequest } from '../helpers/raw-http.js';

/*
 * @hubspot/api-client against the local HubSpot (test/helpers/fake-crm/README.md): the exact
 * request it sends, checked by hand against HubSpot's CRM v3 reference, and what it answers or
 * throws, which the sync's retry layer is written from (Salesforce: fake-crm-salesforce.test.ts).
 * Facts pinned here, with their place in node_modules/@hubspot/api-client:
 * - It throws ApiException (lib/codegen/crm/<api>/apis/exception.js, one class per API module,
 *   so test `code`, not instanceof) for every status its ResponseProcessor does not list
 *   (200/201/207): `code` is the status, `body` the JSON as sent (policyName included),
 *   `headers` the response's with lower-case names (retry-after). A 207 resolves: the body's
 *   `errors` and `numErrors` say what failed (BatchApi.js updateWithHttpInfo).
 * - It retries only when numberOfApiCallRetries > 0 (lib/src/client.js:131), a number that counts
 *   attempts, not retries (RetryDecorator.js:30-36); the decorators sit in a process-wide
 *   singleton that every `new Client()` resets (client.js:18).
 */

const TOKEN = 'pat-na1-fake-token-7c1d';

describe('HubSpot through @hubspot/api-client', () => {
  let hs: FakeHubSpot;
  const hubspot = (retries = 0) =>
    new Client({ accessToken: TOKEN, basePath: hs.url, numberOfApiCallRetries: retries });
  const last = () => hs.requests.at(-1);

  beforeAll(async () => {
    hs = await startFakeHubSpot({ token: TOKEN });
  });
  afterAll(() => hs.close());
  beforeEach(() => {
    hs.requests.length = 0;
    hs.script.length = 0;
    hs.records.companies.clear();
    hs.records.contacts.clear();
    hs.records.companies.set('101', { name: 'Acme', domain: 'acme.com' });
    hs.records.companies.set('102', { name: 'Globex', domain: 'globex.com' });
    hs.records.companies.set('103', { name: 'Initech', domain: 'initech.com' });
    hs.records.contacts.set('501', { email: 'ana@acme.com', firstname: 'Ana' });
  });

  it('reads properties, creates a group (409 the second time) and properties (207 for one that exists)', async () => {
    const client = hubspot();
    const all = await client.crm.properties.coreApi.getAll('companies');
    expect(last()).toMatchObject({ method: 'GET', path: '/crm/v3/properties/companies', body: undefined });
    expect(last()?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(all.results.map((p) => p.name).sort()).toEqual(['domain', 'hs_object_id', 'name']);

    const group = { name: 'strata', label: 'Strata', displayOrder: -1 };
    await expect(client.crm.properties.groupsApi.create('companies', group)).resolves.toMatchObject({
      name: 'strata',
    });
    expect(last()).toMatchObject({
      method: 'POST',
      path: '/crm/v3/properties/companies/groups',
      body: group,
    });
    const conflict = await client.crm.properties.groupsApi
      .create('companies', group)
      .catch((e: unknown) => e);
    expect(conflict).toMatchObject({
      code: 409,
      body: { status: 'error', category: 'OBJECT_ALREADY_EXISTS' },
    });

    const segment = {
      name: 'strata_segment',
      label: 'Strata segment',
      type: PropertyCreateTypeEnum.Enumeration,
      fieldType: PropertyCreateFieldTypeEnum.Select,
      groupName: 'strata',
      options: [{ label: 'Champions', value: 'champions', displayOrder: 0, hidden: false }],
    };
    const domain = {
      name: 'domain',
      label: 'Domain',
      type: PropertyCreateTypeEnum.String,
      fieldType: PropertyCreateFieldTypeEnum.Text,
      groupName: 'strata',
    };
    const created = await client.crm.properties.batchApi.create('companies', { inputs: [segment, domain] });
    expect(last()).toMatchObject({
      method: 'POST',
      path: '/crm/v3/properties/companies/batch/create',
      // The CRM properties reference's PropertyCreate fields, as JSON.
      body: {
        inputs: [
          {
            name: 'strata_segment',
            label: 'Strata segment',
            type: 'enumeration',
            fieldType: 'select',
            groupName: 'strata',
            options: [{ label: 'Champions', value: 'champions', displayOrder: 0, hidden: false }],
          },
          { name: 'domain', label: 'Domain', type: 'string', fieldType: 'text', groupName: 'strata' },
        ],
      },
    });
    expect(created.results.map((p) => p.name)).toEqual(['strata_segment']);
    expect(created).toMatchObject({
      numErrors: 1,
      errors: [{ category: 'OBJECT_ALREADY_EXISTS', context: { name: ['domain'] } }],
    });
    expect(hs.properties.companies.get('strata_segment')?.options).toEqual(segment.options);
  });

  it('searches by domain with EQ and IN, a page at a time', async () => {
    const client = hubspot();
    const request = {
      filterGroups: [
        {
          filters: [
            {
              propertyName: 'domain',
              operator: FilterOperatorEnum.In,
              values: ['ACME.com', 'initech.com', 'globex.com'],
            },
          ],
        },
      ],
      properties: ['domain'],
      limit: 2,
      after: '0',
      sorts: [],
    };
    const first = await client.crm.companies.searchApi.doSearch(request);
    expect(last()).toMatchObject({ method: 'POST', path: '/crm/v3/objects/companies/search', body: request });
    // HubSpot compares text without case: ACME.com finds acme.com. Ids ascending: 101, 102 | 103.
    expect(first.total).toBe(3);
    expect(first.results.map((r) => [r.id, r.properties.domain])).toEqual([
      ['101', 'acme.com'],
      ['102', 'globex.com'],
    ]);
    expect(first.paging?.next?.after).toBe('2');
    const second = await client.crm.companies.searchApi.doSearch({ ...request, after: '2' });
    expect(second.results.map((r) => r.id)).toEqual(['103']);
    expect(second.paging).toBeUndefined();

    const eq = {
      ...request,
      filterGroups: [
        { filters: [{ propertyName: 'domain', operator: FilterOperatorEnum.Eq, value: 'globex.com' }] },
      ],
    };
    expect((await client.crm.companies.searchApi.doSearch(eq)).results.map((r) => r.id)).toEqual(['102']);
    const tooMany = await client.crm.companies.searchApi
      .doSearch({ ...request, limit: 201 })
      .catch((e: unknown) => e);
    expect(tooMany).toMatchObject({ code: 400, body: { category: 'VALIDATION_ERROR' } });
  });

  it('reads contacts by email: a missing one is a 207 that resolves, with OBJECT_NOT_FOUND', async () => {
    const input = {
      inputs: [{ id: 'ana@acme.com' }, { id: 'nobody@acme.com' }],
      idProperty: 'email',
      properties: ['email'],
      propertiesWithHistory: [],
    };
    const read = await hubspot().crm.contacts.batchApi.read(input);
    expect(last()).toMatchObject({
      method: 'POST',
      path: '/crm/v3/objects/contacts/batch/read',
      body: input,
    });
    expect(read.results.map((r) => [r.id, r.properties.email])).toEqual([['501', 'ana@acme.com']]);
    expect(read).toMatchObject({
      numErrors: 1,
      errors: [{ category: 'OBJECT_NOT_FOUND', context: { ids: ['nobody@acme.com'] } }],
    });
  });

  it('updates companies: 200 when all succeed; 207 naming failed ids, which are not written', async () => {
    const client = hubspot();
    const all = await client.crm.companies.batchApi.update({
      inputs: [{ id: '101', properties: { name: 'Acme Corp' } }],
    });
    expect(last()).toMatchObject({
      method: 'POST',
      path: '/crm/v3/objects/companies/batch/update',
      body: { inputs: [{ id: '101', properties: { name: 'Acme Corp' } }] },
    });
    expect(all).toMatchObject({ status: 'COMPLETE' });
    expect('errors' in all).toBe(false);

    hs.script.push({ kind: 'fail-records', match: '/batch/update', ids: ['102'], code: 'VALIDATION_ERROR' });
    const inputs = ['101', '102', '999'].map((id) => ({ id, properties: { domain: `${id}.example` } }));
    const partial = await client.crm.companies.batchApi.update({ inputs });
    expect(partial.results.map((r) => r.id)).toEqual(['101']);
    expect(partial).toMatchObject({
      numErrors: 2,
      errors: [
        { status: 'error', category: 'OBJECT_NOT_FOUND', context: { ids: ['999'] } },
        { status: 'error', category: 'VALIDATION_ERROR', context: { ids: ['102'] } },
      ],
    });
    expect(hs.records.companies.get('101')).toMatchObject({ name: 'Acme Corp', domain: '101.example' });
    expect(hs.records.companies.get('102')).toMatchObject({ domain: 'globex.com' });
    expect(hs.script).toEqual([]);
  });

  it('updates a contact by email; an unknown property or 101 inputs fail the whole call with 400', async () => {
    const client = hubspot();
    const input = {
      inputs: [{ id: 'ana@acme.com', idProperty: 'email', properties: { firstname: 'Anna' } }],
    };
    await client.crm.contacts.batchApi.update(input);
    expect(last()?.body).toEqual(input);
    expect(hs.records.contacts.get('501')?.firstname).toBe('Anna');

    const unknown = await client.crm.companies.batchApi
      .update({ inputs: [{ id: '101', properties: { name: 'X', strata_health: '80' } }] })
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({
      code: 400,
      body: {
        category: 'VALIDATION_ERROR',
        errors: [{ code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: ['strata_health'] } }],
      },
    });
    expect(hs.records.companies.get('101')?.name).toBe('Acme');

    const inputs = Array.from({ length: 101 }, (_, i) => ({
      id: String(1000 + i),
      properties: { name: 'n' },
    }));
    await expect(client.crm.companies.batchApi.update({ inputs })).rejects.toMatchObject({ code: 400 });
  });

  it('throws ApiException on 401, 429 (body and Retry-After readable) and 503, without retrying', async () => {
    const wrong = new Client({ accessToken: 'wrong', basePath: hs.url, numberOfApiCallRetries: 0 });
    await expect(wrong.crm.properties.coreApi.getAll('companies')).rejects.toMatchObject({
      code: 401,
      body: { category: 'INVALID_AUTHENTICATION' },
    });

    const client = hubspot();
    hs.script.push({
      kind: 'status',
      status: 429,
      retryAfter: 3,
      policyName: 'TEN_SECONDLY_ROLLING',
      match: '/batch/update',
    });
    const limited = await client.crm.companies.batchApi
      .update({ inputs: [{ id: '101', properties: { name: 'B' } }] })
      .catch((e: unknown) => e);
    expect(limited?.constructor.name).toBe('ApiException');
    expect(limited).toMatchObject({
      code: 429,
      body: { status: 'error', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' },
      headers: { 'retry-after': '3' },
    });
    expect(String((limited as Error).message)).not.toContain(TOKEN);
    hs.script.push({ kind: 'status', status: 503, match: '/search' });
    await expect(client.crm.companies.searchApi.doSearch({ limit: 1 })).rejects.toMatchObject({ code: 503 });
    // One request per call: numberOfApiCallRetries 0 leaves the retry decorator out.
    expect(hs.requests.filter((r) => r.method === 'POST').length).toBe(2);
    expect(hs.records.companies.get('101')?.name).toBe('Acme');
  });

  it('numberOfApiCallRetries counts attempts: 2 means one retry, 200 ms after a 503', async () => {
    hs.script.push({ kind: 'status', status: 503, times: 2 });
    const said: unknown[][] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => said.push(args);
    try {
      await expect(hubspot(2).crm.properties.coreApi.getAll('companies')).rejects.toMatchObject({
        code: 503,
      });
      await expect(hubspot(2).crm.properties.coreApi.getAll('companies')).resolves.toBeDefined();
    } finally {
      console.error = error;
    }
    expect(hs.requests.length).toBe(3);
    expect(said).toEqual([['Request failed with status code [503], will retry [1] time in [200] ms']]);
    hubspot(0); // The decorators are process-wide: leave none behind.
  });

  it('survives a connection dropped after the body, and answers the next request', async () => {
    hs.script.push({ kind: 'drop', match: '/batch/update' });
    const client = hubspot();
    await expect(
      client.crm.companies.batchApi.update({ inputs: [{ id: '101', properties: { name: 'C' } }] }),
    ).rejects.toThrow();
    expect(hs.records.companies.get('101')?.name).toBe('Acme');
    await expect(
      client.crm.companies.batchApi.update({ inputs: [{ id: '101', properties: { name: 'C' } }] }),
    ).resolves.toBeDefined();
    expect(hs.records.companies.get('101')?.name).toBe('C');

    // A client killed halfway through its body (kill -9 of the sync): nothing recorded, nothing written.
    const body = JSON.stringify({ inputs: [{ id: '101', properties: { name: 'D' } }] });
    const { outcome } = rawRequest(hs.url, (socket) => {
      socket.write(
        `POST /crm/v3/objects/companies/batch/update HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n`,
      );
      socket.write(
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`,
      );
      socket.destroy();
    });
    expect((await outcome).status).toBeNull();
    expect(hs.requests.length).toBe(2);
    await expect(client.crm.properties.coreApi.getAll('companies')).resolves.toBeDefined();
    expect(hs.records.companies.get('101')?.name).toBe('C');
  });
});
