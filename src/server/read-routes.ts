import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { nextAction } from '../activate/playbooks.js';
import { validateSegment } from '../analytics/validation/validation-card.js';
import { MetricCompiler } from '../compile/metric-sql.js';
import { listRuns, readRun } from '../engine/run-snapshot.js';
import { segmentDetail, segmentMembers } from '../engine/snapshots.js';
import { didYouMean, StrataError } from '../errors.js';
import { explainAccount } from '../ml/predict.js';
import { TABLES } from '../model/tables.js';
import { ownValue } from '../own-key.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { answerRow, badRequest, invalidInput, PageQuery, refuseUnstorableText } from './answers.js';
import type { ProfileViews } from './profile-view.js';

/**
 * The read API (read or admin keys): segments with their sizes, a segment's members page
 * by page, and an account's profile (traits, segments, metrics, playbooks) for in-product
 * personalisation. Every read is of the latest stored run; `withStore` keeps reads from
 * interleaving with the log's applies on the one store connection.
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
      return withStore(async () => {
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
        const sortable = run.metrics.filter((m) => !MetricCompiler.isText(m, workspace.metrics));
        return {
          runId: run.runId,
          segment: id,
          limit,
          offset,
          sort: sort ?? null,
          order,
          sortable,
          ...members,
        };
      });
    },
  );

  /** An account's profile with its playbooks' next actions, or null. */
  const accountProfile = async (id: string) => {
    const found = await profiles.profile(id);
    if (!found) return null;
    if (!('segments' in found)) return { ...found, segments: [], primary: {}, metrics: {}, playbooks: [] };
    // The next action of each playbook: a first touch where the account entered in this run.
    const playbooks = found.segments.flatMap((segment) => {
      const playbook = ownValue(workspace.config.playbooks, segment);
      if (!playbook) return [];
      const entered = !found.previousSegments.includes(segment);
      return [
        {
          segment,
          ...playbook,
          next: nextAction(playbook, { entered, turn: 0, asOf: new Date(found.run.asOf) }),
        },
      ];
    });
    const { previousSegments: _previous, ...profile } = found;
    return { ...profile, playbooks };
  };

  app.get<{ Params: { id: string }; Querystring: { explain?: string } }>(
    '/v1/accounts/:id',
    { preHandler: guard },
    async (request, reply) => {
      const { id } = request.params;
      const profile = await accountProfile(id);
      if (!profile) return notFound(reply, `no account '${id}'`);
      if (!request.query.explain) return profile;
      // ?explain=churn[,expansion]: why each model scores the account as it does, at the
      // run's as-of time (computed now: a query per model, not for every request).
      const asOf = profile.run ? new Date(profile.run.asOf) : new Date();
      const explanations = [];
      for (const model of request.query.explain.split(',').filter(Boolean)) {
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
  );

  // A user: their row, and their account's profile (for personalising what they see).
  app.get<{ Params: { id: string } }>('/v1/users/:id', { preHandler: guard }, async (request, reply) => {
    const { id } = request.params;
    const [user] = await withStore(() =>
      store.query<Record<string, unknown>>(
        `SELECT * FROM users WHERE user_id = ${store.dialect.literal(id)}`,
      ),
    );
    if (!user) return notFound(reply, `no user '${id}'`);
    return { user: answerRow(TABLES.users, user), account: await accountProfile(String(user.account_id)) };
  });
}
