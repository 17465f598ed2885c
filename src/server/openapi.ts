/**
 * The OpenAPI 3.1 document served at /openapi.json, written by hand beside the routes it
 * describes (test/server/read-api.test.ts checks that every route is in it and every path
 * in it answers).
 */

const message = (required: string[], properties: Record<string, unknown>) => ({
  type: 'object',
  required,
  properties: {
    messageId: { type: 'string', description: 'Deduplication key: a message is stored once per id' },
    userId: { type: 'string' },
    anonymousId: { type: 'string', description: 'userId or anonymousId is required' },
    timestamp: { type: 'string', format: 'date-time' },
    sentAt: { type: 'string', format: 'date-time' },
    context: {
      type: 'object',
      properties: { groupId: { type: 'string', description: 'The account of the event' } },
    },
    ...properties,
  },
});

const ingest = (summary: string, schema: string) => ({
  post: {
    summary,
    security: [{ basic: [] }, { bearer: [] }],
    requestBody: {
      required: true,
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
    },
    responses: {
      '200': {
        description: 'Written to the log on disk',
        content: {
          'application/json': { schema: { type: 'object', properties: { success: { type: 'boolean' } } } },
        },
      },
      '400': { $ref: '#/components/responses/Invalid' },
      '401': { $ref: '#/components/responses/Unauthorized' },
      '403': { $ref: '#/components/responses/Forbidden' },
      '413': { description: 'Body larger than the limit (4 MiB by default)' },
    },
  },
});

const read = (summary: string, parameters: unknown[] = []) => ({
  get: {
    summary,
    security: [{ bearer: [] }, { basic: [] }],
    parameters,
    responses: {
      '200': { description: 'OK' },
      '400': { $ref: '#/components/responses/Invalid' },
      '401': { $ref: '#/components/responses/Unauthorized' },
      '403': { $ref: '#/components/responses/Forbidden' },
      '404': { description: 'No such segment or account, or no run yet' },
    },
  },
});

const id = (description: string) => ({
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description,
});
const query = (name: string, schema: object, description: string) => ({
  name,
  in: 'query',
  schema,
  description,
});

// Times and windows take the forms of the CLI's options of the same name (src/engine/time-arguments.ts).
const ISO = 'an ISO date or time (2024-05-01, 2024-05-01T13:45:00Z; UTC without an offset)';
const WINDOW = 'a window: 30d, 12w, 6m (30 days each) or 1y (365 days)';
/**
 * `?asOf=`, as `--as-of`. Without it the one clock's read time: the latest run's, else the
 * latest time in the data (settings.clock: data) or now (settings.clock: now).
 */
const asOf = (what: string) =>
  query(
    'asOf',
    { type: 'string' },
    `${what} as of this time, ${ISO}; default the latest run's time (else the workspace clock). The answer gives asOf, clock { at, source: given | latest run | latest data | now } and warnings (data_stale when the data ends more than settings.staleAfter before)`,
  );
const window = (name: string, what: string) => query(name, { type: 'string' }, `${what}: ${WINDOW}`);

export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Strata API',
      version,
      description:
        'Segment-spec ingestion (write keys) and reads of segments, members and account profiles (read keys). Keys: `strata keys create --scope write|read|admin`.',
    },
    paths: {
      '/v1/identify': ingest('A user and their traits', 'Identify'),
      '/v1/track': ingest('An event', 'Track'),
      '/v1/group': ingest('An account (group) and its traits; links the user to it', 'Group'),
      '/v1/page': ingest('A page view (stored as event `page`)', 'Page'),
      '/v1/batch': ingest('Up to 10,000 messages of any type', 'Batch'),
      '/v1/overview': read(
        "The dashboard's first page, as of the latest run: KPIs (MRR, trailing 365-day logo, net and gross revenue retention, mean health), each segment's size and change since the previous run, each scheme's primary segments, the run's warnings (and data_stale), and clock { at, source }",
      ),
      '/v1/rfm': read(
        'RFM: accounts and KPIs per named cell (Non-paying apart), and the R x FM grid of payers; 409 names a dimension without data',
        [asOf('Scored')],
      ),
      '/v1/rfm/accounts': read("A page of one grid cell's accounts, highest monetary first", [
        query('r', { type: 'integer', minimum: 1, maximum: 5 }, 'Recency score'),
        query('fm', { type: 'integer', minimum: 1, maximum: 5 }, 'Frequency-monetary score'),
        query('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'Page size'),
        query('offset', { type: 'integer', minimum: 0, default: 0 }, 'Accounts to skip'),
        asOf('Scored'),
      ]),
      '/v1/transitions': read(
        'Entered and exited per segment, and primary-segment flows per scheme, between the last two runs',
      ),
      '/v1/ab': read('Every A/B test: segment, split, accounts per variant'),
      '/v1/ab/{test}': read(
        "A test's result: each variant's value and the difference with its 95% interval and p-value",
        [
          { name: 'test', in: 'path', required: true, schema: { type: 'string' } },
          query('event', { type: 'string' }, 'Outcome: the share doing this event after assignment'),
          window('within', 'With event: only this long after the assignment'),
          query('metric', { type: 'string' }, "Outcome: a metric's mean"),
          asOf('Reported'),
        ],
      ),
      '/v1/models': read(
        "Saved models: name, versions, target, algorithm, holdout ROC AUC, verdict ('usable' or 'not_useful') and warnings",
      ),
      '/v1/models/{ref}': read(
        "A model's card: its holdout report (ROC curve and AUC interval, calibration, top-k, features), training record, verdict and warnings",
        [
          {
            name: 'ref',
            in: 'path',
            required: true,
            schema: { type: 'string' },
            description: 'name or name@version',
          },
        ],
      ),
      '/v1/clusters': read('Saved clusterings: name, versions, metrics, k, silhouette'),
      '/v1/clusters/{ref}': read(
        "A clustering: each cluster's accounts, means and profile, and a sample of accounts on the first two principal axes",
        [
          {
            name: 'ref',
            in: 'path',
            required: true,
            schema: { type: 'string' },
            description: 'name or name@version',
          },
          query(
            'points',
            { type: 'integer', minimum: 0, maximum: 20000 },
            'Accounts drawn (default 2000, the same ones each time)',
          ),
          asOf('Metrics'),
        ],
      ),
      '/v1/plan': read(
        'strata.yaml as it is on disk now against the latest run: members each segment would gain and lose',
        [
          query(
            'asOf',
            { type: 'string' },
            `Evaluate both at this time (${ISO}) and add a backtest: how the members then went on to behave`,
          ),
          window('horizon', 'With asOf: how far after it outcomes are read (default 90d)'),
        ],
      ),
      '/v1/cohorts': read('Cohort retention (logo, revenue, activity) by period with sBG projections', [
        query('by', { enum: ['month', 'quarter'], default: 'month' }, 'Cohort period'),
        asOf('Only periods complete'),
      ]),
      '/v1/funnels': read("strata.yaml's funnels and schemes"),
      '/v1/funnels/{name}': read('A funnel per group: accounts reaching each step, conversion, leaks', [
        { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
        query('by', { type: 'string' }, 'scheme:<name> or an account column'),
        window('within', "All steps within this long of the first (default the funnel's own)"),
        asOf('Counted'),
      ]),
      '/v1/segments': read('Every segment with its size in the latest run and its playbook'),
      '/v1/segments/{id}': read(
        'A segment as written in strata.yaml, its playbook, its size in every run, its overlaps',
        [id('Segment id')],
      ),
      '/v1/segments/{id}/members': read(
        "A page of a segment's members with their metrics in the latest run (asOf and clock say its time)",
        [
          id('Segment id'),
          query('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'Page size'),
          query('offset', { type: 'integer', minimum: 0, default: 0 }, 'Members to skip'),
          query('sort', { type: 'string' }, "A metric to sort by (one of the answer's `sortable`)"),
          query(
            'order',
            { type: 'string', enum: ['desc', 'asc'], default: 'desc' },
            'Highest first, or lowest',
          ),
          query('search', { type: 'string' }, 'Text in the account id or name'),
        ],
      ),
      '/v1/segments/{id}/validation': read(
        "A segment's validation card in the latest run: distinct, measurable, accessible, substantial, actionable, stable",
        [id('Segment id')],
      ),
      '/v1/accounts/{id}/explain': read(
        'Why the account is in or out of each segment at the latest run: condition trees with leaf values, deciding branches, score components, scheme order',
        [
          id('Account id'),
          query('segment', { type: 'string' }, 'Only this segment'),
          query(
            'run',
            { type: 'integer', minimum: 1 },
            "At this run's time, by the definition version it applied",
          ),
        ],
      ),
      '/v1/accounts/{id}/history': read(
        "The account's timeline: its segments and primary segments run by run, each entry and exit with the run, definition version, cause and the leaves that changed",
        [id('Account id')],
      ),
      '/v1/segments/{id}/changes': read(
        'Who entered and left the segment, newest run first, each with the run, definition version, cause and the leaves that changed',
        [
          id('Segment id'),
          query(
            'since',
            { type: 'string' },
            `Only runs as of this time or later: ${ISO}; or ${WINDOW}: the runs of that many days up to the latest run's time, after its start (the answer gives since, resolved, windowDays and clock)`,
          ),
          query('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'Page size'),
          query('offset', { type: 'integer', minimum: 0, default: 0 }, 'First row'),
        ],
      ),
      '/v1/accounts/{id}': read(
        "An account's profile: traits, segments, primary segment per scheme, metrics, playbooks' next actions; from the latest run, or evaluated at asOf",
        [
          id('Account id'),
          asOf('Evaluated'),
          query(
            'explain',
            { type: 'string' },
            'Saved models to explain the account by, comma-separated (e.g. churn)',
          ),
        ],
      ),
      '/v1/users/{id}': read("A user and their account's profile", [
        id('User id'),
        asOf("The account's profile"),
      ]),
      '/v1/admin/webhooks/deliveries': {
        get: {
          summary: 'Webhook deliveries, newest first (admin keys)',
          security: [{ bearer: [] }],
          parameters: [
            query('status', { enum: ['pending', 'delivered', 'dead'] }, 'Only this status'),
            query('webhook', { type: 'string' }, 'Only this webhook'),
            query('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'At most this many'),
          ],
          responses: { '200': { description: 'OK' }, '403': { $ref: '#/components/responses/Forbidden' } },
        },
      },
      '/v1/admin/webhooks/replay': {
        post: {
          summary: 'Send dead (or, with delivered, delivered) deliveries again (admin keys)',
          security: [{ bearer: [] }],
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    ids: { type: 'array', items: { type: 'string' } },
                    webhook: { type: 'string' },
                    since: { type: 'string', format: 'date-time' },
                    delivered: { type: 'boolean' },
                  },
                },
              },
            },
          },
          responses: {
            '200': { description: '{ replayed: n }' },
            '403': { $ref: '#/components/responses/Forbidden' },
          },
        },
      },
      '/v1/admin/ingest/quarantine': {
        get: {
          summary: 'Logged records that could not be applied, with why (admin keys)',
          security: [{ bearer: [] }],
          responses: {
            '200': { description: '{ records: [{ id, quarantinedAt, reason, record, unreadable }] }' },
            '403': { $ref: '#/components/responses/Forbidden' },
          },
        },
      },
      '/v1/admin/ingest/quarantine/replay': {
        post: {
          summary:
            'Write quarantined records to the log again and apply them; repair removes NULs and broken characters first (admin keys)',
          security: [{ bearer: [] }],
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    ids: { type: 'array', items: { type: 'string' } },
                    repair: { type: 'boolean' },
                  },
                },
              },
            },
          },
          responses: {
            '200': { description: '{ replayed: [id], stillQuarantined: [record] }' },
            '403': { $ref: '#/components/responses/Forbidden' },
          },
        },
      },
      '/v1/admin/schedules/{name}/run': {
        post: {
          summary: 'Run a schedule now: a full run, its transitions to the webhooks (admin keys)',
          security: [{ bearer: [] }],
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: '{ schedule, runId, asOf, events }' },
            '404': { description: 'No such schedule' },
          },
        },
      },
      '/health': {
        get: {
          summary:
            'The log written and applied so far, the last trigger evaluation and sweep (lastSweep), schedules',
          responses: { '200': { description: 'OK' } },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OK' } } } },
    },
    components: {
      securitySchemes: {
        basic: {
          type: 'http',
          scheme: 'basic',
          description: 'The key as user name, no password (Segment libraries)',
        },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        Identify: message([], { type: { const: 'identify' }, traits: { type: 'object' } }),
        Track: message(['event'], {
          type: { const: 'track' },
          event: { type: 'string' },
          properties: { type: 'object' },
        }),
        Group: message(['groupId'], {
          type: { const: 'group' },
          groupId: { type: 'string' },
          traits: { type: 'object' },
        }),
        Page: message([], {
          type: { const: 'page' },
          name: { type: 'string' },
          category: { type: 'string' },
          properties: { type: 'object' },
        }),
        Batch: {
          type: 'object',
          required: ['batch'],
          properties: {
            batch: {
              type: 'array',
              minItems: 1,
              maxItems: 10000,
              items: {
                oneOf: ['Identify', 'Track', 'Group', 'Page'].map((name) => ({
                  $ref: `#/components/schemas/${name}`,
                })),
              },
            },
            sentAt: { type: 'string', format: 'date-time' },
          },
        },
        Error: {
          type: 'object',
          properties: { error: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
        },
      },
      responses: {
        Invalid: {
          description: 'A message or query is invalid: `field` names it, nothing was stored',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
        Unauthorized: { description: 'No key, or an unknown or revoked one' },
        Forbidden: { description: "The key's scope does not allow this" },
      },
    },
  };
}
