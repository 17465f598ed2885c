import type { Preset } from './preset.js';

/**
 * Zendesk tickets, from the Support CSV export (Admin Center > Reports > Export; columns such
 * as "Id", "Organization", "Created at", "Solved at", "Satisfaction Score") and from the
 * Tickets API's list answer (`{"tickets": [...]}`). Fields:
 * https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/
 *
 * Satisfaction: Zendesk's CSAT is good or bad; Strata's csat is 1-5. Good is 5 and bad is 1,
 * the ends of the scale, so an average csat reads as the share rated good (1 + 4 x share);
 * offered, unoffered or no rating is empty (no answer, not a low score).
 */

/**
 * A time of the CSV export. Zendesk (a Rails application) may write "2024-02-01 09:00:00 +0100";
 * the space before the offset is dropped so the offset is read rather than the value refused.
 */
const time = (column: string) => `replace(replace(${column}, " +", "+"), " -", "-")`;

const csat = (score: string) => `lower(${score}) == "good" ? 5 : lower(${score}) == "bad" ? 1 : null`;

export const ZENDESK_PRESETS: readonly Preset[] = [
  {
    id: 'zendesk/tickets',
    table: 'tickets',
    doc: 'Zendesk tickets of an organization: created and solved times, priority, and the satisfaction rating as csat (good 5, bad 1).',
    reference: 'https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/',
    csv: {
      derive: {
        ticket_id: 'col("Id")',
        account_id: 'col("Organization")',
        created_at: time('col("Created at")'),
        resolved_at: time('optionalCol("Solved at")'),
        priority: 'lower(optionalCol("Priority"))',
        csat: csat('optionalCol("Satisfaction Score")'),
      },
    },
    json: {
      records: 'tickets',
      derive: {
        ticket_id: 'id',
        account_id: 'organization_id',
        created_at: 'created_at',
        // The list answer has no solve time; the full JSON export's metric_set has.
        resolved_at: 'optionalCol("metric_set").solved_at',
        priority: 'lower(optionalCol("priority"))',
        csat: csat('optionalCol("satisfaction_rating").score'),
      },
    },
  },
];
