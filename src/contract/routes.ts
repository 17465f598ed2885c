import { z } from 'zod';
import * as Admin from './admin-answers.js';
import * as Analysis from './analysis-answers.js';
import * as Destination from './destination-answers.js';
import * as Identity from './identity-answers.js';
import * as Q from './query-params.js';
import * as Read from './read-answers.js';
import { BatchDocument, Group, Identify, Page, Track } from './segment-messages.js';
import * as Suggest from './suggestion-answers.js';
import * as Timeline from './timeline-answers.js';
import * as Vocabulary from './workspace-answers.js';

/**
 * Every route of the API, declared once: method, path (Fastify's `:name` form), the key's
 * scope, what it takes (params, query, body) and what it answers (200 and the error statuses).
 * src/server registers its routes from this table, src/contract/openapi.ts writes the
 * document from it, and the dashboard takes the answers' types from the same schemas.
 */

export type Scope = 'write' | 'read' | 'admin' | 'public';

export interface RouteContract {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly summary: string;
  readonly scope: Scope;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly response: z.ZodType;
  /** Statuses answered besides 200, each with the error body. */
  readonly errors: readonly number[];
  /** The answer's name in the document, when several routes share it (else the route's name). */
  readonly answer?: string;
}

const route = <const R extends RouteContract>(contract: R): R => contract;

// The statuses every keyed route may answer (a bad query, no key, the wrong scope, too many requests).
const KEYED = [400, 401, 403, 429] as const;
const READ = [...KEYED, 404] as const;
const ingest = (type: string, summary: string, body: z.ZodType) =>
  route({
    method: 'POST',
    path: `/v1/${type}`,
    summary,
    scope: 'write',
    body,
    response: Admin.Accepted,
    answer: 'Accepted',
    errors: [...KEYED, 413, 415],
  });
const read = <const R extends Omit<RouteContract, 'method' | 'scope' | 'errors'>>(
  contract: R,
  errors: readonly number[] = READ,
) => route({ method: 'GET', scope: 'read', errors, ...contract });

/** The document itself, as served at /openapi.json. */
export const OpenApiDocument = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  components: z.record(z.string(), z.unknown()),
});

export const ROUTES = {
  identify: ingest('identify', 'A user and their traits', Identify),
  track: ingest('track', 'An event', Track),
  group: ingest('group', 'An account (group) and its traits; links the user to it', Group),
  page: ingest('page', 'A page view (stored as event `page`)', Page),
  batch: ingest('batch', 'Up to 10,000 messages of any type', BatchDocument),

  vocabulary: read({
    path: '/v1/workspace',
    summary:
      "The workspace's vocabulary for display and suggestions: the currency, every metric with its kind of number (money, share, count, score, days, number, text), the segments and the schemes",
    response: Vocabulary.WorkspaceVocabulary,
  }),
  suggestions: read({
    path: '/v1/suggestions',
    summary:
      'Values for a free-text box beginning with a prefix: event names with their counts, account ids with their names (by id or name), metrics with their kinds, segments with their sizes',
    query: Q.SuggestionsQuery,
    response: Suggest.Suggestions,
  }),
  segments: read({
    path: '/v1/segments',
    summary: 'Every segment with its size in the latest run and its playbook',
    response: Read.SegmentList,
  }),
  segment: read({
    path: '/v1/segments/:id',
    summary: 'A segment as written in strata.yaml, its playbook, its size in every run, its overlaps',
    params: Q.SegmentParams,
    response: Read.SegmentDetail,
  }),
  validation: read({
    path: '/v1/segments/:id/validation',
    summary:
      "A segment's validation card in the latest run: distinct, measurable, accessible, substantial, actionable, stable",
    params: Q.SegmentParams,
    response: Read.ValidationCard,
  }),
  members: read({
    path: '/v1/segments/:id/members',
    summary:
      "A page of a segment's members with their metrics in the latest run (asOf and clock say its time)",
    params: Q.SegmentParams,
    query: Q.MembersQuery,
    response: Read.MembersPage,
  }),
  account: read({
    path: '/v1/accounts/:id',
    summary:
      "An account's profile: traits, segments, primary segment per scheme, metrics, playbooks' next actions (one primary, the others secondary); from the latest run, or evaluated at asOf",
    params: Q.AccountParams,
    query: Q.ProfileQuery,
    response: Read.AccountProfile,
  }),
  user: read({
    path: '/v1/users/:id',
    summary: "A user and their account's profile",
    params: Q.UserParams,
    query: Q.UserQuery,
    response: Read.UserProfile,
  }),

  explain: read({
    path: '/v1/accounts/:id/explain',
    summary:
      'Why the account is in or out of each segment at the latest run: condition trees with leaf values, deciding branches, score components, scheme order',
    params: Q.AccountParams,
    query: Q.ExplainQuery,
    response: Timeline.AccountExplanation,
  }),
  history: read({
    path: '/v1/accounts/:id/history',
    summary:
      "The account's timeline: its segments and primary segments run by run, each entry and exit with the run, definition version, cause and the leaves that changed",
    params: Q.AccountParams,
    response: Timeline.AccountHistory,
  }),
  tree: read({
    path: '/v1/accounts/:id/tree',
    summary:
      "The account's place in its hierarchy (parent_account_id): its ancestors from the top down and its first 50 direct children by name, with their count",
    params: Q.AccountParams,
    response: Read.AccountTree,
  }),
  identity: read({
    path: '/v1/identity',
    summary:
      "The identity report of the workspace's identity: rules over the store's current users and accounts: users matched per rule, users the domain rule leaves out by reason, accounts with several domains, users in several accounts",
    response: Identity.IdentityReport,
  }),
  changes: read({
    path: '/v1/segments/:id/changes',
    summary:
      'Who entered and left the segment, newest run first, each with the run, definition version, cause and the leaves that changed',
    params: Q.SegmentParams,
    query: Q.ChangesQuery,
    response: Timeline.SegmentChanges,
  }),

  overview: read({
    path: '/v1/overview',
    summary:
      "The dashboard's first page, as of the latest run: KPIs (MRR, trailing 365-day logo, net and gross revenue retention, mean health of paying accounts), each segment's size and change since the previous run, each scheme's primary segments, the run's warnings (and data_stale), and clock { at, source }",
    response: Analysis.Overview,
  }),
  rfm: read(
    {
      path: '/v1/rfm',
      summary:
        'RFM: accounts and KPIs per named cell (Non-paying apart), and the R x FM grid of payers; 409 names a dimension without data',
      query: Q.RfmQuery,
      response: Analysis.RfmReport,
    },
    [...READ, 409],
  ),
  rfmAccounts: read(
    {
      path: '/v1/rfm/accounts',
      summary: "A page of one grid cell's accounts, highest monetary first",
      query: Q.RfmCellQuery,
      response: Analysis.RfmAccounts,
    },
    [...READ, 409],
  ),
  transitions: read({
    path: '/v1/transitions',
    summary:
      'Entered and exited per segment, and primary-segment flows per scheme, between the last two runs',
    response: Analysis.Transitions,
  }),
  abTests: read({
    path: '/v1/ab',
    summary: 'Every A/B test: segment, split, accounts per variant',
    response: Analysis.AbTestList,
  }),
  abTest: read({
    path: '/v1/ab/:test',
    summary: "A test's result: each variant's value and the difference with its 95% interval and p-value",
    params: Q.TestParams,
    query: Q.AbOutcomeQuery,
    response: Analysis.AbReport,
  }),
  models: read({
    path: '/v1/models',
    summary:
      "Saved models: name, versions, target, algorithm, holdout ROC AUC, verdict ('usable' or 'not_useful') and warnings",
    response: Analysis.ModelList,
  }),
  model: read({
    path: '/v1/models/:ref',
    summary:
      "A model's card: its holdout report (ROC curve and AUC interval, calibration, top-k, features), training record, verdict and warnings",
    params: Q.RefParams,
    response: Analysis.ModelCard,
  }),
  clusterings: read({
    path: '/v1/clusters',
    summary: 'Saved clusterings: name, versions, metrics, k, silhouette',
    response: Analysis.ClusteringList,
  }),
  clusterMap: read({
    path: '/v1/clusters/:ref',
    summary:
      "A clustering: each cluster's accounts, means and profile, and a sample of accounts on the first two principal axes",
    params: Q.RefParams,
    query: Q.ClusterQuery,
    response: Analysis.ClusterMap,
  }),
  plan: read(
    {
      path: '/v1/plan',
      summary:
        'strata.yaml as it is on disk now against the latest run: members each segment would gain and lose',
      query: Q.PlanQuery,
      response: Analysis.Plan,
    },
    [...READ, 422],
  ),
  cohorts: read({
    path: '/v1/cohorts',
    summary: 'Cohort retention (logo, revenue, activity) by period with sBG projections',
    query: Q.CohortQuery,
    response: Analysis.CohortsReport,
  }),
  funnels: read({
    path: '/v1/funnels',
    summary: "strata.yaml's funnels and schemes",
    response: Analysis.FunnelList,
  }),
  funnel: read({
    path: '/v1/funnels/:name',
    summary: 'A funnel per group: accounts reaching each step, conversion, leaks',
    params: Q.NameParams,
    query: Q.FunnelQuery,
    response: Analysis.FunnelReport,
  }),

  deliveries: route({
    method: 'GET',
    path: '/v1/admin/webhooks/deliveries',
    summary: 'Webhook deliveries, newest first (admin keys)',
    scope: 'admin',
    query: Q.DeliveriesQuery,
    response: Admin.Deliveries,
    errors: KEYED,
  }),
  webhookReplay: route({
    method: 'POST',
    path: '/v1/admin/webhooks/replay',
    summary: 'Send dead (or, with delivered, delivered) deliveries again (admin keys)',
    scope: 'admin',
    body: Q.WebhookReplayBody,
    response: Admin.WebhookReplay,
    errors: KEYED,
  }),
  quarantine: route({
    method: 'GET',
    path: '/v1/admin/ingest/quarantine',
    summary: 'Logged records that could not be applied, with why (admin keys)',
    scope: 'admin',
    response: Admin.QuarantineList,
    errors: KEYED,
  }),
  quarantineReplay: route({
    method: 'POST',
    path: '/v1/admin/ingest/quarantine/replay',
    summary:
      'Write quarantined records to the log again and apply them; repair removes NULs and broken characters first (admin keys)',
    scope: 'admin',
    body: Q.QuarantineReplayBody,
    response: Admin.QuarantineReplay,
    errors: KEYED,
  }),
  scheduleRun: route({
    method: 'POST',
    path: '/v1/admin/schedules/:name/run',
    summary: 'Run a schedule now: a full run, its transitions to the webhooks (admin keys)',
    scope: 'admin',
    params: Q.NameParams,
    response: Admin.ScheduleRun,
    errors: [...KEYED, 404],
  }),
  destinations: route({
    method: 'GET',
    path: '/v1/destinations',
    summary:
      "CRM destinations: each one's latest sync, its refused records and what its next sync would write",
    scope: 'read',
    response: Destination.Destinations,
    errors: KEYED,
  }),
  destinationPlan: route({
    method: 'GET',
    path: '/v1/admin/destinations/:name/plan',
    summary: 'The writes the next sync would make, with counts; writes nothing, calls no CRM (admin keys)',
    scope: 'admin',
    params: Q.NameParams,
    query: Q.SyncPlanQuery,
    response: Destination.SyncPlanAnswer,
    errors: [...KEYED, 404],
  }),
  destinationRun: route({
    method: 'POST',
    path: '/v1/admin/destinations/:name/run',
    summary: 'Sync now: the records whose values changed since the last sync (admin keys)',
    scope: 'admin',
    params: Q.NameParams,
    response: Destination.SyncRunAnswer,
    errors: [...KEYED, 404, 409, 502],
  }),
  destinationReplay: route({
    method: 'POST',
    path: '/v1/admin/destinations/:name/replay',
    summary: 'Dead-lettered records made due again: the next sync writes them (admin keys)',
    scope: 'admin',
    params: Q.NameParams,
    body: Destination.SyncReplayBody,
    response: Destination.SyncReplayAnswer,
    errors: [...KEYED, 404],
  }),

  health: route({
    method: 'GET',
    path: '/health',
    summary:
      'The log written and applied so far, the last trigger evaluation and sweep (lastSweep), schedules',
    scope: 'public',
    response: Admin.Health,
    errors: [],
  }),
  openapi: route({
    method: 'GET',
    path: '/openapi.json',
    summary: 'This document',
    scope: 'public',
    response: OpenApiDocument,
    errors: [429],
  }),
} as const satisfies Record<string, RouteContract>;

/**
 * Routes the server registers outside the contract, and why: the dashboard's files (HTML,
 * scripts, styles, icon) and the CLI's relay (src/server/cli-relay.ts: the CLI's, not a public API).
 */
export const UNDOCUMENTED_ROUTES = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/app/style.css' },
  { method: 'GET', path: '/app/favicon.svg' },
  { method: 'GET', path: '/favicon.ico' },
  { method: 'GET', path: '/app/:file' },
  { method: 'GET', path: '/src/format/:file' },
  { method: 'GET', path: '/vendor/:file' },
  { method: 'POST', path: '/v1/cli' },
] as const;

export type RouteName = keyof typeof ROUTES;
