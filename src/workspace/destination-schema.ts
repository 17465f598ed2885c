import { z } from 'zod';

/**
 * `destinations:` in strata.yaml: CRM objects Strata keeps current with its segments
 * (src/activate/sync). Each names its vendor and object, the environment variables holding
 * its credentials (never the secrets themselves), how a Strata record finds its CRM record,
 * and which Strata value goes to which CRM property.
 */

/** The CRM objects each vendor's destination can write. */
export const DESTINATION_OBJECTS = {
  hubspot: ['companies', 'contacts'],
  salesforce: ['Account', 'Contact'],
} as const;
export type DestinationType = keyof typeof DESTINATION_OBJECTS;

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as HUBSPOT_TOKEN');

/**
 * A value sent to one CRM property: every segment the account is in (`segments`, `;`-separated
 * as a multiple-checkbox or multi-select takes them), its primary action (`next_action`), its
 * Strata id (`account_id`), one segment's flag, one scheme's primary segment, or one metric.
 */
export const destinationValueSchema = z.union([
  z.enum(['segments', 'next_action', 'account_id']),
  z.object({ segment: z.string().min(1) }).strict(),
  z.object({ scheme: z.string().min(1) }).strict(),
  z.object({ metric: z.string().min(1) }).strict(),
]);
export type DestinationValue = z.infer<typeof destinationValueSchema>;

export const SYNC_MODES = ['realtime', 'schedule', 'manual'] as const;

export const destinationSchema = z
  .object({
    type: z.enum(['hubspot', 'salesforce']).describe('The CRM: hubspot or salesforce'),
    object: z
      .string()
      .min(1)
      .describe('The CRM object written: companies or contacts (HubSpot), Account or Contact (Salesforce)'),
    credentials: z
      .object({
        token: envName.describe(
          'Environment variable holding the access token (a HubSpot private app token, a Salesforce OAuth access token)',
        ),
        instanceUrl: envName
          .optional()
          .describe("Salesforce: environment variable holding the org's instance URL"),
      })
      .strict(),
    apiUrl: z
      .string()
      .url()
      .optional()
      .describe('HubSpot: the API base URL (default https://api.hubapi.com), for a proxy or a test server'),
    match: z
      .object({
        id: z
          .string()
          .min(1)
          .optional()
          .describe(
            "Column or trait holding the CRM record's id (an account's for companies and accounts, a user's for contacts)",
          ),
        by: z
          .enum(['domain', 'email', 'none'])
          .optional()
          .describe(
            'Else find the record by the account domain (companies, accounts) or the user email (contacts); none: only by id',
          ),
      })
      .strict()
      .default({}),
    fields: z
      .record(z.string(), destinationValueSchema)
      .refine((fields) => Object.keys(fields).length > 0, 'name at least one CRM property to write')
      .describe('CRM property (API name) -> the Strata value written to it'),
    sync: z
      .enum(SYNC_MODES)
      .default('schedule')
      .describe(
        'When it is synced: after each scheduled run of strata serve (schedule); also, for each account a trigger sees enter or leave a segment, at once with its values evaluated then (realtime); or only by strata sync run (manual)',
      ),
    group: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/, 'a HubSpot property group name such as strata')
      .default('strata')
      .describe('HubSpot: the property group of the properties Strata creates'),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(50)
      .default(5)
      .describe('Syncs that may fail a record before it is dead-lettered'),
  })
  .strict()
  .superRefine((destination, context) => {
    const objects: readonly string[] = DESTINATION_OBJECTS[destination.type];
    if (!objects.includes(destination.object))
      context.addIssue({
        code: 'custom',
        path: ['object'],
        message: `a ${destination.type} destination writes ${objects.join(' or ')}`,
      });
    if (destination.type === 'salesforce' && !destination.credentials.instanceUrl)
      context.addIssue({
        code: 'custom',
        path: ['credentials', 'instanceUrl'],
        message: 'a salesforce destination names the environment variable holding its instance URL',
      });
    const by = destination.match.by;
    const people = destination.object === 'contacts' || destination.object === 'Contact';
    if (by !== undefined && by !== 'none' && (by === 'email') !== people)
      context.addIssue({
        code: 'custom',
        path: ['match', 'by'],
        message: `${destination.object} are found by ${people ? 'email' : 'domain'} (or none)`,
      });
    const property =
      destination.type === 'hubspot'
        ? { pattern: /^[a-z][a-z0-9_]*$/, words: 'a HubSpot internal name: lower-case letters, digits and _' }
        : {
            pattern: /^[A-Za-z][A-Za-z0-9_]*$/,
            words: 'a Salesforce field API name: letters, digits and _, such as Strata_Health__c',
          };
    for (const name of Object.keys(destination.fields))
      if (!property.pattern.test(name))
        context.addIssue({ code: 'custom', path: ['fields', name], message: `expected ${property.words}` });
  });
export type Destination = z.infer<typeof destinationSchema>;

/** Whether the destination's records are people (contacts), each carrying its account's values. */
export const writesPeople = (destination: Destination) =>
  destination.object === 'contacts' || destination.object === 'Contact';

/** How a record without a known CRM id is found: by its domain or email, or not at all. */
export const matchBy = (destination: Destination): 'domain' | 'email' | 'none' =>
  destination.match.by ?? (writesPeople(destination) ? 'email' : 'domain');
