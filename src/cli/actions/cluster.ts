import { StrataError } from '../../errors.js';
import { count, decimals, number } from '../../format/numbers.js';
import { clusterAccounts } from '../../ml/cluster.js';
import { type SavedClusters, saveModel } from '../../workspace/model-files.js';
import type { ClusterInput } from '../commands/cluster.js';
import { metricFigure } from '../figures.js';
import { formatTable, type Output } from '../output.js';
import { commandTime, withWorkspace } from '../workspace-session.js';

/** `strata cluster --metrics a,b,c [--transform auto|none|log|cap] [--k N | --k-max N] [--seed N] [--save name]`. */
export async function runCluster(options: ClusterInput, output: Output) {
  const { metrics, k, kMax, seed, transform } = options;
  if (!metrics?.length)
    throw new StrataError('invalid_argument', 'give the metrics to cluster on: --metrics a,b,c');
  return withWorkspace(options.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, options.asOf, 'read', output);
    const report = await clusterAccounts(store, workspace, {
      metrics,
      asOf,
      ...(k !== undefined ? { k } : {}),
      kMax,
      seed,
      transform,
    });
    const { scorer, ...shown } = report;
    const saved = options.save
      ? saveModel<SavedClusters>(workspace.dir, {
          name: options.save,
          kind: 'clusters',
          scorer,
          training: {
            asOf: report.asOf,
            metrics: report.metrics,
            seed,
            k: report.k,
            transform: report.transform,
          },
          report: shown,
        })
      : undefined;
    const result = saved
      ? { ...shown, saved: { name: saved.name, version: saved.version, file: saved.file } }
      : shown;
    // Each mean in its metric's unit (money in the workspace's currency).
    const means = report.metrics.map((m) => metricFigure(workspace, m, true));
    output.result(result, () =>
      [
        `${report.k} clusters of ${count(report.accounts)} accounts by ${report.metrics.join(', ')} (mean silhouette ${decimals(report.silhouette, 3)})`,
        '',
        `metrics before standardising (--transform ${report.transform}):`,
        ...report.transforms.map((t) => `  ${t.metric}: ${t.description}`),
        ...(report.curve.length > 0
          ? [
              '',
              formatTable(
                ['k', 'inertia', 'silhouette', 'smallest cluster'],
                report.curve.map((c) => [
                  c.k,
                  number(c.inertia),
                  decimals(c.silhouette, 3),
                  `${count(c.smallest.accounts)}${c.rejected ? ' (rejected)' : ''}`,
                ]),
              ),
            ]
          : []),
        ...(report.rejected.length > 0
          ? [
              '',
              `clusters must hold ${count(report.minClusterSize)} accounts at least (settings.minSegmentSize or 2% of the accounts, the larger):`,
              ...report.rejected.map((line) => `  ${line}`),
            ]
          : []),
        '',
        formatTable(
          ['cluster', 'accounts', 'profile', ...report.metrics],
          report.clusters.map((c) => [
            c.cluster,
            count(c.accounts),
            c.profile,
            ...means.map((figure, j) => figure(c.means[report.metrics[j] as string] ?? null)),
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
