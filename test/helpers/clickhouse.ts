import { inject } from 'vitest';
import type { ProvidedClickHouse } from '../setup/clickhouse.js';

type Started = Exclude<ProvidedClickHouse, { missing: string }>;

/**
 * The ClickHouse servers of this test run (test/setup/clickhouse.ts): `single`, and the
 * two-shard `cluster`. Throws how to install clickhouse-server when the machine has none,
 * so a test that needs it fails instead of being skipped.
 */
export function clickhouse(): Started {
  const provided = inject('clickhouse');
  if (provided === undefined) {
    throw new Error('no ClickHouse servers were started: this test belongs to the integration project');
  }
  if ('missing' in provided) throw new Error(provided.missing);
  return provided;
}
