import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { nextAction } from '../activate/playbooks.js';
import { listAbTests, reportAbTest } from '../analytics/abtest/abtest.js';
import { analyzeCohorts } from '../analytics/cohorts/cohorts.js';
import { analyzeFunnel } from '../analytics/funnels/funnel.js';
import { analyzeRfm, rfmGridAccounts } from '../analytics/rfm/rfm.js';
import { compareSnapshots, schemeFlows } from '../engine/membership-diff.js';
import { planWorkspace } from '../engine/plan-workspace.js';
import { listRuns, readRun } from '../engine/run-snapshot.js';
import { segmentDetail, segmentMembers } from '../engine/snapshots.js';
import { didYouMean, StrataError } from '../errors.js';
import { explainAccount } from '../ml/predict.js';
import type { Store } from '../store/store.js';
import { parseWindowDays } from '../workspace/duration.js';
import { loadWorkspace, type Workspace } from '../workspace/load-workspace.js';
import { modelNames, modelVersions, readModel } from '../workspace/model-files.js';
import { badRequest, invalidInput, withParsedTraits } from './answers.js';
import type { ProfileViews } from './profile-view.js';

/**
 * The read API (read or admin keys): segments with their sizes, a segment's members page
 * by page, and an account's profile (traits, segments, metrics, playbooks) for in-product
 * personalisation. Every read is of the latest stored run; `withStore` keeps reads from
 * interleaving with the log's applies on the one store connection.
 */

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  sort: z.string().min(1).optional(),
  search: z.string().min(1).max(200).optional(),
});

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
  const { workspace, store, withStore, guard, profiles } = options;
  const notFound = (reply: FastifyReply, message: string) =>
    reply.code(404).send({ error: 'not_found', message });
  const latestRun = async () => ((await listRuns(store)).length === 0 ? null : readRun(store));

  // The dashboard's first page: sizes and changes since the previous run, and the KPIs.
  app.get('/v1/overview', { preHandler: guard }, async () =>
    withStore(async () => {
      const runs = await listRuns(store);
      const [run, previous] = [runs.at(-1) ?? null, runs.at(-2) ?? null];
      const [totals] = run
        ? await store.query<{ mrr: number | null }>(
            `SELECT sum(a.mrr) AS mrr FROM ${run.table} r LEFT JOIN accounts a ON a.account_id = r.account_id`,
          )
        : [];
      return {
        runId: run?.runId ?? null,
        asOf: run?.asOf ?? null,
        previousRunId: previous?.runId ?? null,
        accounts: run?.accounts ?? 0,
        mrr: Number(totals?.mrr ?? 0),
        segments: workspace.segments.map((segment) => {
          const now = run?.sizes.segments[segment.id] ?? null;
          const before = previous?.sizes.segments[segment.id];
          return {
            id: segment.id,
            framework: segment.framework,
            accounts: now,
            change: now === null || before === undefined ? null : now - before,
            playbook: Boolean(workspace.config.playbooks?.[segment.id]),
          };
        }),
      };
    }),
  );

  // RFM as of the latest run (now when there is none): the grid and cells, and a cell's accounts.
  const rfmAsOf = async () => (await listRuns(store)).at(-1)?.asOf;
  app.get('/v1/rfm', { preHandler: guard }, async () =>
    withStore(async () => {
      const asOf = await rfmAsOf();
      return analyzeRfm(store, workspace, asOf ? new Date(asOf) : new Date());
    }),
  );
  const Cell = Page.extend({
    r: z.coerce.number().int().min(1).max(5),
    fm: z.coerce.number().int().min(1).max(5),
  });
  app.get('/v1/rfm/accounts', { preHandler: guard }, async (request, reply) => {
    const query = Cell.safeParse(request.query);
    if (!query.success) return invalidInput(reply, request, query.error);
    const { r, fm, limit, offset } = query.data;
    return withStore(async () => {
      const asOf = await rfmAsOf();
      return rfmGridAccounts(store, workspace, asOf ? new Date(asOf) : new Date(), { r, fm, limit, offset });
    });
  });

  // Transitions between the latest run and the one before: per segment, and flows per scheme.
  app.get('/v1/transitions', { preHandler: guard }, async (_request, reply) =>
    withStore(async () => {
      const runs = await listRuns(store);
      const [before, after] = [runs.at(-2), runs.at(-1)];
      if (!before || !after) return notFound(reply, 'transitions need two runs: run strata run again later');
      const { segments } = await compareSnapshots(store, before, after);
      return {
        from: before.runId,
        to: after.runId,
        segments,
        flows: await schemeFlows(store, before, after),
      };
    }),
  );

  // A/B tests: the list, and one test's result for an outcome (an event, or a metric's mean).
  app.get('/v1/ab', { preHandler: guard }, async () =>
    withStore(async () => ({ tests: await listAbTests(store) })),
  );
  const Outcome = z.object({
    event: z.string().min(1).optional(),
    within: z
      .string()
      .regex(/^\d+d$/, 'a window in days such as 30d')
      .optional(),
    metric: z.string().min(1).optional(),
  });
  app.get<{ Params: { test: string } }>('/v1/ab/:test', { preHandler: guard }, async (request, reply) => {
    const query = Outcome.safeParse(request.query);
    if (!query.success) return invalidInput(reply, request, query.error);
    const { event, within, metric } = query.data;
    if (Boolean(event) === Boolean(metric))
      return badRequest(reply, request, 'event', 'give exactly one outcome: event or metric');
    const outcome = event
      ? { event, ...(within ? { withinDays: Number.parseInt(within, 10) } : {}) }
      : { metric: metric as string };
    return withStore(async () => {
      try {
        return await reportAbTest(store, workspace, request.params.test, outcome, new Date());
      } catch (error) {
        if (error instanceof StrataError)
          return reply.code(404).send({ error: error.code, message: error.message });
        throw error;
      }
    });
  });

  // Saved churn / expansion models: the list, and one model's card (its holdout report).
  app.get('/v1/models', { preHandler: guard }, async () => ({
    models: modelNames(workspace.dir).flatMap((name) => {
      const saved = readModel(workspace.dir, name);
      if (saved.kind !== 'predictor') return [];
      const report = saved.report as { target?: string; algorithm?: string; rocAuc?: number | null };
      return [
        {
          name,
          version: saved.version,
          versions: modelVersions(workspace.dir, name),
          target: report.target ?? null,
          algorithm: report.algorithm ?? null,
          rocAuc: report.rocAuc ?? null,
        },
      ];
    }),
  }));
  app.get<{ Params: { ref: string } }>('/v1/models/:ref', { preHandler: guard }, async (request, reply) => {
    try {
      const saved = readModel(workspace.dir, request.params.ref);
      if (saved.kind !== 'predictor')
        return notFound(reply, `'${request.params.ref}' is a clustering, not a model`);
      return {
        name: saved.name,
        version: saved.version,
        createdAt: saved.createdAt,
        training: saved.training,
        report: saved.report,
      };
    } catch (error) {
      if (error instanceof StrataError) return notFound(reply, error.message);
      throw error;
    }
  });

  // The plan of strata.yaml as it is on disk now (edited since the server started, perhaps)
  // against the latest run: which members each segment would gain and lose.
  app.get('/v1/plan', { preHandler: guard }, async (_request, reply) => {
    let edited: Workspace;
    try {
      edited = loadWorkspace(workspace.dir);
    } catch (error) {
      if (error instanceof StrataError)
        return reply
          .code(422)
          .send({ error: error.code, message: `strata.yaml does not load: ${error.describe()}` });
      throw error;
    }
    return withStore(async () => {
      try {
        return await planWorkspace(store, edited);
      } catch (error) {
        if (error instanceof StrataError)
          return reply.code(404).send({ error: error.code, message: error.message });
        throw error;
      }
    });
  });

  // Cohorts as of the latest run (now when there is none): retention by period, sBG projections.
  app.get<{ Querystring: { by?: string } }>('/v1/cohorts', { preHandler: guard }, async (request, reply) => {
    const by = request.query.by ?? 'month';
    if (by !== 'month' && by !== 'quarter')
      return badRequest(reply, request, 'by', `${by}: expected month or quarter`);
    return withStore(async () => {
      const asOf = (await listRuns(store)).at(-1)?.asOf;
      return analyzeCohorts(store, { asOf: asOf ? new Date(asOf) : new Date(), by });
    });
  });

  // Funnels of strata.yaml, by the primary segments of a scheme (or an account column), with leaks.
  app.get('/v1/funnels', { preHandler: guard }, async () => ({
    funnels: Object.entries(workspace.config.funnels ?? {}).map(([name, f]) => ({
      name,
      steps: f.steps,
      within: f.within,
    })),
    schemes: Object.keys(workspace.config.schemes),
  }));
  app.get<{ Params: { name: string }; Querystring: { by?: string } }>(
    '/v1/funnels/:name',
    { preHandler: guard },
    async (request, reply) => {
      const funnel = workspace.config.funnels?.[request.params.name];
      if (!funnel) return notFound(reply, `no funnel '${request.params.name}' in strata.yaml (funnels:)`);
      const withinDays = parseWindowDays(funnel.within);
      if (withinDays === undefined)
        return notFound(reply, `funnel '${request.params.name}': within ${funnel.within}`);
      const { by } = request.query;
      return withStore(async () => {
        const asOf = (await listRuns(store)).at(-1)?.asOf;
        try {
          return await analyzeFunnel(
            store,
            { steps: funnel.steps, withinDays },
            { asOf: asOf ? new Date(asOf) : new Date(), ...(by ? { by } : {}) },
          );
        } catch (error) {
          if (error instanceof StrataError)
            return reply.code(400).send({ error: error.code, message: error.message, field: 'by' });
          throw error;
        }
      });
    },
  );

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
          accounts: run?.sizes.segments[segment.id] ?? null,
          playbook: workspace.config.playbooks?.[segment.id] ?? null,
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

  app.get<{ Params: { id: string } }>(
    '/v1/segments/:id/members',
    { preHandler: guard },
    async (request, reply) => {
      const { id } = request.params;
      const ids = workspace.segments.map((s) => s.id);
      if (!ids.includes(id)) return notFound(reply, `unknown segment '${id}'${didYouMean(id, ids)}`);
      const page = Page.safeParse(request.query);
      if (!page.success) return invalidInput(reply, request, page.error);
      return withStore(async () => {
        const run = await latestRun();
        if (!run) return notFound(reply, 'no runs yet: members appear after `strata run`');
        const { limit, offset, sort, search } = page.data;
        const members = await segmentMembers(store, {
          run,
          segment: id,
          limit,
          offset,
          ...(sort ? { sort } : {}),
          ...(search ? { search } : {}),
        });
        return { runId: run.runId, segment: id, limit, offset, ...members };
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
      const playbook = workspace.config.playbooks?.[segment];
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
    return { user: withParsedTraits(user), account: await accountProfile(String(user.account_id)) };
  });
}
