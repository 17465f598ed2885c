import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { nextAction } from '../activate/playbooks.js';
import { validateSegment } from '../analytics/validation/validation-card.js';
import { listRuns, readRun } from '../engine/run-snapshot.js';
import { segmentDetail, segmentMembers } from '../engine/snapshots.js';
import { didYouMean, StrataError } from '../errors.js';
import { isTextMetric } from '../language/value-types.js';
import { explainAccount } from '../ml/predict.js';
import { TABLES } from '../model/tables.js';
import { ownValue } from '../own-key.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { answerRow, badRequest, invalidInput, PageQuery, refuseUnstorableText } from './answers.js';
import { profileAt } from './profile-at.js';
import type { ProfileViews } from './profile-view.js';
import { AsOfQuery, type ClockAnswer, requestClock } from './request-clock.js';

/**
 * The read API (read or admin keys): segments with their sizes, a segment's members page
 * by page, and an account's profile (traits, segments, metrics, playbooks) for in-product
 * personalisation. Every read is of the latest stored run, a profile by the one clock
 * (`?asOf=` evaluates another time); `withStore` keeps reads from interleaving with the
 * log's applies on the one store connection.
 */

export function registerReadRoutes(
  app: FastifyInstance,
  options: {
    readonly workspace: Workspace;
    readonly store: Store;
    readonly withStore: <T>(work: () => Promise<T>) => Promise<T>;
    readonly profiles: ProfileViews;
    readonly guard: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  },
): void {
  const { workspace, store, withStore, profiles } = options;
  // Every route checks its key, then its parameters' text.
  const guard = [options.guard, refuseUnstorableText];
  const notFound = (reply: FastifyReply, message: string) =>
    reply.code(404).send({ error: 'not_found', message });
  const latestRun = async () => ((await listRuns(store)).length === 0 ? null : readRun(store));

  // The stale-data warning of the latest run's time, kept per run: a profile is answered
  // from memory (profile-view.ts) and should not scan every table for it each time.
  let staleOfRun: { runId: number; answer: Promise<ClockAnswer> } | null = null;
  const runClockAnswer = (run: { runId: number; asOf: string }) => {
    if (staleOfRun?.runId !== run.runId)
      staleOfRun = {
        runId: run.runId,
        answer: withStore(async () => (await requestClock(store, workspace, new Date(run.asOf))).answer).then(
          (answer) => ({ ...answer, clock: { ...answer.clock, source: 'latest run' as const } }),
        ),
      };
    return staleOfRun.answer;
  };

  app.get('/v1/segments', { preHandler: guard }, async () =>
    withStore(async () => {
      const run = await latestRun();
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
  );

  app.get<{ Params: { id: string } }>('/v1/segments/:id', { preHandler: guard }, async (request, reply) => {
    const { id } = request.params;
    const ids = workspace.segments.map((s) => s.id);
    if (!ids.includes(id)) return notFound(reply, `unknown segment '${id}'${didYouMean(id, ids)}`);
    return withStore(() => segmentDetail(store, workspace, id));
  });

  // A segment's validation card in the latest run (distinct, measurable, accessible, substantial, actionable, stable).
  app.get<{ Params: { id: string } }>(
    '/v1/segments/:id/validation',
    { preHandler: guard },
    async (request, reply) => {
      const { id } = request.params;
      const ids = workspace.segments.map((s) => s.id);
      if (!ids.includes(id)) return notFound(reply, `unknown segment '${id}'${didYouMean(id, ids)}`);
      return withStore(async () => {
        try {
          return await validateSegment(store, workspace, id);
        } catch (error) {
          if (error instanceof StrataError) return notFound(reply, error.message);
          throw error;
        }
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/segments/:id/members',
    { preHandler: guard },
    async (request, reply) => {
      const { id } = request.params;
      const ids = workspace.segments.map((s) => s.id);
      if (!ids.includes(id)) return notFound(reply, `unknown segment '${id}'${didYouMean(id, ids)}`);
      const page = PageQuery.extend({ order: z.enum(['asc', 'desc']).default('desc') }).safeParse(
        request.query,
      );
      if (!page.success) return invalidInput(reply, request, page.error);
      const answer = await withStore(async () => {
        const run = await latestRun();
        if (!run) return notFound(reply, 'no runs yet: members appear after `strata run`');
        const { limit, offset, sort, search, order } = page.data;
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
  );

  /**
   * An account's profile with its playbooks' next actions as of the one clock's time, or
   * null: the latest run's (from memory), or `asOf` when given and another time (evaluated),
   * or before any run the workspace clock's (evaluated). Says which time and source.
   */
  const accountProfile = async (id: string, asOf: Date | undefined) => {
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
    if (!('segments' in found))
      return { ...found, segments: [], primary: {}, metrics: {}, playbooks: [], ...clock };
    const at = new Date(clock.asOf);
    // The next action of each playbook: a first touch where the account entered at that time.
    const playbooks = found.segments.flatMap((segment) => {
      const playbook = ownValue(workspace.config.playbooks, segment);
      if (!playbook) return [];
      const entered = !found.previousSegments.includes(segment);
      return [{ segment, ...playbook, next: nextAction(playbook, { entered, turn: 0, asOf: at }) }];
    });
    const { previousSegments: _previous, ...profile } = found;
    return { ...profile, playbooks, ...clock };
  };

  const ProfileQuery = AsOfQuery.extend({ explain: z.string().optional() });
  app.get<{ Params: { id: string } }>('/v1/accounts/:id', { preHandler: guard }, async (request, reply) => {
    const { id } = request.params;
    const query = ProfileQuery.safeParse(request.query);
    if (!query.success) return invalidInput(reply, request, query.error);
    const profile = await accountProfile(id, query.data.asOf);
    if (!profile) return notFound(reply, `no account '${id}'`);
    if (!query.data.explain) return profile;
    // ?explain=churn[,expansion]: why each model scores the account as it does, at the
    // profile's time (computed now: a query per model, not for every request).
    const asOf = new Date(profile.asOf);
    const explanations = [];
    for (const model of query.data.explain.split(',').filter(Boolean)) {
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
  });

  // A user: their row, and their account's profile (for personalising what they see).
  app.get<{ Params: { id: string } }>('/v1/users/:id', { preHandler: guard }, async (request, reply) => {
    const { id } = request.params;
    const query = AsOfQuery.safeParse(request.query);
    if (!query.success) return invalidInput(reply, request, query.error);
    const [user] = await withStore(() =>
      store.query<Record<string, unknown>>(store.dialect.sql`SELECT * FROM users WHERE user_id = ${id}`),
    );
    if (!user) return notFound(reply, `no user '${id}'`);
    return {
      user: answerRow(TABLES.users, user),
      account: await accountProfile(String(user.account_id), query.data.asOf),
    };
  });
}
