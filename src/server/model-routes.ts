import type { FastifyReply } from 'fastify';
import { ROUTES } from '../contract/routes.js';
import { listRuns } from '../engine/run-snapshot.js';
import { StrataError } from '../errors.js';
import { type ClusterMap, mapClusters, readClustering } from '../ml/cluster-map.js';
import { type HoldoutReport, verdictOf } from '../ml/holdout-report.js';
import { modelNames, modelVersions, readModel } from '../workspace/model-files.js';
import type { Serve } from './contract-routes.js';
import type { ReadContext } from './read-routes.js';
import { requestClock } from './request-clock.js';

/**
 * Saved churn / expansion models and clusterings (read or admin keys): the lists, a model's
 * card (its holdout report), and a clustering on a map as of the one clock's time.
 */
export function registerModelRoutes(serve: Serve, { workspace, store, withStore }: ReadContext): void {
  const notFound = (reply: FastifyReply, error: unknown) => {
    if (error instanceof StrataError)
      return reply.code(404).send({ error: 'not_found', message: error.message });
    throw error;
  };

  serve(ROUTES.models, {
    handler: async () => ({
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
    }),
  });
  serve(ROUTES.model, {
    handler: async ({ params: { ref }, reply }) => {
      try {
        const saved = readModel(workspace.dir, ref);
        if (saved.kind !== 'predictor')
          return reply
            .code(404)
            .send({ error: 'not_found', message: `'${ref}' is a clustering, not a model` });
        const report = saved.report as unknown as HoldoutReport;
        return {
          name: saved.name,
          version: saved.version,
          createdAt: saved.createdAt,
          training: saved.training as Record<string, unknown>,
          report,
          ...verdictOf(report),
        };
      } catch (error) {
        return notFound(reply, error);
      }
    },
  });

  serve(ROUTES.clusterings, {
    handler: async () => ({
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
    }),
  });
  // One clustering on a map (cached per run and version: scoring every account is a full evaluation).
  const maps = new Map<string, Promise<ClusterMap>>();
  serve(ROUTES.clusterMap, {
    handler: async ({ params: { ref }, query, reply }) => {
      try {
        const saved = readClustering(workspace, ref);
        return await withStore(async () => {
          const { at, answer } = await requestClock(store, workspace, query.asOf);
          // By the run too: a new run at the same time (after an import) changes the map.
          const run = (await listRuns(store)).at(-1);
          const key = `${saved.name}@${saved.version}:${at.toISOString()}:run ${run?.runId}:${query.points}`;
          let map = maps.get(key);
          if (!map) {
            map = mapClusters(store, workspace, ref, { asOf: at, points: query.points });
            maps.set(key, map);
            // A few maps are kept (several clusterings, or the run before); the oldest goes first.
            if (maps.size > 8) maps.delete(maps.keys().next().value as string);
            map.catch(() => maps.delete(key));
          }
          return { ...(await map), training: saved.training as Record<string, unknown>, ...answer };
        });
      } catch (error) {
        return notFound(reply, error);
      }
    },
  });
}
