import type { Preset } from './preset.js';

/**
 * Salesforce: Account, Contact and Opportunity as Data Loader (or the Bulk API) exports them:
 * a CSV whose header is the fields' API names (Id, AccountId, NumberOfEmployees) and whose
 * times are ISO 8601 in UTC. Report exports are not read as they are: their columns are the
 * labels each report chose and their dates follow the user's locale (1/15/2024 or 15/01/2024
 * cannot be told apart), so a report needs its own `derive:`. Fields:
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/
 */

/**
 * An opportunity's outcome from IsWon and IsClosed, which Data Loader writes "true" / "false".
 * Compared as text rather than through boolean(): the outcome is read by three columns, and a
 * checked conversion repeated in each makes DuckDB's plan many times larger (seconds, not ms).
 */
const OUTCOME = 'lower(IsWon) == "true" ? "won" : lower(IsClosed) == "true" ? "lost" : "open"';

/** The domain of a website: without scheme, "www." and path (https://www.acme.com/about is acme.com). */
const DOMAIN =
  'split(replace(replace(replace(lower(optionalCol("Website")), "https://", ""), "http://", ""), "www.", ""), "/", 1)';

export const SALESFORCE_PRESETS: readonly Preset[] = [
  {
    id: 'salesforce/account',
    table: 'accounts',
    doc: 'Salesforce Accounts: Id as the account, with name, website domain, creation date, employees, industry, billing country code and parent Account (ParentId).',
    reference:
      'https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_account.htm',
    csv: {
      derive: {
        account_id: 'Id',
        name: 'optionalCol("Name")',
        domain: DOMAIN,
        created_at: 'CreatedDate',
        employees: 'optionalCol("NumberOfEmployees")',
        industry: 'optionalCol("Industry")',
        country: 'upper(optionalCol("BillingCountryCode"))',
        parent_account_id: 'optionalCol("ParentId")',
      },
    },
  },
  {
    id: 'salesforce/contact',
    table: 'users',
    doc: 'Salesforce Contacts as users of their Account (AccountId), with email and creation date.',
    reference:
      'https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contact.htm',
    csv: {
      derive: {
        user_id: 'Id',
        account_id: 'AccountId',
        email: 'optionalCol("Email")',
        created_at: 'optionalCol("CreatedDate")',
      },
    },
  },
  {
    id: 'salesforce/opportunity',
    table: 'events',
    doc: 'Salesforce Opportunities as events of their Account: deal_open at creation, deal_won or deal_lost at CloseDate, with amount and stage.',
    reference:
      'https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunity.htm',
    csv: {
      derive: {
        event_id: `concat(Id, ":", ${OUTCOME})`,
        account_id: 'AccountId',
        event: `concat("deal_", ${OUTCOME})`,
        // A won opportunity is closed too: closed ones happen at CloseDate.
        ts: 'lower(IsClosed) == "true" ? coalesce(optionalCol("CloseDate"), CreatedDate) : CreatedDate',
        amount: 'number(optionalCol("Amount"))',
        stage: 'optionalCol("StageName")',
        deal_id: 'Id',
      },
    },
  },
];
