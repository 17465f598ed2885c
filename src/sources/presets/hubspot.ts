import type { Preset } from './preset.js';

/**
 * HubSpot: companies, contacts and deals, from the CRM's CSV export (columns are the
 * properties' labels, "Record ID", "Create Date", ...; times as the portal shows them) and
 * from the CRM API v3's list answers (`{"results": [{"id", "properties": {...}}]}`, property
 * internal names). Properties: https://knowledge.hubspot.com/properties/hubspots-default-company-properties
 * and the CRM objects API (https://developers.hubspot.com/docs/api/crm/understanding-the-crm).
 */

/**
 * A deal's outcome from its stage: HubSpot's default pipeline ends in closedwon / closedlost
 * (labels Closed Won / Closed Lost); any other stage is open. Custom pipelines' closing stages
 * have ids of their own: override `event` for them.
 */
const outcome = (stage: string) => {
  const s = `replace(lower(${stage}), " ", "")`;
  return `${s} == "closedwon" ? "won" : ${s} == "closedlost" ? "lost" : "open"`;
};

/**
 * The company a contact or deal belongs to: the primary associated company, else the first of
 * the associated ones (HubSpot writes several as "123;456"). Current exports have "Associated
 * Company IDs" and "Associated Company IDs (Primary)"; older ones "Associated Company ID".
 */
const COMPANY = `coalesce(split(optionalCol("Associated Company IDs (Primary)"), ";", 1), split(anyCol("Associated Company IDs", "Associated Company ID", "Primary Associated Company ID", "Associated Company IDs (Primary)"), ";", 1))`;

const CSV_DEAL_OUTCOME = outcome('col("Deal Stage")');
const API_DEAL_OUTCOME = outcome('properties.dealstage');

export const HUBSPOT_PRESETS: readonly Preset[] = [
  {
    id: 'hubspot/companies',
    table: 'accounts',
    doc: 'HubSpot companies: the record id is the account, with name, domain, creation date, employees, industry and parent company (its record id).',
    reference: 'https://knowledge.hubspot.com/properties/hubspots-default-company-properties',
    csv: {
      derive: {
        account_id: 'col("Record ID")',
        name: 'optionalCol("Company name")',
        domain: 'optionalCol("Company Domain Name")',
        created_at: 'col("Create Date")',
        employees: 'optionalCol("Number of Employees")',
        industry: 'optionalCol("Industry")',
        parent_account_id: 'optionalCol("Parent Company")',
      },
    },
    json: {
      records: 'results',
      derive: {
        account_id: 'id',
        name: 'properties.name',
        domain: 'properties.domain',
        created_at: 'coalesce(properties.createdate, optionalCol("createdAt"))',
        employees: 'properties.numberofemployees',
        industry: 'properties.industry',
        parent_account_id: 'properties.hs_parent_company_id',
      },
    },
  },
  {
    id: 'hubspot/contacts',
    table: 'users',
    doc: 'HubSpot contacts as users of the company they are associated with (its record id, as hubspot/companies gives it).',
    reference: 'https://knowledge.hubspot.com/properties/hubspots-default-contact-properties',
    csv: {
      derive: {
        user_id: 'col("Record ID")',
        account_id: COMPANY,
        email: 'optionalCol("Email")',
        created_at: 'optionalCol("Create Date")',
      },
    },
    json: {
      records: 'results',
      derive: {
        user_id: 'id',
        account_id:
          'coalesce(properties.associatedcompanyid, optionalCol("associations").companies.results[0].id)',
        email: 'properties.email',
        created_at: 'coalesce(properties.createdate, optionalCol("createdAt"))',
      },
    },
  },
  {
    id: 'hubspot/deals',
    table: 'events',
    doc: 'HubSpot deals as events of their company: deal_open at creation, deal_won or deal_lost at the close date, with amount and stage.',
    reference: 'https://knowledge.hubspot.com/properties/hubspots-default-deal-properties',
    csv: {
      derive: {
        event_id: `concat(col("Record ID"), ":", ${CSV_DEAL_OUTCOME})`,
        account_id: COMPANY,
        event: `concat("deal_", ${CSV_DEAL_OUTCOME})`,
        ts: `(${CSV_DEAL_OUTCOME}) == "open" ? col("Create Date") : coalesce(optionalCol("Close Date"), col("Create Date"))`,
        amount: 'number(optionalCol("Amount"))',
        stage: 'col("Deal Stage")',
        deal_id: 'col("Record ID")',
      },
    },
    json: {
      records: 'results',
      derive: {
        event_id: `concat(id, ":", ${API_DEAL_OUTCOME})`,
        account_id: 'optionalCol("associations").companies.results[0].id',
        event: `concat("deal_", ${API_DEAL_OUTCOME})`,
        ts: `(${API_DEAL_OUTCOME}) == "open" ? coalesce(properties.createdate, optionalCol("createdAt")) : coalesce(properties.closedate, properties.createdate, optionalCol("createdAt"))`,
        amount: 'number(properties.amount)',
        stage: 'properties.dealstage',
        deal_id: 'id',
      },
    },
  },
];
