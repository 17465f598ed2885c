import type { FastifyReply } from 'fastify';
import { nextAction } from '../activate/playbooks.js';
import { validateSegment } from '../analytics/validation/validation-card.js';
import type { AccountRow } from '../contract/common.js';
import { ROUTES } from '../contract/routes.js';
import { findUser } from '../engine/read-queries.js';
import { listRuns, readRun } from '../engine/run-snapshot.js';
import { segmentDetail, segmentMembers } from '../engine/snapshots.js';
import { didYouMean, StrataError } from '../errors.js';
import { knownMetrics } from '../language/metric-kinds.js';
import { isTextMetric } from '../language/value-types.js';
import { explainAccount } from '../ml/predict.js';
import { TABLES } from '../model/tables.js';
import { ownValue } from '../own-key.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { answerRow, badRequest } from './answers.js';
import type { Serve } from './contract-routes.js';
import { profileAt } from './profile-at.js';
import type { ProfileViews } from './profile-view.js';
import { type ClockAnswer, requestClock } from './request-clock.js';

/**
 * The read API (read or admin keys): segments with their sizes, a segment's members page
 * by page, and an account's profile (traits, segments, metrics, playbooks) for in-product
 * personalisation. Every read is of the latest stored run, a profile by the one clock
 * (`?asOf=` evaluates another time); `withStore` keeps reads from interleaving with the
 * log's applies on the one store connection.
 */

export interface ReadContext {
  readonly workspace: Workspace;
  readonly store: Store;
  readonly withStore: <T>(work: () => Promise<T>) => Promise<T>;
}

const notFound = (reply: FastifyReply, message: string) =>
  reply.code(404).send({ error: 'not_found', message });

/** 404 unless `id` is a segment of the workspace. */
const unknownSegment = (workspace: Workspace, id: string, reply: FastifyReply) => {
  const ids = workspace.segments.map((s) => s.id);
  return ids.includes(id) ? undefined : notFound(reply, `unknown segment '${id}'${didYouMean(id, ids)}`);
};

const latestRun = async (store: Store) => ((await listRuns(store)).length === 0 ? null : readRun(store));

export function registerReadRoutes(
  serve: Serve,
  context: ReadContext & { readonly profiles: ProfileViews },
): void {
  const runClockAnswer = runClock(context);
  registerSegmentRoutes(serve, context, runClockAnswer);
  registerProfileRoutes(serve, context, runClockAnswer);
}

/**
 * The stale-data warning of the latest run's time, kept per run: a profile is answered
 * from memory (profile-view.ts) and should not scan every table for it each time.
 */
function runClock({ store, workspace, withStore }: ReadContext) {
  let staleOfRun: { runId: number; answer: Promise<ClockAnswer> } | null = null;
  return (run: { runId: number; asOf: string }) => {
    if (staleOfRun?.runId !== run.runId)
      staleOfRun = {
        runId: run.runId,
        answer: withStore(async () => (await requestClock(store, workspace, new Date(run.asOf))).answer).then(
          (answer) => ({ ...answer, clock: { ...answer.clock, source: 'latest run' as const } }),
        ),
      };
    return staleOfRun.answer;
  };
}

function registerSegmentRoutes(
  serve: Serve,
  { workspace, store, withStore }: ReadContext,
  runClockAnswer: ReturnType<typeof runClock>,
): void {
  serve(ROUTES.vocabulary, {
    handler: async () => ({
      currency: workspace.config.settings.currency,
      metrics: knownMetrics(workspace.metrics),
      segments: workspace.segments.map((segment) => ({ id: segment.id, framework: segment.framework })),
      schemes: Object.entries(workspace.config.schemes ?? {}).map(([id, scheme]) => ({
        id,
        order: [...scheme.order],
      })),
    }),
  });
  serve(ROUTES.segments, {
    handler: async () =>
      withStore(async () => {
        const run = await latestRun(store);
        return {
          runId: run?.runId ?? null,
          asOf: run?.asOf ?? null,
          segments: workspace.segments.map((segment) => ({
            id: segment.id,
            framework: segment.framework,
            parent: segment.parent,
            accounts: ownValue(run?.sizes.segments, segment.id) ?? null,
            playbook: ownValue(workspace.config.playbooks, segment.id) ?? null,
          })),
        };
      }),
  });

  serve(ROUTES.segment, {
    before: ({ id }, reply) => unknownSegment(workspace, id, reply),
    handler: async ({ params }) => withStore(() => segmentDetail(store, workspace, params.id)),
  });

  // A segment's validation card in the latest run (distinct, measurable, accessible, substantial, actionable, stable).
  serve(ROUTES.validation, {
    before: ({ id }, reply) => unknownSegment(workspace, id, reply),
    handler: async ({ params, reply }) =>
      withStore(async () => {
        try {
          return await validateSegment(store, workspace, params.id);
        } catch (error) {
          if (error instanceof StrataError) return notFound(reply, error.message);
          throw error;
        }
      }),
  });

  serve(ROUTES.members, {
    before: ({ id }, reply) => unknownSegment(workspace, id, reply),
    handler: async ({ params: { id }, query, request, reply }) => {
      const answer = await withStore(async () => {
        const run = await latestRun(store);
        if (!run) return notFound(reply, 'no runs yet: members appear after `strata run`');
        const { limit, offset, sort, search, order } = query;
        if (sort !== undefined && !run.metrics.includes(sort))
          return badRequest(
            reply,
            request,
            'sort',
            `run ${run.runId} has no metric '${sort}'${didYouMean(sort, run.metrics)}`,
          );
        const members = await segmentMembers(store, {
          run,
          segment: id,
          limit,
          offset,
          ascending: order === 'asc',
          ...(sort ? { sort } : {}),
          ...(search ? { search } : {}),
        });
        // The metrics a page can be sorted by: the run's numeric ones.
        const sortable = run.metrics.filter((m) => !isTextMetric(m, workspace.metrics));
        return {
          runId: run.runId,
          asOf: run.asOf,
          segment: id,
          limit,
          offset,
          sort: sort ?? null,
          order,
          sortable,
          ...members,
        };
      });
      // The members' metrics are as of the run's time, said as every "as of" answer says it
      // (after the store's turn: the warning takes a turn of its own).
      if (!('runId' in answer)) return answer;
      return { ...answer, ...(await runClockAnswer(answer)) };
    },
  });
}

function registerProfileRoutes(
  serve: Serve,
  context: ReadContext & { readonly profiles: ProfileViews },
  runClockAnswer: ReturnType<typeof runClock>,
): void {
  const { workspace, store, withStore } = context;
  const accountProfile = profileAtClock(context, runClockAnswer);

  serve(ROUTES.account, {
    handler: async ({ params: { id }, query, reply }) => {
      const profile = await accountProfile(id, query.asOf);
      if (!profile) return notFound(reply, `no account '${id}'`);
      if (!query.explain) return profile;
      // ?explain=churn[,expansion]: why each model scores the account as it does, at the
      // profile's time (computed now: a query per model, not for every request).
      const asOf = new Date(profile.asOf);
      const explanations = [];
      for (const model of query.explain.split(',').filter(Boolean)) {
        try {
          explanations.push(
            await withStore(() => explainAccount(store, workspace, model, id, { asOf, top: 10 })),
          );
        } catch (error) {
          if (error instanceof StrataError)
            return reply.code(404).send({ error: error.code, message: `explain=${model}: ${error.message}` });
          throw error;
        }
      }
      return { ...profile, explanations };
    },
  });

  // A user: their row, and their account's profile (for personalising what they see).
  serve(ROUTES.user, {
    handler: async ({ params: { id }, query, reply }) => {
      const user = await withStore(() => findUser(store, id));
      if (!user) return notFound(reply, `no user '${id}'`);
      return {
        user: answerRow(TABLES.users, user),
        account: await accountProfile(String(user.account_id), query.asOf),
      };
    },
  });
}

/**
 * An account's profile with its playbooks' next actions as of the one clock's time, or
 * null: the latest run's (from memory), or `asOf` when given and another time (evaluated),
 * or before any run the workspace clock's (evaluated). Says which time and source.
 */
function profileAtClock(
  { workspace, store, withStore, profiles }: ReadContext & { readonly profiles: ProfileViews },
  runClockAnswer: ReturnType<typeof runClock>,
) {
  return async (id: string, asOf: Date | undefined) => {
    let found = await profiles.profile(id);
    if (!found) return null;
    const latest = found.run;
    let clock: ClockAnswer;
    if (latest && (asOf === undefined || asOf.getTime() === Date.parse(latest.asOf))) {
      clock = await runClockAnswer(latest);
      if (asOf) clock = { ...clock, clock: { ...clock.clock, source: 'given' } };
    } else {
      const { at, answer } = await withStore(() => requestClock(store, workspace, asOf));
      clock = answer;
      // Not the latest run's time (or no run yet): evaluated then.
      if (!latest || at.getTime() !== Date.parse(latest.asOf))
        found = await withStore(() => profileAt(store, workspace, id, at));
      if (!found) return null;
    }
    // Rows of the accounts table always carry account_id, and answerRow made traits an object.
    const account = found.account as Record<string, unknown> & AccountRow;
    if (!('segments' in found))
      return { ...found, account, segments: [], primary: {}, metrics: {}, playbooks: [], ...clock };
    const at = new Date(clock.asOf);
    // The next action of each playbook: a first touch where the account entered at that time.
    const playbooks = found.segments.flatMap((segment) => {
      const playbook = ownValue(workspace.config.playbooks, segment);
      if (!playbook) return [];
      const entered = !found.previousSegments.includes(segment);
      return [{ segment, ...playbook, next: nextAction(playbook, { entered, turn: 0, asOf: at }) }];
    });
    const { previousSegments: _previous, ...profile } = found;
    return { ...profile, account, playbooks, ...clock };
  };
}
