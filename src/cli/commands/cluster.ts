import { StrataError } from '../../errors.js';
import { clusterAccounts } from '../../ml/cluster.js';
import { type SavedClusters, saveModel } from '../../workspace/model-files.js';
import { numberOption } from '../options.js';
import { count, formatTable, type Output } from '../output.js';
import { commandTime, withWorkspace } from './run.js';

/** `strata cluster --metrics a,b,c [--k N | --k-max N] [--seed N] [--save name]`. */
export async function runCluster(
  options: {
    workspace: string;
    metrics?: string;
    k?: string;
    kMax?: string;
    seed?: string;
    asOf?: string;
    save?: string;
  },
  output: Output,
) {
  if (!options.metrics)
    throw new StrataError('invalid_argument', 'give the metrics to cluster on: --metrics a,b,c');
  const metrics = options.metrics
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  const k = numberOption('--k', options.k, { whole: true, min: 0 });
  const kMax = numberOption('--k-max', options.kMax, { whole: true, min: 0 });
  const seed = numberOption('--seed', options.seed, { whole: true, min: 0 });
  return withWorkspace(options.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, options.asOf, 'read', output);
    const report = await clusterAccounts(store, workspace, {
      metrics,
      asOf,
      ...(k !== undefined ? { k } : {}),
      ...(kMax !== undefined ? { kMax } : {}),
      ...(seed !== undefined ? { seed } : {}),
    });
    const { scorer, ...shown } = report;
    const saved = options.save
      ? saveModel<SavedClusters>(workspace.dir, {
          name: options.save,
          kind: 'clusters',
          scorer,
          training: { asOf: report.asOf, metrics: report.metrics, seed: seed ?? 42, k: report.k },
          report: shown,
        })
      : undefined;
    const result = saved
      ? { ...shown, saved: { name: saved.name, version: saved.version, file: saved.file } }
      : shown;
    output.result(result, () =>
      [
        `${report.k} clusters of ${count(report.accounts)} accounts by ${report.metrics.join(', ')} (mean silhouette ${report.silhouette.toFixed(3)})`,
        ...(report.curve.length > 0
          ? [
              '',
              formatTable(
                ['k', 'inertia', 'silhouette'],
                report.curve.map((c) => [c.k, Number(c.inertia.toFixed(1)), Number(c.silhouette.toFixed(3))]),
              ),
            ]
          : []),
        '',
        formatTable(
          ['cluster', 'accounts', 'profile', ...report.metrics],
          report.clusters.map((c) => [
            c.cluster,
            c.accounts,
            c.profile,
            ...report.metrics.map((m) => Number((c.means[m] ?? 0).toFixed(2))),
          ]),
        ),
        ...(saved
          ? [
              '',
              `saved as ${saved.name} version ${saved.version} (${saved.file}); segment on it with { metric: ${saved.name}_cluster, eq: <cluster> }`,
            ]
          : []),
      ].join('\n'),
    );
    return result;
  });
}
