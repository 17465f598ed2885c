import type { TestProject } from 'vitest/node';
import { findClickHouseServer, startClickHouse } from '../helpers/clickhouse-servers.js';

/** What `inject('clickhouse')` gives a test: HTTP URLs of the servers started once per run. */
export type ProvidedClickHouse =
  | {
      /** One standalone server. */
      readonly single: string;
      /** A two-shard cluster: `urls[i]` is shard i + 1, one replica each. */
      readonly cluster: { readonly name: string; readonly urls: readonly string[] };
    }
  /** No clickhouse-server on this machine: each test that needs one fails with this message. */
  | { readonly missing: string };

declare module 'vitest' {
  export interface ProvidedContext {
    clickhouse: ProvidedClickHouse;
  }
}

const CLUSTER = 'strata_test';

export const MISSING_CLICKHOUSE =
  "clickhouse-server not found (on PATH or in /usr/sbin): install Debian's package, " +
  'sudo apt-get install --no-install-recommends clickhouse-server (.ci/run shows how without starting its service)';

/**
 * Starts one single-node server and one two-shard cluster (three servers, in parallel) per
 * test run. Without the binary it starts nothing and says so to every test that asks
 * (helpers/clickhouse.ts), so the other tests still run and those fail, none is skipped.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (findClickHouseServer() === undefined) {
    project.provide('clickhouse', { missing: MISSING_CLICKHOUSE });
    return undefined;
  }
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
