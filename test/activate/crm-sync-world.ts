import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * The world of the CRM sync tests (crm-sync.test.ts), and what each account should hold in the
 * CRM worked out by a rule of its own, not by Strata: 240 accounts acc_001..acc_240; account i
 * has MRR (i mod 4) x 50 and (i mod 5) session_start events. So, with the workspace below:
 *   sessions = i mod 5; active = sessions >= 3; paying = MRR > 0;
 *   segments = the segments it is in, in strata.yaml order, joined by ';';
 *   tier = active, else paying, else other; next action = active's playbook when active.
 * Every tenth account holds its HubSpot id in the trait hubspot_company_id (5000 + i), and its
 * HubSpot company has another domain: found by id, never by domain. HubSpot has no company for
 * acc_007 and acc_077: not found. Salesforce writes each domain as a website in its own way.
 */

export const ACCOUNTS = 240;
export const pad = (i: number) => String(i).padStart(3, '0');
export const accountId = (i: number) => `acc_${pad(i)}`;
export const domainOf = (i: number) => `c${pad(i)}.example`;
export const hubspotId = (i: number) => String(5000 + i);
export const NOT_IN_HUBSPOT = new Set([7, 77]);
export const holdsHubspotId = (i: number) => i % 10 === 0;

/** What an account should hold, from the rule above; `extra` sessions added by later imports. */
export function expected(i: number, extra = 0) {
  const sessions = (i % 5) + extra;
  const active = sessions >= 3;
  const paying = (i % 4) * 50 > 0;
  return {
    sessions,
    active,
    segments: [active ? 'active' : null, paying ? 'paying' : null].filter(Boolean).join(';'),
    tier: active ? 'active' : paying ? 'paying' : 'other',
    nextAction: active ? 'active: offer the annual plan (cs)' : '',
  };
}

/** The HubSpot properties Strata writes for an account, as HubSpot takes them (text). */
export function hubspotProperties(i: number, extra = 0) {
  const e = expected(i, extra);
  return {
    strata_segments: e.segments,
    strata_tier: e.tier,
    strata_active: e.active ? 'true' : 'false',
    strata_sessions: String(e.sessions),
    strata_next_action: e.nextAction,
  };
}

export const range = (n: number) => Array.from({ length: n }, (_, k) => k + 1);

/** Writes the workspace (strata.yaml naming the fake HubSpot servers) and its CSV files into `ws`. */
export function writeWorld(ws: string, urls: { hubspot: string; hubspotKill: string }): void {
  const accounts = range(ACCOUNTS).map(
    (i) =>
      `${accountId(i)},Company ${i},${domainOf(i)},2024-01-01,${(i % 4) * 50},${holdsHubspotId(i) ? hubspotId(i) : ''}`,
  );
  writeFileSync(
    join(ws, 'accounts.csv'),
    `account_id,name,domain,created_at,mrr,hubspot_company_id\n${accounts.join('\n')}\n`,
  );
  const events = range(ACCOUNTS).flatMap((i) =>
    range(i % 5).map((k) => `e${i}_${k},${accountId(i)},u${i},session_start,2024-03-0${k}T10:00:00Z`),
  );
  writeFileSync(join(ws, 'events.csv'), `event_id,account_id,user_id,event,ts\n${events.join('\n')}\n`);
  const users = range(5).map((i) => `u${i},${accountId(i)},ann${i}@${domainOf(i)}`);
  writeFileSync(join(ws, 'users.csv'), `user_id,account_id,email\n${users.join('\n')}\n`);
  const hubspot = (url: string) => `
    type: hubspot
    object: companies
    credentials: { token: HUBSPOT_TOKEN }
    apiUrl: ${url}
    match: { id: hubspot_company_id }
    maxAttempts: 2
    fields:
      strata_segments: segments
      strata_tier: { scheme: tier }
      strata_active: { segment: active }
      strata_sessions: { metric: sessions }
      strata_next_action: next_action`;
  writeFileSync(
    join(ws, 'strata.yaml'),
    `store: { engine: duckdb, path: .strata/strata.duckdb }
sources:
  accounts: { file: accounts.csv }
  users: { file: users.csv }
  events: { file: events.csv }
metrics:
  sessions: { count: { event: session_start } }
segments:
  active: { where: { metric: sessions, gte: 3 } }
  paying: { where: { metric: mrr, gt: 0 } }
schemes:
  tier: { order: [active, paying], fallback: other }
playbooks:
  active: { owner: cs, goal: expand, message: "offer the annual plan" }
schedules:
  nightly: { cron: "0 2 * * *" }
destinations:
  hubspot:${hubspot(urls.hubspot)}
  hubspot_kill:${hubspot(urls.hubspotKill)}
  hubspot_contacts:
    type: hubspot
    object: contacts
    credentials: { token: HUBSPOT_TOKEN }
    apiUrl: ${urls.hubspot}
    sync: manual
    fields:
      strata_tier: { scheme: tier }
  salesforce:
    type: salesforce
    object: Account
    credentials: { token: SF_TOKEN, instanceUrl: SF_URL }
    fields:
      Strata_Segments__c: segments
      Strata_Active__c: { segment: active }
      Strata_Sessions__c: { metric: sessions }
  sf_contacts:
    type: salesforce
    object: Contact
    credentials: { token: SF_TOKEN, instanceUrl: SF_URL }
    sync: manual
    fields:
      Strata_Tier__c: { scheme: tier }
`,
  );
}

/** An events file adding `extra[i]` sessions to account i (ids after the world's). */
export function writeMoreEvents(file: string, extra: Readonly<Record<number, number>>, tag: string): void {
  const rows = Object.entries(extra).flatMap(([i, n]) =>
    range(n).map(
      (k) => `${tag}${i}_${k},${accountId(Number(i))},u${i},session_start,2024-03-2${k}T10:00:00Z`,
    ),
  );
  writeFileSync(file, `event_id,account_id,user_id,event,ts\n${rows.join('\n')}\n`);
}
