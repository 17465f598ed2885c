import type { TestProject } from 'vitest/node';
import { startClickHouse } from '../helpers/clickhouse-servers.js';

/** What `inject('clickhouse')` gives a test: HTTP URLs of the servers started once per run. */
export interface ProvidedClickHouse {
  /** One standalone server. */
  readonly single: string;
  /** A two-shard cluster: `urls[i]` is shard i + 1, one replica each. */
  readonly cluster: { readonly name: string; readonly urls: readonly string[] };
}

declare module 'vitest' {
  export interface ProvidedContext {
    clickhouse: ProvidedClickHouse;
  }
}

export const CLUSTER = 'strata_test';

/** Starts one single-node server and one two-shard cluster (three servers, in parallel) per test run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = await Promise.allSettled([
    startClickHouse({ servers: 1 }),
    startClickHouse({ servers: 2, cluster: CLUSTER }),
  ]);
  const running = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = async () => {
    await Promise.all(running.map((s) => s.stop()));
  };
  const [single, cluster] = started;
  if (single?.status !== 'fulfilled' || cluster?.status !== 'fulfilled') {
    await stopAll();
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    throw failed?.reason ?? new Error('ClickHouse servers did not start');
  }
  project.provide('clickhouse', {
    single: single.value.urls[0] as string,
    cluster: { name: CLUSTER, urls: cluster.value.urls },
  });
  return stopAll;
}
