import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { audit, blocking } from '../helpers/axe-audit.js';
import { openDashboard, shot } from '../helpers/dashboard-session.js';
import { type FakeHubSpot, startFakeHubSpot } from '../helpers/fake-crm/hubspot-server.js';
import { type FakeSalesforce, startFakeSalesforce } from '../helpers/fake-crm/salesforce-server.js';
import { heldStoreCli } from '../helpers/in-process-cli.js';
import { longNumbers } from '../helpers/long-numbers.js';
import { strataBin } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  ACCOUNTS,
  domainOf,
  expected,
  holdsHubspotId,
  hubspotId,
  hubspotProperties,
  NOT_IN_HUBSPOT,
  range,
  writeMoreEvents,
  writeWorld,
} from './crm-sync-world.js';

/*
 * `strata sync plan|run` against local HubSpot and Salesforce APIs (test/helpers/fake-crm),
 * through the official clients, on the world of crm-sync-world.ts: the exact requests of a first
 * sync, an incremental one after 3 accounts changed, a 429 storm, a partial batch failure with
 * its dead letter and replay, missing properties and credentials, and a sync killed with
 * SIGKILL in the middle that a second one completes without sending twice what was acknowledged.
 */
const TOKEN = 'pat-test-token';
/** Sessions the later imports add (the incremental and partial-failure tests), by account. */
const EXTRA: Record<number, number> = { 1: 2, 2: 1, 11: 1, 3: 1, 4: 1 };
const ws = tempDir('strata-sync-');
let hubspot: FakeHubSpot;
let hubspotKill: FakeHubSpot;
let salesforce: FakeSalesforce;

const env = () => ({ HUBSPOT_TOKEN: TOKEN, SF_TOKEN: TOKEN, SF_URL: salesforce.url });
/**
 * The CLI's commands run in this process on the store held open, as `strata serve` runs them
 * (helpers/in-process-cli.ts): what is checked is what reaches the CRMs and what the commands
 * answer, not the process (a start costs half a second; the kill -9 test runs the built CLI).
 * The fake CRMs answer from this process too, while the command awaits them.
 */
let held: Awaited<ReturnType<typeof heldStoreCli>> | undefined;
/** Closes the held store, before a process or the server opens the file. */
const release = async () => {
  await held?.close();
  held = undefined;
};
const cli = async (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) => {
  held ??= await heldStoreCli(ws);
  return held.run([...args, '--json'], { ...env(), ...extraEnv });
};
const ok = async <T = Record<string, unknown>>(args: readonly string[]) => {
  const run = await cli(args);
  if (run.code !== 0)
    throw new Error(`strata ${args.join(' ')} exited ${run.code}: ${run.stdout}${run.stderr}`);
  return run.json<T>();
};
/** Requests of a fake as "METHOD path", from `from` on. */
const calls = (fake: { requests: { method: string; path: string }[] }, from = 0) =>
  fake.requests.slice(from).map((r) => `${r.method} ${r.path.replace(/\?.*$/, '')}`);
const updates = (fake: FakeHubSpot, from = 0) =>
  fake.requests
    .slice(from)
    .filter((r) => r.path.endsWith('/batch/update'))
    .map((r) => (r.body as { inputs: { id: string; properties: Record<string, string> }[] }).inputs);

/** A HubSpot with every company of the world but two, those holding an id under another domain. */
async function seededHubSpot(): Promise<FakeHubSpot> {
  const fake = await startFakeHubSpot({ token: TOKEN });
  for (const i of range(ACCOUNTS))
    if (!NOT_IN_HUBSPOT.has(i))
      fake.records.companies.set(hubspotId(i), {
        domain: holdsHubspotId(i) ? `old-${domainOf(i)}` : domainOf(i),
        name: `Company ${i}`,
      });
  return fake;
}

beforeAll(async () => {
  [hubspot, hubspotKill] = await Promise.all([seededHubSpot(), seededHubSpot()]);
  salesforce = await startFakeSalesforce({
    token: TOKEN,
    customFields: { Account: ['Strata_Segments__c', 'Strata_Active__c'], Contact: ['Strata_Tier__c'] },
  });
  // Websites as people type them: bare, with www. and a scheme, with a trailing slash.
  const forms = [(d: string) => d, (d: string) => `https://www.${d}/`, (d: string) => `http://${d}`];
  for (const i of range(ACCOUNTS))
    salesforce.records.get('Account')?.set(`001A${String(i).padStart(11, '0')}`, {
      Name: `Company ${i}`,
      Website: (forms[i % 3] as (d: string) => string)(domainOf(i).toUpperCase()),
    });
  for (const i of range(5))
    salesforce.records
      .get('Contact')
      ?.set(`003A${String(i).padStart(11, '0')}`, { Email: `ann${i}@${domainOf(i)}` });
  writeWorld(ws, { hubspot: hubspot.url, hubspotKill: hubspotKill.url });
  await ok(['import']);
  await ok(['run', '--as-of', '2024-04-01']);
});

afterAll(async () => {
  await release();
  await Promise.all([hubspot?.close(), hubspotKill?.close(), salesforce?.close()]);
});

describe('strata sync to HubSpot', () => {
  it('refuses to start without its credentials, before any call', async () => {
    const run = await cli(['sync', 'run', 'hubspot'], { HUBSPOT_TOKEN: '' });
    expect(run.code).toBe(1);
    expect(run.json()).toEqual({
      error: expect.objectContaining({
        code: 'missing_credentials',
        message:
          "destination 'hubspot': the environment variable HUBSPOT_TOKEN (its credentials.token) is not set; nothing was sent",
      }),
    });
    expect(hubspot.requests).toEqual([]);
  });

  it('plans the first sync: every record, never written, from what Strata computed', async () => {
    const plan = await ok<{
      records: number;
      pending: number;
      neverWritten: number;
      toMatch: number;
      fields: Record<string, number>;
      writes: { record: string; crmId: string; matchKey: string; property: string; to: unknown }[];
    }>(['sync', 'plan', 'hubspot', '--limit', '1']);
    expect(plan).toMatchObject({ records: 240, pending: 240, neverWritten: 240, toMatch: 216 });
    expect(plan.fields).toEqual({
      strata_segments: 240,
      strata_tier: 240,
      strata_active: 240,
      strata_sessions: 240,
      strata_next_action: 240,
    });
    // acc_001: one session, MRR 50: paying only.
    expect(plan.writes).toEqual(
      [
        ['strata_segments', 'paying'],
        ['strata_tier', 'paying'],
        ['strata_active', false],
        ['strata_sessions', 1],
        ['strata_next_action', null],
      ].map(([property, to]) => ({
        record: 'acc_001',
        crmId: '',
        matchKey: 'c001.example',
        property,
        from: null,
        to,
        firstWrite: true,
      })),
    );
    expect(hubspot.requests).toEqual([]);
  });

  it('creates the missing properties, finds companies by id or domain, and writes every record in batches of 100', async () => {
    const outcome = await ok(['sync', 'run', 'hubspot']);
    expect(outcome).toMatchObject({ records: 240, planned: 240, written: 238, failed: 0, unmatched: 2 });
    expect(calls(hubspot)).toEqual([
      'GET /crm/v3/properties/companies',
      'POST /crm/v3/properties/companies/groups',
      'POST /crm/v3/properties/companies/batch/create',
      'POST /crm/v3/objects/companies/search',
      'POST /crm/v3/objects/companies/search',
      'POST /crm/v3/objects/companies/search',
      'POST /crm/v3/objects/companies/batch/update',
      'POST /crm/v3/objects/companies/batch/update',
      'POST /crm/v3/objects/companies/batch/update',
    ]);
    expect(hubspot.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    // HubSpot's property model: a group, then each property with its type and field type.
    const option = (value: string, i: number) => ({ label: value, value, displayOrder: i, hidden: false });
    expect(hubspot.requests[1]?.body).toEqual({ name: 'strata', label: 'Strata' });
    expect(hubspot.requests[2]?.body).toEqual({
      inputs: [
        {
          name: 'strata_segments',
          label: 'Strata segments',
          groupName: 'strata',
          type: 'enumeration',
          fieldType: 'checkbox',
          options: [option('active', 0), option('paying', 1)],
        },
        {
          name: 'strata_tier',
          label: 'Strata tier',
          groupName: 'strata',
          type: 'enumeration',
          fieldType: 'select',
          options: [option('active', 0), option('paying', 1), option('other', 2)],
        },
        {
          name: 'strata_active',
          label: 'Strata active',
          groupName: 'strata',
          type: 'bool',
          fieldType: 'booleancheckbox',
          options: [
            { label: 'Yes', value: 'true', displayOrder: 0, hidden: false },
            { label: 'No', value: 'false', displayOrder: 1, hidden: false },
          ],
        },
        {
          name: 'strata_sessions',
          label: 'Strata sessions',
          groupName: 'strata',
          type: 'number',
          fieldType: 'number',
        },
        {
          name: 'strata_next_action',
          label: 'Strata next action',
          groupName: 'strata',
          type: 'string',
          fieldType: 'textarea',
        },
      ],
    });
    // Only the 216 accounts without an id are searched, 100 domains a call, lower case.
    const searched = hubspot.requests
      .filter((r) => r.path.endsWith('/search'))
      .map(
        (r) =>
          (r.body as { filterGroups: { filters: { values: string[] }[] }[] }).filterGroups[0]?.filters[0],
      );
    expect(searched.map((f) => f?.values.length)).toEqual([100, 100, 16]);
    expect(searched[0]).toMatchObject({ propertyName: 'domain', operator: 'IN' });
    expect(searched.flatMap((f) => f?.values)).toEqual(
      range(ACCOUNTS)
        .filter((i) => !holdsHubspotId(i))
        .map(domainOf),
    );
    // acc_001 (paying) and acc_003 (three sessions: active and paying), as worked by hand.
    const batches = updates(hubspot);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 38]);
    expect(batches[0]?.slice(0, 3)).toEqual([
      {
        id: '5001',
        properties: {
          strata_segments: 'paying',
          strata_tier: 'paying',
          strata_active: 'false',
          strata_sessions: '1',
          strata_next_action: '',
        },
      },
      { id: '5002', properties: hubspotProperties(2) },
      {
        id: '5003',
        properties: {
          strata_segments: 'active;paying',
          strata_tier: 'active',
          strata_active: 'true',
          strata_sessions: '3',
          strata_next_action: 'active: offer the annual plan (cs)',
        },
      },
    ]);
    const written = range(ACCOUNTS).filter((i) => !NOT_IN_HUBSPOT.has(i));
    expect(batches.flat()).toEqual(
      written.map((i) => ({ id: hubspotId(i), properties: hubspotProperties(i) })),
    );
    for (const i of written)
      expect(hubspot.records.companies.get(hubspotId(i))).toMatchObject(hubspotProperties(i));
  });

  it('sends only the 3 accounts that changed after the next run, through a storm of 429s', async () => {
    const more = join(ws, 'events-2.csv');
    writeMoreEvents(more, { 1: 2, 2: 1, 11: 1 }, 'b');
    await ok(['import', 'events', more]);
    await ok(['run', '--as-of', '2024-04-01']);
    const plan = await ok<{
      pending: number;
      fields: Record<string, number>;
      writes: { record: string; property: string; from: unknown; to: unknown }[];
    }>(['sync', 'plan', 'hubspot']);
    // acc_001 1 -> 3 sessions and acc_002 2 -> 3 become active; acc_011 1 -> 2 only counts one more.
    // acc_007 and acc_077, not found in HubSpot, wait for a change of their values to be searched again.
    expect([...new Set(plan.writes.map((w) => w.record))]).toEqual(['acc_001', 'acc_002', 'acc_011']);
    expect(plan.pending).toBe(3);
    expect(plan.fields).toEqual({
      strata_segments: 2,
      strata_tier: 2,
      strata_active: 2,
      strata_sessions: 3,
      strata_next_action: 2,
    });
    expect(plan.writes.filter((w) => w.record === 'acc_011')).toEqual([
      expect.objectContaining({ property: 'strata_sessions', from: 1, to: 2 }),
    ]);
    const before = hubspot.requests.length;
    // Retry-After: 0 (RFC 9110 delay-seconds; which wait wins is checked in ms by sync-retry.test.ts):
    // the two retries go at once instead of sleeping a second each, the SECONDLY one waits its second.
    hubspot.script.push(
      { kind: 'status', status: 429, retryAfter: 0, match: '/batch/update', times: 2 },
      { kind: 'status', status: 429, policyName: 'SECONDLY', match: '/batch/update' },
    );
    expect(await ok(['sync', 'run', 'hubspot'])).toMatchObject({ planned: 3, written: 3, failed: 0 });
    expect(calls(hubspot, before)).toEqual([
      'GET /crm/v3/properties/companies',
      ...Array(4).fill('POST /crm/v3/objects/companies/batch/update'),
    ]);
    const want = [1, 2, 11].map((i) => ({
      id: hubspotId(i),
      properties: hubspotProperties(i, { 1: 2, 2: 1, 11: 1 }[i]),
    }));
    expect(updates(hubspot, before)).toEqual([want, want, want, want]);
    expect(hubspot.records.companies.get('5001')).toMatchObject({
      strata_tier: 'active',
      strata_sessions: '3',
    });
  });

  it('keeps what succeeded of a partial failure, retries the rest alone, dead-letters it, and replays it', async () => {
    const more = join(ws, 'events-3.csv');
    writeMoreEvents(more, { 3: 1, 4: 1 }, 'c');
    await ok(['import', 'events', more]);
    await ok(['run', '--as-of', '2024-04-01']);
    let from = hubspot.requests.length;
    hubspot.script.push({ kind: 'fail-records', ids: ['5003'], match: '/batch/update' });
    const first = await cli(['sync', 'run', 'hubspot']);
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({ planned: 2, written: 1, failed: 1 });
    expect(updates(hubspot, from).map((b) => b.map((input) => input.id))).toEqual([['5003', '5004']]);
    expect(hubspot.records.companies.get('5004')).toMatchObject({ strata_sessions: '5' });
    const failures = await ok<{ record: string; attempts: number; status: string; lastError: string }[]>([
      'sync',
      'failures',
      'hubspot',
    ]);
    expect(failures).toEqual([expect.objectContaining({ record: 'acc_003', attempts: 1, status: 'retry' })]);
    // The second try sends acc_003 alone; failing again (maxAttempts: 2) it is dead-lettered.
    from = hubspot.requests.length;
    hubspot.script.push({ kind: 'fail-records', ids: ['5003'], match: '/batch/update' });
    expect(await ok(['sync', 'run', 'hubspot'])).toMatchObject({ planned: 1, written: 0, failed: 1 });
    expect(updates(hubspot, from).map((b) => b.map((input) => input.id))).toEqual([['5003']]);
    expect(await ok(['sync', 'plan', 'hubspot'])).toMatchObject({ pending: 0, dead: 1 });
    expect(await ok(['sync', 'replay', 'hubspot'])).toEqual({ destination: 'hubspot', replayed: 1 });
    from = hubspot.requests.length;
    expect(await ok(['sync', 'run', 'hubspot'])).toMatchObject({ planned: 1, written: 1, failed: 0 });
    expect(updates(hubspot, from)).toEqual([[{ id: '5003', properties: hubspotProperties(3, 1) }]]);
    expect(await ok<unknown[]>(['sync', 'failures', 'hubspot'])).toEqual([]);
  });

  it('completes a sync killed with SIGKILL mid-batch, sending again only the batch never answered', async () => {
    // The second batch is held unanswered; the sync is killed while it waits.
    hubspotKill.script.push({ kind: 'hold', match: '/batch/update', skip: 1 });
    await release();
    const child = spawn(process.execPath, [strataBin(), 'sync', 'run', 'hubspot_kill', '-w', ws, '--json'], {
      env: { ...process.env, ...env() },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(() => updates(hubspotKill).length === 2, 'the second batch to arrive');
    child.kill('SIGKILL');
    await exited;
    const [acknowledged, unanswered] = updates(hubspotKill).map((b) => b.map((input) => input.id));
    const from = hubspotKill.requests.length;
    // The two companies HubSpot lacks were recorded as not found before the first batch.
    expect(await ok(['sync', 'run', 'hubspot_kill'])).toMatchObject({
      planned: 138,
      written: 138,
      unmatched: 0,
    });
    const resent = updates(hubspotKill, from)
      .flat()
      .map((input) => input.id);
    expect(resent.filter((id) => acknowledged?.includes(id))).toEqual([]);
    expect(resent.slice(0, 100)).toEqual(unanswered);
    for (const i of range(ACCOUNTS).filter((n) => !NOT_IN_HUBSPOT.has(n)))
      expect(hubspotKill.records.companies.get(hubspotId(i))).toMatchObject(hubspotProperties(i, EXTRA[i]));
    const log = await ok<{ status: string }[]>(['sync', 'status', 'hubspot_kill']);
    expect(log.map((l) => l.status)).toEqual(['done', 'interrupted']);
  });
});

describe('strata sync for people (without --json)', () => {
  it('prints the plan, the log and the failures in words and tables', async () => {
    const text = async (args: string[]) => {
      held ??= await heldStoreCli(ws);
      const run = await held.run(args, env());
      expect(run.code, run.stderr).toBe(0);
      expect(longNumbers(run.stdout)).toEqual([]);
      return run.stdout;
    };
    const plan = await text(['sync', 'plan', 'hubspot']);
    expect(plan).toMatch(
      /^destination hubspot \(hubspot companies\), values of run \d+ as of 2024-04-01T00:00:00\.000Z\n/,
    );
    expect(plan).toContain('nothing to write: the 240 records hold what Strata last wrote');
    expect(plan).toContain('From what Strata last wrote, not read back from the CRM; nothing was sent.');
    const log = await text(['sync', 'status', 'hubspot_kill']);
    expect(log.split('\n')[0]).toMatch(
      /^destination\s+started\s+run\s+values as of\s+status\s+changed\s+written\s+failed\s+not found$/,
    );
    expect(log).toMatch(
      /hubspot_kill .* 2024-04-01T00:00:00 +done +138 +138 +0 +0\n.*hubspot_kill .* 2024-04-01T00:00:00 +interrupted +240 +100 +0 +2/s,
    );
    expect(await text(['sync', 'failures', 'hubspot'])).toBe('no failed records for hubspot\n');
  });
});

describe('strata sync to HubSpot contacts', () => {
  it('finds contacts by email and writes their account’s values', async () => {
    // ann1..ann5 are users of acc_001..acc_005; HubSpot has no contact for ann3.
    for (const i of [1, 2, 4, 5])
      hubspot.records.contacts.set(String(900 + i), { email: `ann${i}@${domainOf(i)}` });
    const from = hubspot.requests.length;
    expect(await ok(['sync', 'run', 'hubspot_contacts'])).toMatchObject({
      planned: 5,
      written: 4,
      unmatched: 1,
    });
    expect(calls(hubspot, from)).toEqual([
      'GET /crm/v3/properties/contacts',
      'POST /crm/v3/properties/contacts/groups',
      'POST /crm/v3/properties/contacts/batch/create',
      'POST /crm/v3/objects/contacts/batch/read',
      'POST /crm/v3/objects/contacts/batch/update',
    ]);
    const read = hubspot.requests.find((r, n) => n >= from && r.path.endsWith('/batch/read'));
    expect(read?.body).toMatchObject({
      idProperty: 'email',
      inputs: range(5).map((i) => ({ id: `ann${i}@${domainOf(i)}` })),
      properties: ['email'],
    });
    expect(updates(hubspot, from)).toEqual([
      [1, 2, 4, 5].map((i) => ({
        id: String(900 + i),
        properties: { strata_tier: expected(i, EXTRA[i]).tier },
      })),
    ]);
  });
});

describe('strata plan', () => {
  it("counts each destination's writes with an edit of strata.yaml against without it", async () => {
    const file = join(ws, 'strata.yaml');
    const before = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      before.replace(
        'active: { where: { metric: sessions, gte: 3 } }',
        'active: { where: { metric: sessions, gte: 4 } }',
      ),
    );
    try {
      const plan = await ok<{
        destinations: {
          destination: string;
          now: { pending: number };
          edited: { pending: number; fields: Record<string, number> };
        }[];
      }>(['plan']);
      // With active at 4 sessions, the accounts at exactly 3 leave it: their flag, segments, tier and next action change.
      const atThree = range(ACCOUNTS).filter((i) => expected(i, EXTRA[i]).sessions === 3).length;
      expect(atThree).toBeGreaterThan(0);
      const hubspotEffect = plan.destinations.find((d) => d.destination === 'hubspot');
      expect(hubspotEffect).toEqual({
        destination: 'hubspot',
        now: { pending: 0, fields: expect.any(Object) },
        edited: {
          // acc_007 and acc_077 are not in HubSpot: they wait as not found, and are pending again once their values change.
          pending: atThree,
          fields: {
            strata_segments: atThree,
            strata_tier: atThree,
            strata_active: atThree,
            strata_sessions: 0,
            strata_next_action: atThree,
          },
        },
      });
    } finally {
      writeFileSync(file, before);
    }
  });
});

describe('strata sync to Salesforce', () => {
  it('names the custom field to create before writing anything', async () => {
    const run = await cli(['sync', 'run', 'salesforce']);
    expect(run.code).toBe(1);
    const { error } = run.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('crm_setup_needed');
    expect(error.message).toBe(
      'Salesforce Account needs one set-up step before Strata can write:\n  Strata_Sessions__c (Number(16, 6)): create it in Setup, Object Manager, Account, Fields & Relationships',
    );
    expect(calls(salesforce)).toEqual(['GET /services/data/v62.0/sobjects/Account/describe']);
  });

  it('finds accounts by website, writes them in collections of 200 through a request limit, and contacts by email', async () => {
    salesforce.fields.get('Account')?.push({
      name: 'Strata_Sessions__c',
      type: 'double',
      label: 'Strata Sessions',
      updateable: true,
      custom: true,
    });
    const from = salesforce.requests.length;
    salesforce.script.push({ kind: 'status', status: 403, match: 'composite/sobjects' });
    expect(await ok(['sync', 'run', 'salesforce'])).toMatchObject({
      planned: 240,
      written: 240,
      unmatched: 0,
    });
    const patches = salesforce.requests.slice(from).filter((r) => r.method === 'PATCH');
    // Two collections (200, 40), the first sent twice: once refused with REQUEST_LIMIT_EXCEEDED.
    const sizes = patches.map((p) => (p.body as { records: unknown[] }).records.length);
    expect(sizes).toEqual([200, 200, 40]);
    const extra = EXTRA;
    const first = patches[0]?.body as { allOrNone: boolean; records: Record<string, unknown>[] };
    expect(first.allOrNone).toBe(false);
    expect(first.records[0]).toEqual({
      attributes: { type: 'Account' },
      id: '001A00000000001',
      Strata_Segments__c: 'active;paying',
      Strata_Active__c: true,
      Strata_Sessions__c: 3,
    });
    for (const i of range(ACCOUNTS)) {
      const e = expected(i, extra[i] ?? 0);
      expect(salesforce.records.get('Account')?.get(`001A${String(i).padStart(11, '0')}`)).toMatchObject({
        Strata_Segments__c: e.segments || null,
        Strata_Active__c: e.active,
        Strata_Sessions__c: e.sessions,
      });
    }
    expect(await ok(['sync', 'run', 'sf_contacts'])).toMatchObject({ planned: 5, written: 5 });
    for (const i of range(5))
      expect(salesforce.records.get('Contact')?.get(`003A${String(i).padStart(11, '0')}`)).toMatchObject({
        Strata_Tier__c: expected(i, extra[i] ?? 0).tier,
      });
  });
});

describe('strata serve', () => {
  it('syncs the destinations after a scheduled run, each with what changed, and reports it in /health', async () => {
    const more = join(ws, 'events-4.csv');
    writeMoreEvents(more, { 5: 3 }, 'd');
    await ok(['import', 'events', more]);
    const sent = {
      hubspot: hubspot.requests.length,
      kill: hubspotKill.requests.length,
      sf: salesforce.requests.length,
    };
    // Keys are read when the server starts.
    const key = createKey(ws, 'admin').key;
    await release();
    const workspace = loadWorkspace(ws);
    const store = await openStore(workspace);
    // The dashboard's server and Chromium: the Plan page shows the destinations too.
    const session = await openDashboard({ workspace, store }, env());
    const { server } = session;
    try {
      const answer = await fetch(`${server.url}/v1/admin/schedules/nightly/run`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: '{}',
      });
      expect(answer.status).toBe(200);
      // acc_005: 0 + 3 sessions, now active (MRR 50: paying too); sf_contacts is manual.
      const want = [{ id: hubspotId(5), properties: hubspotProperties(5, 3) }];
      expect(updates(hubspot, sent.hubspot)).toEqual([want]);
      expect(updates(hubspotKill, sent.kill)).toEqual([want]);
      const patches = salesforce.requests.slice(sent.sf).filter((r) => r.method === 'PATCH');
      expect(patches.map((p) => (p.body as { records: { id: string }[] }).records.map((r) => r.id))).toEqual([
        ['001A00000000005'],
      ]);
      const health = (await (await fetch(`${server.url}/health`)).json()) as {
        lastSchedule: {
          syncs: { destination: string; written: number; failed: number; error: string | null }[];
        };
      };
      expect(health.lastSchedule.syncs).toEqual(
        ['hubspot', 'hubspot_kill', 'salesforce'].map((destination) => ({
          destination,
          written: 1,
          failed: 0,
          error: null,
        })),
      );
      // The same through the admin API: the destinations' state, a plan, a sync, a replay.
      const admin = async (method: string, path: string, body?: unknown) => {
        const response = await fetch(`${server.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${key}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      const listed = (await admin('GET', '/v1/destinations')).body.destinations as Record<string, unknown>[];
      const row = (d: Record<string, unknown>) => [
        d.name,
        d.sync,
        (d.lastSync as { written: number }).written,
        d.failures,
        (d.next as { pending: number }).pending,
      ];
      expect(listed.map(row)).toEqual([
        ['hubspot', 'schedule', 1, { retry: 0, dead: 0 }, 0],
        ['hubspot_kill', 'schedule', 1, { retry: 0, dead: 0 }, 0],
        // Manual: acc_005 (ann5) changed tier with the scheduled run and waits for its sync.
        ['hubspot_contacts', 'manual', 4, { retry: 0, dead: 0 }, 1],
        ['salesforce', 'schedule', 1, { retry: 0, dead: 0 }, 0],
        // sf_contacts is manual: u5's tier, changed by the scheduled run, waits for its sync.
        ['sf_contacts', 'manual', 5, { retry: 0, dead: 0 }, 1],
      ]);
      expect((await admin('GET', '/v1/admin/destinations/hubspot/plan')).body).toMatchObject({ pending: 0 });
      // The Plan page's panel, as the API gives it: each row's last sync and next writes.
      const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(server.dashboardUrl);
      await page.goto(`${server.url}/#/plan`);
      await page
        .locator('table[data-destinations] tr[data-destination]')
        .first()
        .waitFor({ timeout: 30_000 });
      const shown = await page
        .locator('tr[data-destination]')
        .evaluateAll((rows) =>
          rows.map((r) => [r.getAttribute('data-destination'), r.querySelector('[data-next]')?.textContent]),
        );
      const runId = (listed[0]?.next as { runId: number } | undefined)?.runId;
      expect(shown).toEqual([
        ['hubspot', `nothing to write (run ${runId})`],
        ['hubspot_kill', `nothing to write (run ${runId})`],
        ['hubspot_contacts', `1 record of 5 (run ${runId}): strata_tier 1`],
        ['salesforce', `nothing to write (run ${runId})`],
        ['sf_contacts', `1 record of 5 (run ${runId}): Strata_Tier__c 1`],
      ]);
      // The filled panel audited as every page is (test/web/accessibility.test.ts): nothing serious.
      expect((await audit(page)).violations.filter(blocking)).toEqual([]);
      await shot(page, 'plan-destinations-1280.png');
      await page.close();
      // u5's account acc_005 is active now: its contact's tier changes, by the API's sync.
      const synced = await admin('POST', '/v1/admin/destinations/sf_contacts/run');
      expect(synced).toMatchObject({ status: 200, body: { planned: 1, written: 1 } });
      expect(salesforce.records.get('Contact')?.get('003A00000000005')).toMatchObject({
        Strata_Tier__c: 'active',
      });
      expect(await admin('POST', '/v1/admin/destinations/hubspot/replay', {})).toEqual({
        status: 200,
        body: { destination: 'hubspot', replayed: 0 },
      });
      expect((await admin('POST', '/v1/admin/destinations/nope/run')).status).toBe(404);
    } finally {
      await session.close();
    }
  });
});
