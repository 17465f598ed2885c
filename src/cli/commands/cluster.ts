import { TRANSFORM_CHOICES } from '../../ml/metric-transform.js';
import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const clusterSchema = (k: OptionKit) => ({
  metrics: k.list().optional(),
  k: k.number('--k', { whole: true, min: 0 }).optional(),
  kMax: k.number('--k-max', { whole: true, min: 0 }),
  seed: k.number('--seed', { whole: true, min: 0 }),
  transform: k.choice('--transform', TRANSFORM_CHOICES, `expected one of ${TRANSFORM_CHOICES.join(', ')}`),
  asOf: k.time('--as-of').optional(),
  save: k.z.string().optional(),
});
export type ClusterInput = CommandInput<ReturnType<typeof clusterSchema>>;

export const cluster = defineCommand({
  name: 'cluster',
  description: 'k-means on standardised metrics, k chosen by silhouette, each cluster profiled in words',
  options: [
    { flags: '--metrics <names>', description: 'comma-separated metrics to cluster on' },
    { flags: '--k <n>', description: 'number of clusters (default: chosen by silhouette)' },
    { flags: '--k-max <n>', description: 'largest k tried when choosing', default: '8' },
    { flags: '--seed <n>', description: 'random seed (same seed, same clusters)', default: '42' },
    {
      flags: '--transform <how>',
      description: 'each metric before standardising: auto (cap at P1/P99, log when skewed), none, log, cap',
      default: 'auto',
    },
    {
      flags: '--as-of <time>',
      description: 'metrics as of this ISO time (default: the time of the latest run)',
    },
    {
      flags: '--save <name>',
      description: 'save the clusters as models/<name>/ so segments can use <name>_cluster',
    },
  ],
  schema: clusterSchema,
  run: async (input, output) => (await import('../actions/cluster.js')).runCluster(input, output),
});
