import type { FastifyReply } from 'fastify';
import { listAbTests, reportAbTest } from '../analytics/abtest/abtest.js';
import { backtestWorkspace } from '../analytics/backtest/backtest.js';
import { analyzeCohorts } from '../analytics/cohorts/cohorts.js';
import { analyzeFunnel } from '../analytics/funnels/funnel.js';
import { trailingRetention } from '../analytics/retention/trailing-retention.js';
import { analyzeRfm, rfmGridAccounts } from '../analytics/rfm/rfm.js';
import { ROUTES } from '../contract/routes.js';
import { compareSnapshots, schemeFlows } from '../engine/membership-diff.js';
import { planWorkspace } from '../engine/plan-workspace.js';
import { runTotals } from '../engine/read-queries.js';
import { listRuns } from '../engine/run-snapshot.js';
import { runWarnings } from '../engine/warnings.js';
import { StrataError } from '../errors.js';
import { accountRows } from '../identity/account-rows.js';
import { hasOwnKey, ownValue } from '../own-key.js';
import { parseWindowDays } from '../workspace/duration.js';
import { loadWorkspace, type Workspace } from '../workspace/load-workspace.js';
import { badRequest } from './answers.js';
import type { Serve } from './contract-routes.js';
import { registerModelRoutes } from './model-routes.js';
import type { ReadContext } from './read-routes.js';
import { requestClock } from './request-clock.js';

/**
 * What the dashboard's pages show beyond segments and profiles (read or admin keys): the
 * overview, RFM, cohorts, funnels, transitions, A/B tests, models, clusterings and the plan
 * of an edited strata.yaml. Each is aggregated in the database as of the latest run;
 * `withStore` keeps these reads from interleaving with the log's applies. Every analysis is
 * as of the one clock's read time (src/engine/clock.ts): ?asOf= as the CLI's --as-of, else
 * the latest run's, else the workspace clock; each answer says which (asOf, clock) and
 * carries the stale-data warning.
 */
export function registerAnalysisRoutes(serve: Serve, context: ReadContext): void {
  registerOverview(serve, context);
  registerRfmRoutes(serve, context);
  registerRunComparisons(serve, context);
  registerModelRoutes(serve, context);
  registerCohortAndFunnelRoutes(serve, context);
}

const notFound = (reply: FastifyReply, message: string) =>
  reply.code(404).send({ error: 'not_found', message });
/** Strata's own errors of an analysis (an unknown test, outcome or run) as 404 answers with their code. */
const strataNotFound = (reply: FastifyReply, error: unknown) => {
  if (error instanceof StrataError)
    return reply.code(404).send({ error: error.code, message: error.message });
  throw error;
};

// The dashboard's first page: sizes and changes since the previous run, the schemes'
// primary segments, the KPIs (MRR, trailing retention, mean health) and the run's warnings.
// Its sizes are the latest run's, so it is as of that run's time (the one clock's read
// time, without ?asOf=); the data-stopped warning joins the run's warnings.
function registerOverview(serve: Serve, { workspace, store, withStore }: ReadContext): void {
  serve(ROUTES.overview, {
    handler: async () =>
      withStore(async () => {
        const { at, answer } = await requestClock(store, workspace, undefined);
        const runs = await listRuns(store);
        const [run, previous] = [runs.at(-1) ?? null, runs.at(-2) ?? null];
        const totals = run ? await runTotals(store, run) : undefined;
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
  });
}

// RFM: the grid and cells, and a cell's accounts.
function registerRfmRoutes(serve: Serve, { workspace, store, withStore }: ReadContext): void {
  // A dimension without data is a state of the workspace, not a fault: 409 names what to add.
  const rfmRefused = (reply: FastifyReply, error: unknown) => {
    if (!(error instanceof StrataError) || error.code !== 'rfm_no_data') throw error;
    return reply.code(409).send({ error: error.code, message: error.message, missing: error.details });
  };
  serve(ROUTES.rfm, {
    handler: async ({ query, reply }) =>
      withStore(async () => {
        const { at, answer } = await requestClock(store, workspace, query.asOf);
        return analyzeRfm(store, workspace, at).then(
          (report) => ({ ...report, ...answer }),
          (error) => rfmRefused(reply, error),
        );
      }),
  });
  serve(ROUTES.rfmAccounts, {
    handler: async ({ query: { r, fm, limit, offset, asOf }, reply }) =>
      withStore(async () => {
        const { at, answer } = await requestClock(store, workspace, asOf);
        return rfmGridAccounts(store, workspace, at, { r, fm, limit, offset }).then(
          (page) => ({ ...page, ...answer }),
          (error) => rfmRefused(reply, error),
        );
      }),
  });
}

// Transitions between the latest run and the one before, the A/B tests, and the plan of an edited strata.yaml.
function registerRunComparisons(serve: Serve, { workspace, store, withStore }: ReadContext): void {
  serve(ROUTES.transitions, {
    handler: async ({ reply }) =>
      withStore(async () => {
        const runs = await listRuns(store);
        const [before, after] = [runs.at(-2), runs.at(-1)];
        if (!before || !after)
          return notFound(reply, 'transitions need two runs: run strata run again later');
        const { segments } = await compareSnapshots(store, before, after);
        return {
          from: before.runId,
          to: after.runId,
          segments,
          flows: await schemeFlows(store, before, after),
        };
      }),
  });

  // A/B tests: the list, and one test's result for an outcome (an event, or a metric's mean).
  serve(ROUTES.abTests, {
    handler: async () => withStore(async () => ({ tests: await listAbTests(store) })),
  });
  serve(ROUTES.abTest, {
    handler: async ({ params, query: { event, within, metric, asOf }, request, reply }) => {
      if (Boolean(event) === Boolean(metric))
        return badRequest(reply, request, 'event', 'give exactly one outcome: event or metric');
      const outcome = event
        ? { event, ...(within !== undefined ? { withinDays: within } : {}) }
        : { metric: metric as string };
      return withStore(async () => {
        try {
          const { at, answer } = await requestClock(store, workspace, asOf);
          return { ...(await reportAbTest(store, workspace, params.test, outcome, at)), ...answer };
        } catch (error) {
          return strataNotFound(reply, error);
        }
      });
    },
  });

  // The plan of strata.yaml as it is on disk now (edited since the server started, perhaps)
  // against the latest run: which members each segment would gain and lose. As `strata plan`:
  // ?asOf= evaluates both then and adds a backtest over ?horizon= (default 90d).
  serve(ROUTES.plan, {
    handler: async ({ query: { asOf, horizon }, reply }) => {
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
          const { answer } = await requestClock(store, workspace, asOf);
          return asOf
            ? {
                ...plan,
                ...answer,
                backtest: await backtestWorkspace(store, edited, { asOf, horizonDays: horizon }),
              }
            : { ...plan, ...answer };
        } catch (error) {
          return strataNotFound(reply, error);
        }
      });
    },
  });
}

// Cohorts (retention by period, sBG projections), and the funnels of strata.yaml by the
// primary segments of a scheme (or an account column), with leaks.
function registerCohortAndFunnelRoutes(serve: Serve, { workspace, store, withStore }: ReadContext): void {
  serve(ROUTES.cohorts, {
    handler: async ({ query }) =>
      withStore(async () => {
        const { at, answer } = await requestClock(store, workspace, query.asOf);
        return {
          ...(await analyzeCohorts(store, {
            asOf: at,
            by: query.by,
            rows: await accountRows(store, workspace.config.identity),
          })),
          ...answer,
        };
      }),
  });

  serve(ROUTES.funnels, {
    handler: async () => ({
      funnels: Object.entries(workspace.config.funnels ?? {}).map(([name, f]) => ({
        name,
        steps: f.steps,
        within: f.within,
      })),
      schemes: Object.keys(workspace.config.schemes),
    }),
  });
  // ?within= as the CLI's --within (default the funnel's own), ?by=, ?asOf=.
  serve(ROUTES.funnel, {
    before: ({ name }, reply) =>
      ownValue(workspace.config.funnels, name)
        ? undefined
        : notFound(reply, `no funnel '${name}' in strata.yaml (funnels:)`),
    handler: async ({ params: { name }, query: { by, within, asOf }, reply }) => {
      const funnel = ownValue(workspace.config.funnels, name);
      if (!funnel) return notFound(reply, `no funnel '${name}' in strata.yaml (funnels:)`);
      const withinDays = within ?? parseWindowDays(funnel.within);
      if (withinDays === undefined) return notFound(reply, `funnel '${name}': within ${funnel.within}`);
      return withStore(async () => {
        const { at, answer } = await requestClock(store, workspace, asOf);
        try {
          return {
            ...(await analyzeFunnel(
              store,
              { steps: funnel.steps, withinDays },
              {
                asOf: at,
                events: (await accountRows(store, workspace.config.identity)).events,
                ...(by ? { by } : {}),
              },
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
  });
}
