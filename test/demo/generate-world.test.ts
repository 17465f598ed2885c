/**
 * Reads a generated S world back through DuckDB and checks its contract (files,
 * columns, types) and the distributions the demo promises (each range in its test's name
 * or beside its assertions, on S = 2,000 accounts with seed 7).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld, type WorldSummary } from '../../src/demo/generate-world.js';
import { TABLE_NAMES, TABLES } from '../../src/model/tables.js';
import { PARQUET_TYPE } from '../../src/store/duckdb/table-file-writer.js';

let dir = '';
let world: WorldSummary;
let instance: DuckDBInstance;
let db: DuckDBConnection;

const rows = async (sql: string) => (await db.runAndReadAll(sql)).getRowsJS();
const num = async (sql: string) => Number((await rows(sql))[0]?.[0]);
const nums = async (sql: string) => ((await rows(sql))[0] ?? []).map(Number);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-world-'));
  world = await generateWorld({ scale: 'S', seed: 7, outDir: dir });
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
  for (const name of TABLE_NAMES) {
    await db.run(`CREATE VIEW ${name} AS SELECT * FROM read_parquet('${join(dir, world.files[name])}')`);
  }
  await db.run(
    `CREATE VIEW gt AS SELECT * FROM read_csv('${join(dir, world.groundTruthFile)}', header = true,
       columns = {'account_id': 'VARCHAR', 'churned': 'BOOLEAN', 'churn_at': 'TIMESTAMP', 'causes': 'VARCHAR'})`,
  );
  await db.run(`CREATE VIEW paying AS SELECT DISTINCT account_id FROM subscriptions WHERE mrr > 0`);
});

afterAll(async () => {
  db?.closeSync();
  instance?.closeSync();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('generateWorld (S, seed 7)', () => {
  it('writes every table with the columns and types of src/model/tables.ts', async () => {
    for (const name of TABLE_NAMES) {
      const described = await rows(`DESCRIBE ${name}`);
      const actual = described.map((r) => [r[0], r[1]]);
      const expected = TABLES[name].columns.map((c) => [c.name, PARQUET_TYPE[c.type]]);
      expect(actual, name).toEqual(expected);
    }
    expect(world.files.events).toBe('events/*.parquet');
  });

  it('reports row counts that match the files, in the manifest too', async () => {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as WorldSummary;
    expect(manifest).toEqual(world);
    for (const name of TABLE_NAMES)
      expect(await num(`SELECT count(*) FROM ${name}`), name).toBe(world.rows[name]);
    expect(world.rows.accounts).toBe(2000);
    expect(await num('SELECT count(*) FROM gt')).toBe(2000);
    expect(world.endDate).toBe('2026-10-31T23:59:59.000Z');
  });

  it('lands near 100 events per account (140k-260k for S)', () => {
    expect(world.rows.events).toBeGreaterThan(140_000);
    expect(world.rows.events).toBeLessThan(260_000);
  });

  it('keeps ids unique, JSON columns valid and everything inside the calendar', async () => {
    expect(await num('SELECT count(*) - count(DISTINCT event_id) FROM events')).toBe(0);
    expect(await num('SELECT count(*) - count(DISTINCT ticket_id) FROM tickets')).toBe(0);
    expect(await num('SELECT count(*) - count(DISTINCT user_id) FROM users')).toBe(0);
    expect(await num('SELECT count(*) FROM events WHERE NOT json_valid(properties)')).toBe(0);
    expect(
      await num('SELECT count(*) FROM events JOIN users u USING (user_id) WHERE ts < u.created_at'),
    ).toBe(0);
    expect(await num('SELECT count(*) FROM accounts WHERE NOT json_valid(traits)')).toBe(0);
    const [min, max] = await nums(`SELECT epoch_ms(min(ts)), epoch_ms(max(ts)) FROM events`);
    expect(min).toBeGreaterThanOrEqual(Date.parse(world.startDate));
    expect(max).toBeLessThanOrEqual(Date.parse(world.endDate));
    expect(
      await num(
        `SELECT count(*) FROM users WHERE NOT ends_with(email, '@' || (SELECT domain FROM accounts a WHERE a.account_id = users.account_id))`,
      ),
    ).toBe(0);
  });

  it('draws log-normal head counts: median 50-95, p90 330-700, bigger in manufacturing than services', async () => {
    const [median, p90] = await nums('SELECT median(employees), quantile_cont(employees, 0.9) FROM accounts');
    expect(median).toBeGreaterThanOrEqual(50);
    expect(median).toBeLessThanOrEqual(95);
    expect(p90).toBeGreaterThanOrEqual(330);
    expect(p90).toBeLessThanOrEqual(700);
    const [manufacturing, services] = await nums(
      `SELECT median(employees) FILTER (WHERE industry = 'Manufacturing'), median(employees) FILTER (WHERE industry = 'Professional Services') FROM accounts`,
    );
    expect(manufacturing).toBeGreaterThan(2 * (services ?? 0));
  });

  it('mixes industries by region and signs up fewer accounts in December than in September', async () => {
    const [apac, na] = await nums(
      `SELECT avg((industry = 'Manufacturing')::INT) FILTER (WHERE region = 'APAC'), avg((industry = 'Manufacturing')::INT) FILTER (WHERE region = 'NA') FROM accounts`,
    );
    expect(apac).toBeGreaterThan(na ?? 1);
    const [december, september] = await nums(
      'SELECT count(*) FILTER (WHERE month(created_at) = 12), count(*) FILTER (WHERE month(created_at) = 9) FROM accounts',
    );
    expect(december).toBeLessThan(0.6 * (september ?? 0));
  });

  it('converts the trial funnel step by step within the stated ranges', async () => {
    const [started, completed, paid] = await nums(`
      WITH f AS (
        SELECT account_id, bool_or(event = 'trial_started') AS t, bool_or(event = 'trial_completed') AS c,
               bool_or(event = 'subscription_paid') AS p
        FROM events GROUP BY 1)
      SELECT avg(t::INT), sum(c::INT) / sum(t::INT), sum(p::INT) / sum(c::INT)
      FROM f JOIN accounts USING (account_id) WHERE created_at <= TIMESTAMP '2026-10-01'`);
    // Stated in lifecycle.ts: a trial 90% of the time (+3 points per tenfold head count around
    // 50 employees), finished 85% x propensity^0.35 (log-normal propensity: about 87% on
    // average), paid 92% (+4 points per tenfold head count) of the time.
    expect(started).toBeGreaterThanOrEqual(0.85);
    expect(started).toBeLessThanOrEqual(0.95);
    expect(completed).toBeGreaterThanOrEqual(0.76);
    expect(completed).toBeLessThanOrEqual(0.9);
    expect(paid).toBeGreaterThanOrEqual(0.86);
    expect(paid).toBeLessThanOrEqual(0.98);
    expect(await num(`SELECT count(*) FROM accounts WHERE plan = 'free' AND mrr <> 0`)).toBe(0);
  });

  it('ends with most accounts paying: 50-66%', async () => {
    // About 90% x 87% x 93% = 73% of the accounts whose trial is decided pay, and about a
    // fifth of those churn by the end (the next test): about 58% pay at the end.
    const share = await num('SELECT avg((mrr > 0)::INT) FROM accounts');
    expect(share).toBeGreaterThanOrEqual(0.5);
    expect(share).toBeLessThanOrEqual(0.66);
  });

  it('churns 12-32% of paying accounts and shows no activity after churn', async () => {
    const rate = await num(
      'SELECT avg(churned::INT) FROM gt WHERE account_id IN (SELECT account_id FROM paying)',
    );
    expect(rate).toBeGreaterThanOrEqual(0.12);
    expect(rate).toBeLessThanOrEqual(0.32);
    expect(
      await num('SELECT count(*) FROM gt WHERE churned AND account_id NOT IN (SELECT * FROM paying)'),
    ).toBe(0);
    expect(
      await num('SELECT count(*) FROM events JOIN gt USING (account_id) WHERE churned AND ts > churn_at'),
    ).toBe(0);
    expect(
      await num('SELECT count(*) FROM accounts JOIN gt USING (account_id) WHERE churned AND mrr <> 0'),
    ).toBe(0);
  });

  it('agrees with the subscriptions: churned accounts end with a canceled period at churn_at', async () => {
    const mismatched = await num(`
      SELECT count(*) FROM gt WHERE churned <> EXISTS (
        SELECT 1 FROM subscriptions s WHERE s.account_id = gt.account_id AND s.status = 'canceled' AND s.ends_at = gt.churn_at)`);
    expect(mismatched).toBe(0);
    const inconsistent = await num(`
      SELECT count(*) FROM accounts a JOIN subscriptions s ON s.account_id = a.account_id AND s.ends_at IS NULL
      WHERE s.plan <> a.plan OR s.mrr <> a.mrr`);
    expect(inconsistent).toBe(0);
    const open = await num(
      `SELECT count(*) FROM (SELECT account_id, count(*) FILTER (WHERE ends_at IS NULL) n FROM subscriptions GROUP BY 1) WHERE n > 1`,
    );
    expect(open).toBe(0);
    expect(await num(`SELECT count(*) FROM subscriptions WHERE status = 'replaced'`)).toBeGreaterThan(300);
  });

  it('gives bigger plans more usage (events per account rise with the plan)', async () => {
    const [free, starter, growth, enterprise] = await nums(`
      WITH n AS (SELECT account_id, count(*) AS n FROM events GROUP BY 1)
      SELECT ${['free', 'starter', 'growth', 'enterprise'].map((p) => `avg(coalesce(n, 0)) FILTER (WHERE plan = '${p}')`).join(', ')}
      FROM accounts LEFT JOIN n USING (account_id)`);
    expect(free).toBeLessThan(starter ?? 0);
    expect(starter).toBeLessThan(growth ?? 0);
    expect(growth).toBeLessThan(enterprise ?? 0);
  });

  it('shows falling usage before churn for accounts churned by falling usage', async () => {
    const [last60, before] = await nums(`
      WITH c AS (
        SELECT account_id, churn_at FROM gt
        WHERE churned AND causes LIKE '%falling_usage%' AND account_id IN (
          SELECT account_id FROM subscriptions WHERE mrr > 0 AND starts_at < gt.churn_at - INTERVAL 150 DAY))
      SELECT count(*) FILTER (WHERE ts > churn_at - INTERVAL 60 DAY),
             count(*) FILTER (WHERE ts BETWEEN churn_at - INTERVAL 150 DAY AND churn_at - INTERVAL 90 DAY)
      FROM c JOIN events USING (account_id)`);
    expect(before).toBeGreaterThan(20); // enough events for the comparison to mean something
    expect(last60).toBeLessThan(0.8 * (before ?? 0));
  });

  it('lets hidden causes show in tickets and surveys', async () => {
    const [troubledCsat, calmCsat, troubledOpen, calmOpen] = await nums(`
      SELECT avg(csat) FILTER (WHERE t), avg(csat) FILTER (WHERE NOT t),
             avg((resolved_at IS NULL)::INT) FILTER (WHERE t), avg((resolved_at IS NULL)::INT) FILTER (WHERE NOT t)
      FROM (SELECT *, coalesce(causes LIKE '%unresolved_tickets%', false) AS t FROM tickets JOIN gt USING (account_id))`);
    expect(troubledCsat).toBeLessThan((calmCsat ?? 0) - 0.5);
    expect(troubledOpen).toBeGreaterThan(2 * (calmOpen ?? 1));
    const [detractorNps, otherNps] = await nums(`
      SELECT avg(nps) FILTER (WHERE d), avg(nps) FILTER (WHERE NOT d)
      FROM (SELECT *, coalesce(causes LIKE '%detractor_nps%', false) AS d FROM surveys JOIN gt USING (account_id))`);
    expect(detractorNps).toBeLessThan((otherNps ?? 0) - 1);
  });

  it('records plan, MRR and head-count changes in trait_history ending at the current values', async () => {
    const stale = await num(`
      SELECT count(*) FROM accounts a JOIN (
        SELECT account_id, arg_max(value, ts) AS v FROM trait_history WHERE trait = 'employees' GROUP BY 1) h USING (account_id)
      WHERE h.v <> a.employees::VARCHAR`);
    expect(stale).toBe(0);
    const traits = (await rows('SELECT DISTINCT trait FROM trait_history ORDER BY 1')).map((r) => r[0]);
    expect(traits).toEqual(['billing', 'employees', 'mrr', 'plan']);
    // The billing term is recorded once, at the first payment, as the accounts' traits say.
    const billing = await nums(`
      SELECT count(*), count(*) FILTER (WHERE h.value = (a.traits->>'billing') AND h.ts = p.paid_at)
      FROM trait_history h JOIN accounts a USING (account_id)
      JOIN (SELECT account_id, min(starts_at) AS paid_at FROM subscriptions WHERE mrr > 0 GROUP BY 1) p USING (account_id)
      WHERE h.trait = 'billing'`);
    expect(billing[0]).toBe(await num('SELECT count(DISTINCT account_id) FROM paying'));
    expect(billing[1]).toBe(billing[0]);
  });
});
