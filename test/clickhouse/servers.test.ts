import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouse } from '../helpers/clickhouse.js';

const servers = clickhouse();

/** Runs one statement over the HTTP interface; `body` is sent as the INSERT's data. */
async function query(url: string, sql: string, settings: Record<string, string> = {}, body?: string) {
  const params = new URLSearchParams({ ...settings, query: sql });
  const response = await fetch(`${url}/?${params}`, { method: 'POST', body: body ?? '' });
  const text = await response.text();
  if (!response.ok) throw new Error(`ClickHouse ${response.status} for ${sql}: ${text}`);
  return text.trim();
}

describe('single node', () => {
  it('answers SELECT version()', async () => {
    const version = await query(servers.single, 'SELECT version()');
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('two-shard cluster', () => {
  const { name, urls } = servers.cluster;
  const rows = Array.from({ length: 1_000 }, (_, i) => ({ accountId: `acct-${i}`, n: i + 1 }));
  const total = rows.length;
  const totalN = rows.reduce((sum, row) => sum + row.n, 0);

  beforeAll(async () => {
    for (const url of urls) {
      await query(url, 'DROP TABLE IF EXISTS t_dist');
      await query(url, 'DROP TABLE IF EXISTS t_local');
      await query(
        url,
        'CREATE TABLE t_local (account_id String, n UInt64) ENGINE = MergeTree ORDER BY account_id',
      );
      await query(
        url,
        `CREATE TABLE t_dist AS t_local ENGINE = Distributed(${name}, default, t_local, sipHash64(account_id))`,
      );
    }
  });

  afterAll(async () => {
    for (const url of urls) {
      await query(url, 'DROP TABLE IF EXISTS t_dist');
      await query(url, 'DROP TABLE IF EXISTS t_local');
    }
  });

  it('has two shards', async () => {
    expect(urls).toHaveLength(2);
    const shards = await query(
      urls[0] as string,
      `SELECT count() FROM system.clusters WHERE cluster = '${name}'`,
    );
    expect(Number(shards)).toBe(2);
  });

  it('spreads rows inserted through a Distributed table over both shards', async () => {
    const tsv = rows.map((row) => `${row.accountId}\t${row.n}\n`).join('');
    await query(urls[0] as string, 'INSERT INTO t_dist FORMAT TSV', { insert_distributed_sync: '1' }, tsv);

    const perShard: number[] = [];
    for (const [index, url] of urls.entries()) {
      const count = Number(await query(url, 'SELECT count() FROM t_local'));
      expect(count).toBeGreaterThan(0);
      // The Distributed engine sends a row to shard (hash % 2) + 1 with equal weights.
      const misplaced = await query(
        url,
        `SELECT countIf(sipHash64(account_id) % 2 != ${index}) FROM t_local`,
      );
      expect(Number(misplaced)).toBe(0);
      perShard.push(count);
    }
    expect(perShard.reduce((a, b) => a + b, 0)).toBe(total);

    for (const url of urls) {
      const [count, sum] = (await query(url, 'SELECT count(), sum(n) FROM t_dist')).split('\t').map(Number);
      expect(count).toBe(total);
      expect(sum).toBe(totalN);
    }
  });
});
