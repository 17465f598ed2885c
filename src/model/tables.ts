import { ownValue } from '../own-key.js';

/**
 * The Strata data model (DESIGN section 2) as engine-neutral data: every store,
 * importer and generator reads its tables from here, so a column is named once.
 */

/** Logical column types; each dialect maps them to its own SQL types. */
export type ColumnType = 'string' | 'integer' | 'double' | 'timestamp' | 'json';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  /** A row without a value here is invalid. */
  readonly required: boolean;
  /** One sentence for docs and `--help`, with units. */
  readonly doc: string;
  /** Inclusive bounds for numbers (NPS 0-10); a value outside makes the row invalid. */
  readonly range?: readonly [number, number];
  /**
   * For a required column: the value a file without the column gets, where the rest of the row
   * says it honestly (words for the docs; the importer holds the SQL). Most have none: a guessed
   * signup date would put an account in the wrong cohort.
   */
  readonly defaultRule?: string;
  /**
   * For a required column a row may leave blank, stored as '' (never NULL: ClickHouse sorts and
   * shards by it), with what a blank means, in words for the docs.
   */
  readonly blank?: string;
}

export interface Table {
  readonly name: TableName;
  readonly doc: string;
  readonly columns: readonly Column[];
  /** Columns that identify a row; re-importing a row with the same key never duplicates it. */
  readonly key: readonly string[];
  /**
   * When the key is a synthetic id that a file may omit (event_id, ticket_id), the
   * columns it is derived from (a hash), so re-importing the same file stays idempotent.
   */
  readonly derivedKeyFrom?: readonly string[];
  /** What a re-imported key does: `replace` keeps the latest value; `keep` ignores the copy. */
  readonly onDuplicateKey: 'replace' | 'keep';
  /** Column holding extra fields of an imported row (those not in `columns`). */
  readonly extrasColumn: 'traits' | 'properties';
  /** Column that places a row in time, for as-of evaluation (null: the row is current state). */
  readonly timeColumn: string | null;
}

const col = (
  name: string,
  type: ColumnType,
  required: boolean,
  doc: string,
  range?: readonly [number, number],
): Column => ({ name, type, required, doc, ...(range ? { range } : {}) });

const NON_NEGATIVE = [0, Number.MAX_SAFE_INTEGER] as const;

const accountId = col('account_id', 'string', true, 'The account (company) this row belongs to.');
/**
 * The account of a user or an event, which may be left blank: the row is then linked to
 * accounts through its user by the identity rules (src/identity), when read.
 */
const linkedAccountId: Column = {
  ...col(
    'account_id',
    'string',
    true,
    'The account this row belongs to; blank: linked through its user by the identity rules.',
  ),
  blank: 'the row is linked to accounts through its user by the identity rules (identity: in strata.yaml)',
};
const traits = col('traits', 'json', false, 'Extra columns of the imported file, as a JSON object.');

export const TABLES = {
  accounts: {
    name: 'accounts',
    doc: 'Firmographics and contract: one row per account, latest value.',
    columns: [
      accountId,
      col('name', 'string', false, 'Company name.'),
      col('domain', 'string', false, 'Web domain, e.g. acme.com.'),
      col('created_at', 'timestamp', true, 'When the account signed up (UTC).'),
      col('employees', 'integer', false, 'Company head count.', NON_NEGATIVE),
      col('industry', 'string', false, 'Industry, e.g. Healthcare.'),
      col('region', 'string', false, 'Sales region: NA, EMEA, APAC, LATAM.'),
      col('country', 'string', false, 'ISO 3166-1 alpha-2 country code.'),
      col('plan', 'string', false, 'Current plan: free, starter, growth, enterprise.'),
      col('mrr', 'double', false, 'Monthly recurring revenue now, in account currency units.', NON_NEGATIVE),
      col(
        'arr',
        'double',
        false,
        'Annual recurring revenue now (12 x MRR unless contracted otherwise).',
        NON_NEGATIVE,
      ),
      col('renewal_at', 'timestamp', false, 'Next contract renewal date (UTC).'),
      traits,
      // Last, where the migration that added it put it in every store.
      col(
        'parent_account_id',
        'string',
        false,
        "The parent account (a subsidiary's holding company); may name an account not imported yet.",
      ),
    ],
    key: ['account_id'],
    onDuplicateKey: 'replace',
    extrasColumn: 'traits',
    // An account exists from its signup on: evaluation as of an earlier time does not see it.
    timeColumn: 'created_at',
  },
  users: {
    name: 'users',
    doc: 'Contacts and end users of an account.',
    columns: [
      col('user_id', 'string', true, 'The user.'),
      linkedAccountId,
      col('email', 'string', false, 'Email address.'),
      col('role', 'string', false, 'Role, e.g. admin, member, billing.'),
      col('created_at', 'timestamp', false, 'When the user was created (UTC).'),
      traits,
    ],
    key: ['user_id'],
    onDuplicateKey: 'replace',
    extrasColumn: 'traits',
    timeColumn: 'created_at',
  },
  events: {
    name: 'events',
    doc: 'Product usage and engagement events: the big table.',
    columns: [
      col('event_id', 'string', true, 'Unique id (Segment messageId); derived from the row when absent.'),
      linkedAccountId,
      col('user_id', 'string', false, 'The user who acted, if known.'),
      col('event', 'string', true, 'Event name, e.g. session_start.'),
      col('ts', 'timestamp', true, 'When it happened (UTC).'),
      col('properties', 'json', false, 'Event properties as a JSON object.'),
    ],
    key: ['event_id'],
    derivedKeyFrom: ['account_id', 'user_id', 'event', 'ts', 'properties'],
    onDuplicateKey: 'keep',
    extrasColumn: 'properties',
    timeColumn: 'ts',
  },
  subscriptions: {
    name: 'subscriptions',
    doc: 'Subscription history, so expansion, contraction and churn are derivable.',
    columns: [
      accountId,
      col('plan', 'string', true, 'Plan of this period.'),
      col('mrr', 'double', true, 'Monthly recurring revenue during this period.', NON_NEGATIVE),
      col('billing', 'string', false, 'Billing term: monthly or annual.'),
      col('starts_at', 'timestamp', true, 'Start of the period (UTC).'),
      col('ends_at', 'timestamp', false, 'End of the period (UTC); empty while it runs.'),
      {
        ...col(
          'status',
          'string',
          true,
          'trialing, active, canceled or replaced (by an upgrade or downgrade).',
        ),
        defaultRule: 'canceled when the row has an ends_at, else active',
      },
      traits,
    ],
    key: ['account_id', 'starts_at'],
    onDuplicateKey: 'replace',
    extrasColumn: 'traits',
    timeColumn: 'starts_at',
  },
  tickets: {
    name: 'tickets',
    doc: 'Support tickets.',
    columns: [
      col('ticket_id', 'string', true, 'Ticket id; derived from the row when absent.'),
      accountId,
      col('created_at', 'timestamp', true, 'When the ticket was opened (UTC).'),
      col('resolved_at', 'timestamp', false, 'When it was resolved (UTC); empty while open.'),
      col('priority', 'string', false, 'low, normal, high or urgent.'),
      col('csat', 'integer', false, 'Customer satisfaction 1-5 after resolution.', [1, 5]),
      traits,
    ],
    key: ['ticket_id'],
    derivedKeyFrom: ['account_id', 'created_at', 'priority'],
    onDuplicateKey: 'replace',
    extrasColumn: 'traits',
    timeColumn: 'created_at',
  },
  surveys: {
    name: 'surveys',
    doc: 'NPS survey answers: promoters 9-10, passives 7-8, detractors 0-6.',
    columns: [
      accountId,
      col('user_id', 'string', false, 'Who answered.'),
      col('ts', 'timestamp', true, 'When they answered (UTC).'),
      col('nps', 'integer', true, 'Likelihood to recommend, 0-10.', [0, 10]),
      traits,
    ],
    key: ['account_id', 'user_id', 'ts'],
    onDuplicateKey: 'replace',
    extrasColumn: 'traits',
    timeColumn: 'ts',
  },
  trait_history: {
    name: 'trait_history',
    doc: 'Every trait change (plan change, enrichment), for as-of evaluation and triggers.',
    columns: [
      accountId,
      col('trait', 'string', true, 'Trait name, e.g. plan or employees.'),
      col('value', 'string', false, 'New value, as text.'),
      col('ts', 'timestamp', true, 'When it changed (UTC).'),
      col('source', 'string', false, 'Where the change came from: crm, billing, enrichment, api.'),
      traits,
    ],
    key: ['account_id', 'trait', 'ts'],
    onDuplicateKey: 'replace',
    extrasColumn: 'traits',
    timeColumn: 'ts',
  },
} as const satisfies Record<string, Omit<Table, 'name'> & { name: string }>;

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** Looks a table up by name, or returns undefined for a name that is not in the model. */
export function findTable(name: string): Table | undefined {
  return ownValue(TABLES as Record<string, Table>, name);
}

/**
 * Most levels of parent_account_id above an account (a chain of parents, 1 = just a parent). An
 * import that would make a longer chain is refused, so walks bounded by it (the cycle check, the
 * roll-ups' ancestor closure, without recursive SQL on ClickHouse 18.16) see every ancestor.
 * 16, not 32: ClickHouse 18.16 takes about 8 s to plan a 32-level walk and 1 s for 16 (the
 * hand-worked roll-up fixture), and real account hierarchies are far shallower.
 */
export const MAX_HIERARCHY_DEPTH = 16;
