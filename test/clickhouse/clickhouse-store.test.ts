import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseDialect } from '../../src/dialect/clickhouse/clickhouse-dialect.js';
import { evaluateWorkspace } from '../../src/engine/evaluate.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { StrataError } from '../../src/errors.js';
import { identityRelations } from '../../src/identity/identity-links.js';
import { identityReport } from '../../src/identity/identity-report.js';
import { derivedColumns } from '../../src/sources/derive/derive-columns.js';
import { readAccountTree } from '../../src/store/account-tree.js';
import { ClickHouseStore } from '../../src/store/clickhouse/clickhouse-store.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { clickhouse } from '../helpers/clickhouse.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  checkMergeAndUndo,
  EXPECTED_ACTIVITY,
  EXPECTED_ACTIVITY_MERGED,
  EXPECTED_LINKS,
  EXPECTED_MISSES,
  EXPECTED_REPORT,
  IDENTITY_CONFIG,
  importActivityFixture,
  importIdentityFixture,
  readActivity,
  readLinks,
} from '../identity/identity-fixture.js';

const dir = tempDir();
const database = `store_${process.pid}`;
let cluster: ClickHouseStore;
let single: ClickHouseStore;
let duckdb: DuckDBStore;

/** Runs SQL on a server's HTTP interface directly, without the store: an independent reader. */
async function raw(url: string, sql: string): Promise<string> {
  const response = await fetch(`${url}/?database=${database}`, { method: 'POST', body: sql });
  const text = await response.text();
  if (!response.ok) throw new Error(text);
  return text.trim();
}

beforeAll(async () => {
  const servers = clickhouse();
  single = await ClickHouseStore.open({ url: servers.single, database });
  cluster = await ClickHouseStore.open({
    url: servers.cluster.urls[0] ?? '',
    database,
    cluster: servers.cluster.name,
    shards: servers.cluster.urls,
  });
  duckdb = await DuckDBStore.open(join(dir, 'strata.duckdb'));
  mkdirSync(join(dir, 'cutoff'));
});
afterAll(async () => {
  for (const store of [single, cluster, duckdb]) await store?.close();
});

/** Values that break naive quoting in ClickHouse (backslash escapes) or in standard SQL. */
const NASTY = [
  "it's",
  "x' OR 1=1 --",
  'back\\slash',
  "\\'",
  "\\\\'; DROP TABLE accounts; --",
  'tab\there\nnewline',
  '"double" `tick`',
  'émoji 🚀 ünïcode',
  '%_like_wildcards_%',
  '',
];

describe('ClickHouse values and names reach SQL through one escaping function', () => {
  it('round-trips every nasty text value through a real server unchanged', async () => {
    for (const value of NASTY) {
      const [row] = await single.query<{ v: string }>(
        testSql(`SELECT ${clickhouseDialect.literal(value)} AS v`),
      );
      expect(row?.v).toBe(value);
    }
  });

  it('quotes every identifier so the server reads back the same name', async () => {
    for (const name of ["segment:it's a (weird) name", 'a"b', 'a\\b', '\\"; DROP TABLE x; --', 'a`b']) {
      const [row] = await single.query(testSql(`SELECT 1 AS ${clickhouseDialect.quoteIdentifier(name)}`));
      expect(Object.keys(row ?? {})).toEqual([name]);
    }
    for (const bad of ['', 'nul\u0000'])
      expect(() => clickhouseDialect.quoteIdentifier(bad)).toThrow(StrataError);
    expect(() => clickhouseDialect.literal('nul\u0000byte')).toThrow(StrataError);
  });

  it('evaluates event names, property values, trait names and segment ids full of quotes and backslashes', async () => {
    // a1 did the odd event with the odd property value and has the odd trait; a2 has near misses.
    const event = "it's \\ odd";
    const value = "x\\' OR 1=1 --";
    const trait = "ref'\\code";
    const ndjson = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n');
    writeFileSync(
      join(dir, 'accounts.ndjson'),
      ndjson([
        { account_id: 'a1', created_at: '2024-01-01T00:00:00Z', [trait]: value },
        { account_id: 'a2', created_at: '2024-01-01T00:00:00Z', [trait]: "x' OR 1=1 --" },
      ]),
    );
    writeFileSync(
      join(dir, 'events.ndjson'),
      ndjson([
        { account_id: 'a1', event, ts: '2024-06-01T00:00:00Z', source: value },
        { account_id: 'a2', event, ts: '2024-06-01T00:00:00Z', source: 'x' },
        { account_id: 'a2', event: "it's  odd", ts: '2024-06-01T00:00:00Z', source: value },
      ]),
    );
    const yamlText = (s: string) => JSON.stringify(s);
    writeFileSync(
      join(dir, 'strata.yaml'),
      `segments:
  ${yamlText("odd'one")}: { where: { performed: { event: ${yamlText(event)}, where: { source: ${yamlText(value)} } } } }
  ${yamlText('trait\\seg')}: { where: { trait: ${yamlText(trait)}, eq: ${yamlText(value)} } }
`,
    );
    const workspace = loadWorkspace(dir);
    const members = async (store: Store) => {
      for (const table of ['accounts', 'events'] as const) {
        await store.importFile({ table, file: join(dir, `${table}.ndjson`) });
      }
      const report = await runWorkspace(store, workspace, new Date('2024-07-01T00:00:00Z'));
      return report.segments.map((s) => [s.segment, s.after]);
    };
    const expected = [
      ["odd'one", 1],
      ['trait\\seg', 1],
    ];
    expect(await members(duckdb)).toEqual(expected);
    expect(await members(cluster)).toEqual(expected);
    expect(await raw(clickhouse().cluster.urls[0] ?? '', 'SELECT count() FROM accounts')).toBe('2');
  });
});

describe('identity rules on ClickHouse 18.16', () => {
  it('links, misses and reports the hand-worked identity fixture as on DuckDB', async () => {
    // A database of its own: the fixture's accounts must be the only ones.
    const store = await ClickHouseStore.open({
      url: clickhouse().single,
      database: `identity_${process.pid}`,
    });
    try {
      await importIdentityFixture(store);
      const { links, misses } = await identityRelations(store, IDENTITY_CONFIG);
      expect(await readLinks(store, links)).toEqual(EXPECTED_LINKS);
      expect(
        await store.query(store.dialect.sql`SELECT user_id, reason FROM ${misses} m ORDER BY user_id`),
      ).toEqual(EXPECTED_MISSES);
      expect(await identityReport(store, IDENTITY_CONFIG)).toEqual(EXPECTED_REPORT);
    } finally {
      await store.close();
    }
  });

  it('counts users and events without an account where their links say, as on DuckDB', async () => {
    const { single, cluster: servers } = clickhouse();
    // One server, then the two-shard cluster, where a link may move a row to another shard.
    for (const options of [
      { url: single, database: `identity_activity_${process.pid}` },
      {
        url: servers.urls[0] ?? '',
        database: `identity_sharded_${process.pid}`,
        cluster: servers.name,
        shards: servers.urls,
      },
    ]) {
      const store = await ClickHouseStore.open(options);
      try {
        await importActivityFixture(store);
        expect(await readActivity(store, dir)).toEqual(EXPECTED_ACTIVITY);
        expect(await checkMergeAndUndo(store, dir)).toEqual({
          merged: EXPECTED_ACTIVITY_MERGED,
          undone: EXPECTED_ACTIVITY,
        });
      } finally {
        await store.close();
      }
    }
  });
});

describe('ClickHouse store safety', () => {
  it('never shows the password of a store URL, even when the server refuses it', async () => {
    const url = new URL(clickhouse().single);
    url.username = 'default';
    url.password = 's3cret-pw';
    const error = await ClickHouseStore.open({ url: url.toString(), database }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataError);
    expect(String((error as StrataError).message)).not.toContain('s3cret-pw');
    expect(JSON.stringify(error)).not.toContain('s3cret-pw');
  });

  it('checks that a cluster exists and that every shard has a URL', async () => {
    const { cluster: servers } = clickhouse();
    const open = (cluster: string, shards: readonly string[]) =>
      ClickHouseStore.open({ url: servers.urls[0] ?? '', database, cluster, shards }).then(
        () => new StrataError('opened', 'opened'),
        (e: unknown) => e as StrataError,
      );
    expect(await open('nope', servers.urls)).toMatchObject({
      code: 'unknown_cluster',
      message: "cluster 'nope' is not in the server's remote_servers",
    });
    expect(await open(servers.name, servers.urls.slice(0, 1))).toMatchObject({
      code: 'shards_mismatch',
      message: `cluster '${servers.name}' has 2 shards; store.shards lists 1 URL (one HTTP URL per shard, in shard order)`,
    });
  });

  it('ignores the table of a run cut off before its strata_runs row, and replaces it on the next run', async () => {
    const runs = await single.query<{ n: number }>(sql`SELECT count() AS n FROM strata_runs`);
    const next = (runs[0]?.n ?? 0) + 1;
    await single.execute(
      testSql(`CREATE TABLE strata_run_${next} (account_id String) ENGINE = MergeTree ORDER BY account_id`),
    );
    await single.execute(testSql(`INSERT INTO strata_run_${next} VALUES ('leftover')`));
    writeFileSync(
      join(dir, 'cutoff', 'strata.yaml'),
      'segments:\n  everyone: { where: { trait: employees, exists: false } }\n',
    );
    const report = await runWorkspace(
      single,
      loadWorkspace(join(dir, 'cutoff')),
      new Date('2024-07-01T00:00:00Z'),
    );
    expect(report.runId).toBe(next);
    const rows = await single.query<{ account_id: string }>(
      testSql(`SELECT account_id FROM strata_run_${next} ORDER BY account_id`),
    );
    expect(rows.map((r) => r.account_id)).not.toContain('leftover');
  });
});

describe('imports into a ClickHouse cluster', () => {
  const csv = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('reports invalid rows exactly as DuckDB does and writes nothing', async () => {
    const file = csv(
      'bad-accounts.csv',
      'account_id,created_at,employees\nb1,2024-01-01,10\nb2,not a date,12\nb3,2024-02-01,-5\n',
    );
    const failure = async (store: Store) =>
      store.importFile({ table: 'accounts', file }).then(
        () => new StrataError('imported', 'imported an invalid file'),
        (error: unknown) => error as StrataError,
      );
    const [expected, actual] = [await failure(duckdb), await failure(cluster)];
    expect(expected).toBeInstanceOf(StrataError);
    expect(actual).toBeInstanceOf(StrataError);
    expect(actual.message).toBe(expected.message);
    expect(actual.details).toEqual(expected.details);
    expect((actual.details as { errors: unknown[] }).errors).toHaveLength(2);
    const [row] = await cluster.query<{ n: number }>(
      sql`SELECT count() AS n FROM accounts WHERE account_id LIKE 'b%'`,
    );
    expect(row?.n).toBe(0);
  });

  it('is idempotent, and a changed row replaces its key on whichever shard holds it', async () => {
    const first = csv(
      'c.csv',
      'account_id,created_at,plan,mrr\nc1,2024-01-01,free,0\nc2,2024-01-02,pro,99.5\nc3,2024-01-03,pro,120\n',
    );
    expect(await cluster.importFile({ table: 'accounts', file: first })).toMatchObject({
      inserted: 3,
      updated: 0,
      unchanged: 0,
    });
    expect(await cluster.importFile({ table: 'accounts', file: first })).toMatchObject({
      inserted: 0,
      updated: 0,
      unchanged: 3,
    });
    const changed = csv(
      'c2.csv',
      'account_id,created_at,plan,mrr\nc1,2024-01-01,free,0\nc2,2024-01-02,enterprise,990\nc4,2024-01-04,free,0\n',
    );
    expect(await cluster.importFile({ table: 'accounts', file: changed })).toMatchObject({
      inserted: 1,
      updated: 1,
      unchanged: 1,
    });
    // Read each shard directly: one row per key in the whole cluster, the new value for c2.
    const urls = clickhouse().cluster.urls;
    const shardRows = (
      await Promise.all(
        urls.map((url) =>
          raw(url, "SELECT account_id, plan FROM accounts_local WHERE account_id LIKE 'c%' FORMAT TSV"),
        ),
      )
    )
      .flatMap((text) => (text ? text.split('\n') : []))
      .sort();
    expect(shardRows).toEqual(['c1\tfree', 'c2\tenterprise', 'c3\tpro', 'c4\tfree']);
  });

  it('refuses a parent_account_id cycle as DuckDB does (in one file, through a stored account, a self-parent) and rolls up the sharded tree', async () => {
    const header = 'account_id,created_at,parent_account_id\n';
    // hg <- hp <- hc1, hc2 on both engines; hg's parent `hq` is in no file, which is allowed.
    const tree = csv(
      'h-tree.csv',
      `${header}hg,2024-01-01,hq\nhp,2024-01-01,hg\nhc1,2024-01-01,hp\nhc2,2024-01-01,hp\n`,
    );
    for (const store of [duckdb, cluster])
      expect(await store.importFile({ table: 'accounts', file: tree })).toMatchObject({ inserted: 4 });
    const parents = (store: Store) =>
      store.query<{ account_id: string; parent_account_id: string | null }>(
        sql`SELECT account_id, parent_account_id FROM accounts WHERE account_id LIKE 'h%' ORDER BY account_id`,
      );
    const stored = [
      { account_id: 'hc1', parent_account_id: 'hp' },
      { account_id: 'hc2', parent_account_id: 'hp' },
      { account_id: 'hg', parent_account_id: 'hq' },
      { account_id: 'hp', parent_account_id: 'hg' },
    ];
    expect(await parents(cluster)).toEqual(stored);
    // Each cycle shown from its smallest account id; hg under hc1 closes hc1 -> hp -> hg -> hc1.
    const cases = [
      [csv('h-pair.csv', `${header}hx,2024-01-01,hy\nhy,2024-01-01,hx\n`), 'hx -> hy -> hx'],
      [csv('h-stored.csv', `${header}hg,2024-01-01,hc1\n`), 'hc1 -> hp -> hg -> hc1'],
      [csv('h-self.csv', `${header}hs,2024-01-01,hs\n`), 'hs -> hs'],
    ] as const;
    for (const [file, cycle] of cases) {
      for (const store of [duckdb, cluster]) {
        const error = await store
          .importFile({ table: 'accounts', file })
          .catch((e: unknown) => e as StrataError);
        expect(error).toBeInstanceOf(StrataError);
        expect((error as StrataError).message).toBe(
          `${file}: parent_account_id would make a cycle: ${cycle}; an account cannot be its own ancestor, and nothing from this file was imported`,
        );
        expect(await parents(store)).toEqual(stored);
      }
    }
    // Roll-ups walk the sharded accounts: hg's subtree is hg, hp, hc1, hc2; hp's hp, hc1, hc2.
    const ws = join(dir, 'rollup-ws');
    mkdirSync(ws);
    writeFileSync(join(ws, 'strata.yaml'), 'metrics:\n  subtree: { rollup: tenure_days, using: count }\n');
    const table = await evaluateWorkspace(cluster, loadWorkspace(ws), new Date('2024-06-30T00:00:00Z'));
    const rows = await cluster.query<{ account_id: string; n: number }>(
      sql`SELECT account_id, ${sql.id('metric:subtree')} AS n FROM ${table} WHERE account_id LIKE 'h%' ORDER BY account_id`,
    );
    await cluster.dropScratch(table);
    expect(rows.map((r) => [r.account_id, Number(r.n)])).toEqual([
      ['hc1', 1],
      ['hc2', 1],
      ['hg', 4],
      ['hp', 3],
    ]);
    // The account page's tree, by the same walk on both engines: hp sits under hg, itself
    // under hq (named, not imported: no name), and has hc1 and hc2 (no names: by id).
    for (const store of [duckdb, cluster]) {
      expect(await readAccountTree(store, 'hp')).toEqual({
        account_id: 'hp',
        ancestors: [
          { account_id: 'hq', name: null },
          { account_id: 'hg', name: null },
        ],
        children: [
          { account_id: 'hc1', name: null },
          { account_id: 'hc2', name: null },
        ],
        childCount: 2,
      });
      expect((await readAccountTree(store, 'hc2'))?.ancestors.map((a) => a.account_id)).toEqual([
        'hq',
        'hg',
        'hp',
      ]);
      expect(await readAccountTree(store, 'hp', 1)).toMatchObject({
        children: [{ account_id: 'hc1' }],
        childCount: 2,
      });
      expect(await readAccountTree(store, 'h-nobody')).toBeNull();
    }
  });

  it('keeps the first copy of an event and ignores re-imported ones', async () => {
    const file = csv(
      'e.csv',
      'event_id,account_id,event,ts\ne1,c1,login,2024-06-01T10:00:00.250Z\ne2,c2,login,2024-06-01T11:00:00Z\n',
    );
    expect(await cluster.importFile({ table: 'events', file })).toMatchObject({ inserted: 2, unchanged: 0 });
    // A source's cursor (src/sources/postgres) is kept in the import log with the import's rows.
    expect(await cluster.lastCursor('app_events')).toBeNull();
    const origin = { source: 'app_events', label: 'postgres:events', cursor: '2024-06-01 11:00:00+00' };
    expect(await cluster.importFile({ table: 'events', file, origin })).toMatchObject({
      inserted: 0,
      unchanged: 2,
    });
    expect(await cluster.lastCursor('app_events')).toBe('2024-06-01 11:00:00+00');
    // Microseconds since the epoch: the quarter second is kept.
    const [row] = await cluster.query<{ ts: number }>(sql`SELECT ts FROM events WHERE event_id = 'e1'`);
    expect(row?.ts).toBe(Date.parse('2024-06-01T10:00:00.250Z') * 1000);
  });

  it('derives columns, keeps identical lines, and dry-runs with the counts DuckDB gives', async () => {
    const lines = csv(
      'lines.csv',
      'customer,qty,price,day\n17850.0,6,2.55,2024-06-02\n17850.0,6,2.55,2024-06-02\n17851.0,2,10,2024-06-03\n',
    );
    const derive = derivedColumns('lines', {
      account_id: 'integer(customer)',
      event: "'invoice_line'",
      ts: 'day',
      revenue: 'qty * price',
    });
    const request = { table: 'events', file: lines, derive } as const;
    // Nothing stored yet: three new events on both engines, and the dry run writes none.
    for (const store of [duckdb, cluster])
      expect(await store.importFile({ ...request, dryRun: true })).toMatchObject({
        inserted: 3,
        unchanged: 0,
        dryRun: true,
      });
    const [none] = await cluster.query<{ n: number }>(
      sql`SELECT count() AS n FROM events WHERE event = 'invoice_line'`,
    );
    expect(none?.n).toBe(0);
    for (const store of [duckdb, cluster])
      expect(await store.importFile(request)).toMatchObject({ inserted: 3 });
    for (const store of [duckdb, cluster])
      expect(await store.importFile({ ...request, dryRun: true })).toMatchObject({
        inserted: 0,
        unchanged: 3,
      });
    const read = (store: Store) =>
      store.query<{ account_id: string; ids: number; revenue: number }>(
        sql`SELECT account_id, count(DISTINCT event_id) AS ids, sum(${store === cluster ? sql`visitParamExtractFloat(properties, 'revenue')` : sql`CAST(properties->>'revenue' AS DOUBLE)`}) AS revenue
            FROM events WHERE event = 'invoice_line' GROUP BY account_id ORDER BY account_id`,
      );
    // Two sales of 6 x 2.55 = 15.3 each for 17850 (the float id read as the whole number).
    const expected = [
      { account_id: '17850', ids: 2, revenue: 30.6 },
      { account_id: '17851', ids: 1, revenue: 20 },
    ];
    for (const store of [duckdb, cluster]) {
      const rows = await read(store);
      expect(
        rows.map((r) => ({ ...r, ids: Number(r.ids), revenue: Number(Number(r.revenue).toFixed(9)) })),
      ).toEqual(expected);
    }
  });
});
