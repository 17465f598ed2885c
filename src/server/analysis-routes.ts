import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { listAbTests, reportAbTest } from '../analytics/abtest/abtest.js';
import { backtestWorkspace } from '../analytics/backtest/backtest.js';
import { analyzeCohorts } from '../analytics/cohorts/cohorts.js';
import { analyzeFunnel } from '../analytics/funnels/funnel.js';
import { trailingRetention } from '../analytics/retention/trailing-retention.js';
import { analyzeRfm, rfmGridAccounts } from '../analytics/rfm/rfm.js';
import { metricColumn } from '../compile/compile-workspace.js';
import { compareSnapshots, schemeFlows } from '../engine/membership-diff.js';
import { planWorkspace } from '../engine/plan-workspace.js';
import { listRuns } from '../engine/run-snapshot.js';
import { runWarnings } from '../engine/warnings.js';
import { StrataError } from '../errors.js';
import { type ClusterMap, mapClusters, readClustering } from '../ml/cluster-map.js';
import { type HoldoutReport, verdictOf } from '../ml/holdout-report.js';
import { hasOwnKey, ownValue } from '../own-key.js';
import type { Store } from '../store/store.js';
import { parseWindowDays } from '../workspace/duration.js';
import { loadWorkspace, type Workspace } from '../workspace/load-workspace.js';
import { modelNames, modelVersions, readModel } from '../workspace/model-files.js';
import { badRequest, invalidInput, PageQuery, refuseUnstorableText, WindowParam } from './answers.js';
import { AsOfQuery, requestClock } from './request-clock.js';

/**
 * What the dashboard's pages show beyond segments and profiles (read or admin keys): the
 * overview, RFM, cohorts, funnels, transitions, A/B tests, models, clusterings and the plan
 * of an edited strata.yaml. Each is aggregated in the database as of the latest run;
 * `withStore` keeps these reads from interleaving with the log's applies.
 */
export function registerAnalysisRoutes(
  app: FastifyInstance,
  options: {
    readonly workspace: Workspace;
    readonly store: Store;
    readonly withStore: <T>(work: () => Promise<T>) => Promise<T>;
    readonly guard: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  },
): void {
  const { workspace, store, withStore } = options;
  // Every route checks its key, then its parameters' text.
  const guard = [options.guard, refuseUnstorableText];
  const notFound = (reply: FastifyReply, message: string) =>
    reply.code(404).send({ error: 'not_found', message });

  // The dashboard's first page: sizes and changes since the previous run, the schemes'
  // primary segments, the KPIs (MRR, trailing retention, mean health) and the run's warnings.
  // Its sizes are the latest run's, so it is as of that run's time (the one clock's read
  // time, without ?asOf=); the data-stopped warning joins the run's warnings.
  app.get('/v1/overview', { preHandler: guard }, async () =>
    withStore(async () => {
      const { at, answer } = await requestClock(store, workspace, undefined);
      const runs = await listRuns(store);
      const [run, previous] = [runs.at(-1) ?? null, runs.at(-2) ?? null];
      const d = store.dialect;
      const health = run?.metrics.includes('health') ? d.sql.id(metricColumn('health')) : null;
      const [totals] = run
        ? await store.query<{ mrr: number | null; health: number | null }>(
            d.sql`SELECT sum(mrr) AS mrr, ${health ? d.sql`avg(${d.fn.toDouble(health)})` : d.sql`NULL`} AS health
             FROM ${d.fn.joinOnAccount([run.table, d.sql`(SELECT account_id, mrr FROM accounts) account_mrr`])}`,
          )
        : [];
      const number = (value: number | null | undefined) =>
        value === null || value === undefined ? null : Number(value);
      return {
        runId: run?.runId ?? null,
        asOf: run?.asOf ?? null,
        previousRunId: previous?.runId ?? null,
        accounts: run?.accounts ?? 0,
        mrr: Number(totals?.mrr ?? 0),
        meanHealth: number(totals?.health),
        retention: run ? await trailingRetention(store, at) : null,
        segments: workspace.segments.map((segment) => {
          const now = ownValue(run?.sizes.segments, segment.id) ?? null;
          const before = ownValue(previous?.sizes.segments, segment.id);
          return {
            id: segment.id,
            framework: segment.framework,
            accounts: now,
            change: now === null || before === undefined ? null : now - before,
            playbook: hasOwnKey(workspace.config.playbooks, segment.id),
          };
        }),
        schemes: Object.entries(run?.schemeOrder ?? {}).map(([scheme, { order, fallback }]) => ({
          scheme,
          primary: [...order, fallback].map((segment) => {
            const now = ownValue(run?.sizes.schemes[scheme], segment) ?? 0;
            const before = ownValue(previous?.sizes.schemes[scheme], segment);
            return { segment, accounts: now, change: before === undefined ? null : now - before };
          }),
        })),
        clock: answer.clock,
        warnings: [...answer.warnings, ...(run ? await runWarnings(store, workspace, run) : [])],
      };
    }),
  );

  // Every analysis here is as of the one clock's read time (src/engine/clock.ts): ?asOf=
  // as the CLI's --as-of, else the latest run's, else the workspace clock, as the CLI's
  // analyses; each answer says which (asOf, clock) and carries the stale-data warning.
  const clockAt = (asOf: Date | undefined) => requestClock(store, workspace, asOf);
  // A dimension without data is a state of the workspace, not a fault: 409 names what to add.
  const rfmRefused = (reply: FastifyReply, error: unknown) => {
    if (!(error instanceof StrataError) || error.code !== 'rfm_no_data') throw error;
    return reply.code(409).send({ error: error.code, message: error.message, missing: error.details });
  };
  // RFM: the grid and cells, and a cell's accounts.
  app.get('/v1/rfm', { preHandler: guard }, async (request, reply) => {
    const query = AsOfQuery.safeParse(request.query);
    if (!query.success) return invalidInput(reply, request, query.error);
    return withStore(async () => {
      const { at, answer } = await clockAt(query.data.asOf);
      return analyzeRfm(store, workspace, at).then(
        (report) => ({ ...report, ...answer }),
        (error) => rfmRefused(reply, error),
      );
    });
  });
  const Cell = PageQuery.merge(AsOfQuery).extend({
    r: z.coerce.number().int().min(1).max(5),
    fm: z.coerce.number().int().min(1).max(5),
  });
  app.get('/v1/rfm/accounts', { preHandler: guard }, async (request, reply) => {
    const query = Cell.safeParse(request.query);
    if (!query.success) return invalidInput(reply, request, query.error);
    const { r, fm, limit, offset, asOf } = query.data;
    return withStore(async () => {
      const { at, answer } = await clockAt(asOf);
      return rfmGridAccounts(store, workspace, at, { r, fm, limit, offset }).then(
        (page) => ({ ...page, ...answer }),
        (error) => rfmRefused(reply, error),
      );
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
  const Outcome = AsOfQuery.extend({
    event: z.string().min(1).optional(),
    within: WindowParam.optional(),
    metric: z.string().min(1).optional(),
  });
  app.get<{ Params: { test: string } }>('/v1/ab/:test', { preHandler: guard }, async (request, reply) => {
    const query = Outcome.safeParse(request.query);
    if (!query.success) return invalidInput(reply, request, query.error);
    const { event, within, metric, asOf } = query.data;
    if (Boolean(event) === Boolean(metric))
      return badRequest(reply, request, 'event', 'give exactly one outcome: event or metric');
    const outcome = event
      ? { event, ...(within !== undefined ? { withinDays: within } : {}) }
      : { metric: metric as string };
    return withStore(async () => {
      try {
        const { at, answer } = await clockAt(asOf);
        return { ...(await reportAbTest(store, workspace, request.params.test, outcome, at)), ...answer };
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
      const report = saved.report as unknown as HoldoutReport;
      return [
        {
          name,
          version: saved.version,
          versions: modelVersions(workspace.dir, name),
          target: report.target ?? null,
          algorithm: report.algorithm ?? null,
          rocAuc: report.rocAuc ?? null,
          ...verdictOf(report),
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
        ...verdictOf(saved.report as unknown as HoldoutReport),
      };
    } catch (error) {
      if (error instanceof StrataError) return notFound(reply, error.message);
      throw error;
    }
  });

  // Saved clusterings: the list, and one on a map as of the latest run (cached per run and
  // version: scoring every account is a full evaluation).
  app.get('/v1/clusters', { preHandler: guard }, async () => ({
    clusterings: modelNames(workspace.dir).flatMap((name) => {
      const saved = readModel(workspace.dir, name);
      if (saved.kind !== 'clusters') return [];
      const report = saved.report as { k?: number; silhouette?: number; metrics?: string[] };
      return [
        {
          name,
          version: saved.version,
          versions: modelVersions(workspace.dir, name),
          metrics: saved.scorer.features,
          k: saved.scorer.centres.length,
          silhouette: report.silhouette ?? null,
        },
      ];
    }),
  }));
  const maps = new Map<string, Promise<ClusterMap>>();
  const ClusterQuery = AsOfQuery.extend({
    points: z.coerce.number().int().min(0).max(20_000).default(2000),
  });
  app.get<{ Params: { ref: string } }>('/v1/clusters/:ref', { preHandler: guard }, async (request, reply) => {
    const query = ClusterQuery.safeParse(request.query);
    if (!query.success) return invalidInput(reply, request, query.error);
    try {
      const saved = readClustering(workspace, request.params.ref);
      return await withStore(async () => {
        const { at, answer } = await clockAt(query.data.asOf);
        // By the run too: a new run at the same time (after an import) changes the map.
        const run = (await listRuns(store)).at(-1);
        const key = `${saved.name}@${saved.version}:${at.toISOString()}:run ${run?.runId}:${query.data.points}`;
        let map = maps.get(key);
        if (!map) {
          map = mapClusters(store, workspace, request.params.ref, { asOf: at, points: query.data.points });
          maps.set(key, map);
          // A few maps are kept (several clusterings, or the run before); the oldest goes first.
          if (maps.size > 8) maps.delete(maps.keys().next().value as string);
          map.catch(() => maps.delete(key));
        }
        return { ...(await map), training: saved.training, ...answer };
      });
    } catch (error) {
      if (error instanceof StrataError) return notFound(reply, error.message);
      throw error;
    }
  });

  // The plan of strata.yaml as it is on disk now (edited since the server started, perhaps)
  // against the latest run: which members each segment would gain and lose. As `strata plan`:
  // ?asOf= evaluates both then and adds a backtest over ?horizon= (default 90d).
  const PlanQuery = AsOfQuery.extend({ horizon: WindowParam.prefault('90d') });
  app.get('/v1/plan', { preHandler: guard }, async (request, reply) => {
    const query = PlanQuery.safeParse(request.query);
    if (!query.success) return invalidInput(reply, request, query.error);
    const { asOf, horizon } = query.data;
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
        const plan = await planWorkspace(store, edited, asOf);
        // The plan's time is the one clock's read time (the latest run's) or ?asOf=, said so.
        const { answer } = await clockAt(asOf);
        return asOf
          ? {
              ...plan,
              ...answer,
              backtest: await backtestWorkspace(store, edited, { asOf, horizonDays: horizon }),
            }
          : { ...plan, ...answer };
      } catch (error) {
        if (error instanceof StrataError)
          return reply.code(404).send({ error: error.code, message: error.message });
        throw error;
      }
    });
  });

  // Cohorts: retention by period, sBG projections.
  const CohortQuery = AsOfQuery.extend({
    by: z.enum(['month', 'quarter'], { message: 'expected month or quarter' }).default('month'),
  });
  app.get('/v1/cohorts', { preHandler: guard }, async (request, reply) => {
    const query = CohortQuery.safeParse(request.query);
    if (!query.success) return invalidInput(reply, request, query.error);
    return withStore(async () => {
      const { at, answer } = await clockAt(query.data.asOf);
      return { ...(await analyzeCohorts(store, { asOf: at, by: query.data.by })), ...answer };
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
  // ?within= as the CLI's --within (default the funnel's own), ?by=, ?asOf=.
  const FunnelQuery = AsOfQuery.extend({ by: z.string().min(1).optional(), within: WindowParam.optional() });
  app.get<{ Params: { name: string } }>(
    '/v1/funnels/:name',
    { preHandler: guard },
    async (request, reply) => {
      const funnel = ownValue(workspace.config.funnels, request.params.name);
      if (!funnel) return notFound(reply, `no funnel '${request.params.name}' in strata.yaml (funnels:)`);
      const query = FunnelQuery.safeParse(request.query);
      if (!query.success) return invalidInput(reply, request, query.error);
      const { by, within, asOf } = query.data;
      const withinDays = within ?? parseWindowDays(funnel.within);
      if (withinDays === undefined)
        return notFound(reply, `funnel '${request.params.name}': within ${funnel.within}`);
      return withStore(async () => {
        const { at, answer } = await clockAt(asOf);
        try {
          return {
            ...(await analyzeFunnel(
              store,
              { steps: funnel.steps, withinDays },
              { asOf: at, ...(by ? { by } : {}) },
            )),
            ...answer,
          };
        } catch (error) {
          if (error instanceof StrataError)
            return reply.code(400).send({ error: error.code, message: error.message, field: 'by' });
          throw error;
        }
      });
    },
  );
}
