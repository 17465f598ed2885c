import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { AbReport } from '../../src/analytics/abtest/abtest.js';
import type { HoldoutReport } from '../../src/ml/holdout-report.js';
import { LATEST_SCHEMA_VERSION } from '../../src/store/duckdb/migrations.js';
import { heldStoreCli } from '../helpers/in-process-cli.js';
import { longNumbers } from '../helpers/long-numbers.js';
import { modulesLoaded, runCli, strataBin } from '../helpers/run-cli.js';
import { serveProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir();

interface DemoResult {
  world: { scale: string; seed: number; rows: Record<string, number> };
  imports: { table: string; rowsRead: number; inserted: number; unchanged: number; skipped: number }[];
  tables: { table: string; rows: number; from: string | null; to: string | null }[];
  schemaVersion: number;
  run: {
    runId: number;
    asOf: string;
    accounts: number;
    segments: { segment: string; after: number }[];
    schemes: { scheme: string; accounts: number }[];
  };
  examples: { kind: string; name: string; note: string }[];
}

describe('strata demo on the S world, end to end', () => {
  const ws = join(dir, 'demo');
  /** The real CLI with --json on the demo; fails with its output unless it exits 0. */
  const cli = (...args: string[]) => {
    const run = runCli([...args, '-w', ws, '--json']);
    if (run.code !== 0)
      throw new Error(`strata ${args.join(' ')} exited ${run.code}: ${run.stderr}${run.stdout}`);
    return run.json<Record<string, unknown> & { clock?: { at: string; source: string } }>();
  };
  /**
   * The same CLI run in this process on the store held open as `strata serve` holds it
   * (helpers/in-process-cli.ts), until the test ends: for the tests whose point is what commands
   * answer or print, not the process around them (a start costs half a second). The demo, exit
   * codes, `| head -1`, the modules loaded at start-up, plan and run, and the CLI beside a server
   * run the built CLI.
   */
  const heldCli = async () => {
    const held = await heldStoreCli(ws);
    onTestFinished(() => held.close());
    const json = async (...args: string[]) => {
      const run = await held.run([...args, '--json']);
      if (run.code !== 0)
        throw new Error(`strata ${args.join(' ')} exited ${run.code}: ${run.stderr}${run.stdout}`);
      return run.json<Record<string, unknown> & { clock?: { at: string; source: string } }>();
    };
    return { run: held.run, json };
  };
  /** What the CLI said, kept for the API to be compared with. */
  const said: Record<string, Record<string, unknown>> = {};
  /** The modules `status --json` loaded. */
  let loadedByStatus: string[] = [];

  it('generates, writes a workspace, imports every table, and reports what is there', () => {
    const run = runCli(['demo', '-w', ws, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const demo = run.json<DemoResult>();
    expect(demo.world).toMatchObject({ scale: 'S', seed: 42 });
    expect(demo.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    // Every generated row reached its table: what the generator counted is what the store holds.
    for (const table of demo.tables) {
      expect(table.rows, table.table).toBe(demo.world.rows[table.table]);
      expect(table.rows, table.table).toBeGreaterThan(0);
    }
    const accounts = demo.tables.find((t) => t.table === 'accounts')?.rows ?? 0;
    const events = demo.tables.find((t) => t.table === 'events')?.rows ?? 0;
    expect(accounts).toBe(2000);
    expect(events).toBeGreaterThan(140_000);
    expect(events).toBeLessThan(260_000);
    expect(demo.imports.every((i) => i.skipped === 0)).toBe(true);
    // The template's segments ran at the world's end over every account; each scheme partitions them.
    // Runs 1 and 2 are two months and one month before the end, so the dashboard has changes
    // and transitions to show and the A/B test starts inside the data.
    expect(demo.run).toMatchObject({ runId: 3, asOf: '2026-10-31T23:59:59.000Z', accounts: 2000 });
    const moved = cli('transitions') as {
      from: number;
      to: number;
      segments: { segment: string; entered: number; exited: number }[];
    };
    said.transitions = moved;
    expect([moved.from, moved.to]).toEqual([2, 3]);
    expect(moved.segments.some((m) => m.entered + m.exited > 0)).toBe(true);
    // The dashboard's other examples: a clustering, a churn model and an A/B test, saved in the workspace.
    expect(demo.examples.map((e) => [e.kind, e.name])).toEqual([
      ['clustering', 'usage'],
      ['model', 'churn'],
      ['A/B test', 'save_offer'],
    ]);
    expect(existsSync(join(ws, 'models', 'usage', 'v1.json'))).toBe(true);
    expect(existsSync(join(ws, 'models', 'churn', 'v1.json'))).toBe(true);
    expect(demo.run.segments.length).toBeGreaterThanOrEqual(25);
    for (const scheme of new Set(demo.run.schemes.map((s) => s.scheme))) {
      const total = demo.run.schemes
        .filter((s) => s.scheme === scheme)
        .reduce((sum, s) => sum + s.accounts, 0);
      expect(total, scheme).toBe(2000);
    }
    // The workspace names the generated files as its sources.
    expect(readFileSync(join(ws, 'strata.yaml'), 'utf8')).toMatch(
      /events: \{ file: "data\/events\/\*\.parquet" \}/,
    );
  });

  it('shows results worth showing: a churn model above chance, an A/B test with outcomes, a funnel, RFM over payers', async () => {
    const held = await heldCli();
    const json = async <T>(args: string[]) => (await held.json(...args)) as T;
    // Read back independently of Strata: the generated files, in an in-memory DuckDB.
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    const count = async (sql: string) => Number((await db.runAndReadAll(sql)).getRowsJS()[0]?.[0]);
    const data = (file: string) => `read_parquet('${join(ws, 'data', file)}')`;
    try {
      // The churn model ranks held-out accounts better than chance (its 95% interval is above
      // 0.5) and its probabilities beat always saying the base rate, and the demo says so.
      const { report } = await json<{ report: HoldoutReport }>(['predict', 'report', 'churn']);
      expect(report.verdict).toBe('usable');
      expect(report.rocAucInterval?.low).toBeGreaterThan(0.5);
      expect(report.brier).toBeLessThan(report.baselineBrier);
      expect(report.holdout.positives).toBeGreaterThanOrEqual(30);

      // save_offer was assigned as of run 1 (60 days before the end): its members are run 1's
      // at_risk members, and each variant's share with a session within 30 days of assignment
      // is what the event files say.
      const ab = await json<AbReport>([
        'ab',
        'report',
        'save_offer',
        '--event',
        'session_start',
        '--within',
        '30d',
      ]);
      expect(ab.test.createdAt).toBe('2026-09-01T23:59:59.000Z');
      expect(ab.asOf).toBe('2026-10-31T23:59:59.000Z');
      const atRisk = await json<{ total: number }>([
        'segments',
        'members',
        'at_risk',
        '--run',
        '1',
        '--limit',
        '1',
      ]);
      expect(ab.variants.reduce((sum, v) => sum + v.accounts, 0)).toBe(atRisk.total);
      const assignments = join(dir, 'save_offer.csv');
      await json(['ab', 'export', 'save_offer', '--out', assignments]);
      for (const variant of ab.variants) {
        const active = await count(`SELECT count(DISTINCT a.account_id) FROM read_csv('${assignments}') a
          JOIN ${data('events/*.parquet')} e ON e.account_id = a.account_id AND e.event = 'session_start'
            AND e.ts > TIMESTAMP '2026-09-01 23:59:59' AND e.ts <= TIMESTAMP '2026-10-01 23:59:59'
          WHERE a.variant = '${variant.variant}'`);
        expect(active, variant.variant).toBeGreaterThan(0);
        expect(variant.value, variant.variant).toBeCloseTo(active / variant.accounts, 12);
      }

      // The workspace defines funnels; the trial funnel's first step is every account's signup
      // and its last every payer (paying comes at most 21 days after signup: a trial starts
      // within 4 days, lasts 14, and payment follows within 3).
      const funnel = await json<{ overall: { reached: number[] } }>(['analyze', 'funnel', 'trial_to_paid']);
      const payers = await count(
        `SELECT count(DISTINCT account_id) FROM ${data('events/*.parquet')} WHERE event = 'subscription_paid'`,
      );
      expect(funnel.overall.reached[0]).toBe(2000);
      expect(funnel.overall.reached[3]).toBe(payers);
      expect(Math.min(...funnel.overall.reached)).toBeGreaterThan(0);
      // A step typed with the wrong case is refused by name, not counted as 0 accounts.
      const typo = await held.run(['analyze', 'funnel', '--steps', 'signup,Subscription_paid']);
      expect(typo.code).toBe(1);
      expect(typo.stderr).toContain(
        "--steps: no stored event is named 'Subscription_paid' - did you mean 'subscription_paid'? (names are case-sensitive)",
      );

      // RFM scores the paying accounts, most of them; Champions are a minority of accounts.
      const rfm = await json<{
        accounts: number;
        paying: number;
        cells: { cell: string; accounts: number }[];
        accountScores: { total: number; shown: number; rows: { account_id: string; monetary: number }[] };
      }>(['analyze', 'rfm']);
      said.rfm = rfm as unknown as Record<string, unknown>;
      // Each account's scores, the first 1,000 of the 2,000 by default, highest monetary first.
      expect(rfm.accountScores).toMatchObject({ total: 2000, shown: 1000 });
      const [top] = (
        await db.runAndReadAll(
          `SELECT account_id FROM ${data('accounts.parquet')} ORDER BY mrr DESC, account_id LIMIT 1`,
        )
      ).getRowsJS();
      expect(rfm.accountScores.rows[0]?.account_id).toBe(top?.[0]);
      const paying = await count(`SELECT count(*) FROM ${data('accounts.parquet')} WHERE mrr > 0`);
      expect(rfm.paying).toBe(paying);
      expect(paying).toBeGreaterThan(rfm.accounts / 2);
      const champions = rfm.cells.find((c) => c.cell === 'Champions')?.accounts ?? 0;
      expect(champions).toBeGreaterThan(0);
      expect(champions).toBeLessThan(0.2 * rfm.accounts);

      // No two of the template's segments have the same members run after run (strategic is not top_revenue).
      expect((await json<{ identical: unknown[] }>(['validate'])).identical).toEqual([]);
    } finally {
      db.closeSync();
      instance.closeSync();
    }
  });

  // A new user's first hour (issue #19), as the README tells it: the commands of its table on
  // the demo, the dashboard's API beside them, the CLI while `strata serve` runs, and (at the
  // end, as it adds a run) an edit of strata.yaml with plan and run. What is asserted comes
  // from the data or from a second way to the same number, not from the command's own answer.
  it('dates every analysis at the latest run, not after the data, and shows the values the data has', async () => {
    // Its modules are listed for the start-up test below: one run of `status` for both.
    const probed = modulesLoaded(['status', '-w', ws, '--json']);
    loadedByStatus = probed.modules;
    const status = probed.run.json<{ tables: { to: string | null }[] }>();
    const end = Math.max(...status.tables.map((t) => Date.parse(t.to ?? '')).filter(Number.isFinite));
    const { json } = await heldCli();
    const notAfterData = (name: string, result: { clock?: { at: string; source: string } }) => {
      expect(result.clock, `${name} says which time it used`).toBeDefined();
      expect(Date.parse(result.clock?.at ?? ''), name).toBeLessThanOrEqual(end + 86_400_000);
      expect(result.clock?.source, name).toBe('latest run');
    };
    const segments = (await json('segments', 'list')) as { runId: number; asOf: string };
    said.segments = segments;
    expect(Date.parse(segments.asOf)).toBeLessThanOrEqual(end + 86_400_000);

    // The same command as the test above: its answer is read again, not asked again.
    const rfm = said.rfm as {
      clock?: { at: string; source: string };
      paying: number;
      accounts: number;
      cells: { cell: string; accounts: number; share: number; frequency: number | null }[];
    };
    notAfterData('rfm', rfm);
    const champions = rfm.cells.find((c) => c.cell === 'Champions');
    expect(champions?.frequency).toBeGreaterThan(0);
    expect(champions?.share).toBeLessThan(0.25);
    expect(rfm.paying / rfm.accounts, 'most accounts of a B2B SaaS world pay').toBeGreaterThan(0.5);

    const cohorts = (await json('analyze', 'cohorts')) as {
      clock?: { at: string; source: string };
      unavailable: unknown[];
      cohorts: { cohort: string; periods: { active: number }[] }[];
    };
    notAfterData('cohorts', cohorts);
    expect(cohorts.unavailable).toEqual([]);
    expect(cohorts.cohorts.at(-1)?.periods[0]?.active, 'the latest cohort is active').toBeGreaterThan(0);
    said.cohorts = cohorts;

    const icp = (await json('analyze', 'icp')) as {
      clock?: { at: string; source: string };
      overall: { usage: { mean: number } };
    };
    notAfterData('icp', icp);
    expect(icp.overall.usage.mean).toBeGreaterThan(0);

    const clusters = (await json('cluster', '--metrics', 'sessions_30d,mrr,adoption')) as {
      clock?: { at: string; source: string };
      accounts: number;
      clusters: { accounts: number; means: Record<string, number> }[];
    };
    notAfterData('cluster', clusters);
    for (const c of clusters.clusters) expect(c.accounts / clusters.accounts).toBeGreaterThanOrEqual(0.02);
    expect(Math.max(...clusters.clusters.map((c) => c.means.sessions_30d ?? 0))).toBeGreaterThan(0);

    // The model's verdict, the A/B test's outcomes, the funnel: the test above.
    const scores = (await json('predict', 'score', 'churn', '--top', '3')) as {
      clock?: { at: string; source: string };
      accounts: number;
    };
    notAfterData('predict score', scores);
    expect(scores.accounts).toBeGreaterThan(0);

    const ab = (await json('ab', 'report', 'save_offer', '--event', 'session_start')) as {
      clock?: { at: string; source: string };
      variants: { variant: string; accounts: number; value: number }[];
    };
    notAfterData('ab report', ab);
    expect(ab.variants.every((v) => v.accounts > 0)).toBe(true);
    expect(
      ab.variants.some((v) => v.value > 0),
      'the test has outcomes',
    ).toBe(true);
    said.ab = ab;

    // The run stored the at_risk entries and exits; `changes --since 30d` counts them.
    const transitions = said.transitions as {
      segments: { segment: string; entered: number; exited: number }[];
    };
    const atRisk = transitions.segments.find((s) => s.segment === 'at_risk');
    const changes = (await json('segments', 'changes', 'at_risk', '--since', '30d')) as { total: number };
    expect(atRisk?.entered ?? 0).toBeGreaterThan(0);
    expect(changes.total).toBe((atRisk?.entered ?? 0) + (atRisk?.exited ?? 0));
    said.changes = changes;
  });

  it('gives the same numbers through the API the dashboard reads', async () => {
    const key = cli('keys', 'create', '--scope', 'read') as { key: string };
    const { child, url } = await serveProcess(ws);
    try {
      const api = async <T>(path: string): Promise<T> => {
        const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key.key}` } });
        expect(response.status, path).toBe(200);
        return (await response.json()) as T;
      };
      const rfm = await api<{ asOf: string; cells: unknown[] }>('/v1/rfm');
      expectSameNumbers(rfm.cells, said.rfm?.cells);
      expect(rfm.asOf).toBe(said.rfm?.asOf);
      const cohorts = await api<{ cohorts: unknown[] }>('/v1/cohorts');
      expectSameNumbers(cohorts.cohorts, said.cohorts?.cohorts);
      const changes = await api<{ total: number }>('/v1/segments/at_risk/changes?since=30d');
      expect(changes.total).toBe(said.changes?.total);
      const ab = await api<{ variants: unknown[] }>('/v1/ab/save_offer?event=session_start');
      expectSameNumbers(ab.variants, said.ab?.variants);

      // The why-tree the dashboard draws: what `strata explain --json` says, its leaves' values
      // typed (at_risk compares numbers only: health, its change, open tickets) and words rounded.
      type Why = { segments: { tree: { children: { value?: unknown; text: string }[] } }[] };
      const why = await api<Why>('/v1/accounts/acc_0000021/explain?segment=at_risk');
      expect(why.segments).toEqual((cli('explain', 'acc_0000021', 'at_risk') as unknown as Why).segments);
      const leaves = why.segments[0]?.tree.children ?? [];
      expect(leaves.map((leaf) => typeof leaf.value)).toEqual(['number', 'number', 'number']);
      expect(leaves.flatMap((leaf) => longNumbers(leaf.text))).toEqual([]);

      // The CLI works while the server holds the store: a read and a write.
      expect(cli('segments', 'list')).toEqual(said.segments);
      const status = cli('status') as { tables: unknown[] };
      expect(status.tables.length).toBeGreaterThan(0);
    } finally {
      await stop(child);
    }
  });

  it('stops quietly when the reader of its output stops early (| head -1)', () => {
    const piped = spawnSync(
      'sh',
      [
        '-c',
        `"${process.execPath}" "${strataBin()}" segments members smb -w "${ws}" --limit 100000 | head -1`,
      ],
      { encoding: 'utf8' },
    );
    expect(piped.stdout).toMatch(/^[\d,]+ accounts in 'smb'/);
    expect(piped.stderr).toBe('');
  });

  it('loads no module a DuckDB workspace without schedules or webhooks needs not (start-up time)', () => {
    // The ClickHouse client, cron-parser (with luxon) and ipaddr.js cost ~100 ms of start-up
    // together and serve none of this command.
    // `status --json` as the first hour ran it (the test above): its modules, listed at its exit.
    const loaded = loadedByStatus;
    expect(loaded.some((file) => file.includes('@duckdb'))).toBe(true);
    expect(loaded.filter((file) => /@clickhouse|cron-parser|luxon|ipaddr\.js/.test(file))).toEqual([]);
  });

  it('is idempotent: a second run reuses the world, duplicates nothing and keeps an edited strata.yaml', () => {
    const edited = `${readFileSync(join(ws, 'strata.yaml'), 'utf8')}# edited by hand\n`;
    writeFileSync(join(ws, 'strata.yaml'), edited);
    const demo = runCli(['demo', '-w', ws, '--json']).json<DemoResult>();
    expect(demo.imports.every((i) => i.inserted === 0 && i.unchanged === i.rowsRead)).toBe(true);
    expect(readFileSync(join(ws, 'strata.yaml'), 'utf8')).toBe(edited);
    expect(demo.examples).toEqual([]);
    expect(demo.run.runId).toBe(4);
    expect(existsSync(join(ws, 'models', 'churn', 'v2.json'))).toBe(false);
    // Nothing changed since: the latest run is shown again, not repeated.
    expect(runCli(['demo', '-w', ws, '--json']).json<DemoResult>().run.runId).toBe(4);
  });

  it('lists segments, shows one, pages its members, and measures overlaps that agree with the member lists', async () => {
    // `segments list --json` as the first hour read it: the same data and definitions since.
    const list = said.segments as unknown as { segments: { segment: string; accounts: number }[] };
    const sizes = new Map(list.segments.map((s) => [s.segment, s.accounts]));
    const { json, run } = await heldCli();
    const membersOf = async (id: string) =>
      (
        (await json('segments', 'members', id, '--limit', '5000')) as { members: { account_id: string }[] }
      ).members.map((m) => m.account_id);
    const overlap = (await json('segments', 'overlap')) as {
      pairs: { a: string; b: string; both: number; jaccard: number }[];
    };
    const pair = overlap.pairs.find((p) => p.a === 'healthcare' && p.b === 'mid_market');
    const healthcare = new Set(await membersOf('healthcare'));
    const midMarket = await membersOf('mid_market');
    expect(healthcare.size).toBe(sizes.get('healthcare'));
    const shared = midMarket.filter((id) => healthcare.has(id)).length;
    expect(pair?.both).toBe(shared);
    expect(pair?.jaccard).toBeCloseTo(shared / (healthcare.size + midMarket.length - shared), 12);
    // A child's members are a subset of its parent's.
    expect((await membersOf('mm_healthcare')).every((id) => midMarket.includes(id))).toBe(true);
    const show = await run(['segments', 'show', 'mm_healthcare']);
    expect(show.stdout).toContain(
      'mm_healthcare: { framework: firmographic, parent: mid_market, where: { segment: healthcare } }',
    );
    const page = (await json('segments', 'members', 'paying', '--limit', '3', '--sort', 'health')) as {
      members: { metrics: { health: number } }[];
    };
    const health = page.members.map((m) => m.metrics.health);
    expect(health).toEqual([...health].sort((a, b) => b - a));
  });

  it('plans an edit and runs it with the same counts', () => {
    const path = join(ws, 'strata.yaml');
    const yaml = readFileSync(path, 'utf8');
    writeFileSync(
      path,
      `${yaml.replace(/^segments:\n/m, 'segments:\n  busy: { where: { metric: sessions_30d, gte: 10 } }\n')}
triggers:
  watch: { segments: [at_risk, busy, top_revenue] }
`,
    );
    const plan = cli('plan') as {
      asOf: string;
      segments: { segment: string; added: number; removed: number; unchanged: number }[];
      triggers: unknown[];
    };
    // How strata serve keeps each trigger segment current, read from the template by hand:
    // at_risk (a health score over 30-day sessions, a drop over 30 days, open tickets) and busy
    // (30-day sessions) in memory, both moving with time; top_revenue ranks accounts by MRR,
    // in memory too (its ranks computed again at each sweep).
    expect(plan.triggers).toEqual([
      {
        trigger: 'watch',
        segment: 'at_risk',
        incremental: true,
        reason: null,
        withTime: true,
        withOthers: false,
      },
      {
        trigger: 'watch',
        segment: 'busy',
        incremental: true,
        reason: null,
        withTime: true,
        withOthers: false,
      },
      {
        trigger: 'watch',
        segment: 'top_revenue',
        incremental: true,
        reason: null,
        withTime: false,
        withOthers: true,
      },
    ]);
    const run = cli('run') as {
      asOf: string;
      segments: { segment: string; after: number; entered: number; exited: number }[];
    };
    expect(run.asOf).toBe(plan.asOf);
    const planned = Object.fromEntries(plan.segments.map((s) => [s.segment, [s.added, s.removed]]));
    const ran = Object.fromEntries(run.segments.map((s) => [s.segment, [s.entered, s.exited]]));
    expect(ran).toEqual(planned);
    expect(planned.busy?.[0]).toBeGreaterThan(0);
  });

  // What a CS manager reads, printed for people: no number with more digits than its kind
  // allows (a score 53.6, money $33.15, a share 41.7%, another number three significant digits:
  // 0.0515, 3.14, 45.1), and no word the numbers contradict. Last in this suite: `run` adds a run.
  // The printed text is the point, not the process: twenty commands held in this process (heldCli).
  it('prints every table and sentence a CS manager reads with numbers rounded by their kind', async () => {
    const commands = [
      ['segments', 'list'],
      ['segments', 'show', 'at_risk'],
      ['segments', 'members', 'at_risk'],
      ['segments', 'overlap'],
      ['segments', 'changes', 'at_risk', '--limit', '50'],
      ['transitions'],
      ['explain', 'acc_0000021'],
      ['history', 'acc_0000021'],
      ['status'],
      ['plan'],
      ['run'],
      // One validation card: every segment's (`validate` alone) shows verdicts, no numbers.
      ['validate', 'at_risk'],
      ['playbook'],
      ['playbook', 'at_risk'],
      ['analyze', 'rfm'],
      ['analyze', 'cohorts'],
      ['analyze', 'funnel', 'trial_to_paid'],
      ['predict', 'report', 'churn'],
      ['cluster', '--metrics', 'sessions_30d,adoption,mrr'],
      ['ab', 'report', 'save_offer', '--event', 'session_start', '--within', '30d'],
    ];
    // The scanner itself, on what the CLI printed before numbers were rounded by kind.
    expect(longNumbers('health 53.61111111111112 at 2026-10-31T23:59:59.000Z, p = 0.6912, $33.15')).toEqual([
      '53.61111111111112 in "health 53.61111111111112 at 2026-10-31T23:59:59.000Z, p = 0.6912, $33.15"',
    ]);
    const failures: string[] = [];
    const printed: Record<string, string> = {};
    const held = await heldCli();
    for (const args of commands) {
      const run = await held.run(args);
      printed[args.join(' ')] = run.stdout;
      if (run.code !== 0) failures.push(`strata ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
      for (const found of longNumbers(run.stdout)) failures.push(`strata ${args.join(' ')}: ${found}`);
      for (const wrong of run.stdout.match(/\b1 accounts\b|(fell|rose) by -|: \{"|\["/g) ?? [])
        failures.push(`strata ${args.join(' ')}: says ${wrong}`);
    }
    expect(failures).toEqual([]);
    // A readable summary without --json.
    expect(printed.status).toMatch(/^table\s+rows\s+from\s+to$/m);
    expect(printed.status).toMatch(/^accounts\s+2,000\s+2023-11-\d\d\s+2026-10-\d\d$/m);
  });
});

describe('strata generate', () => {
  it('writes the same bytes for the same seed', () => {
    // 300 accounts: the same code writes every size; two S worlds cost 10 s of the budget.
    const generate = (out: string) =>
      runCli([
        'generate',
        '--scale',
        'S',
        '--accounts',
        '300',
        '--seed',
        '7',
        '--out',
        join(dir, out),
        '--json',
      ]);
    const [a, b] = [generate('a'), generate('b')];
    expect(a.code).toBe(0);
    const files = a.json<{ files: Record<string, string>; groundTruthFile: string }>();
    for (const file of [
      ...Object.values(files.files).filter((f) => !f.includes('*')),
      files.groundTruthFile,
    ]) {
      expect(readFileSync(join(dir, 'b', file)).equals(readFileSync(join(dir, 'a', file))), file).toBe(true);
    }
    expect(b.code).toBe(0);
  });

  it('rejects an unknown scale', () => {
    const run = runCli(['generate', '--scale', 'XL', '--out', join(dir, 'x')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--scale XL: expected one of S, M, L/);
  });
});

/**
 * The same document, numbers equal to 1e-9 relative: a sum of doubles in DuckDB depends on
 * the order its threads add them (40533.87 or 40533.869999999995).
 */
function expectSameNumbers(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(Math.abs(actual - expected), path).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
  } else if (expected !== null && typeof expected === 'object') {
    expect(actual !== null && typeof actual === 'object', path).toBe(true);
    const [a, e] = [actual as Record<string, unknown>, expected as Record<string, unknown>];
    expect(Object.keys(a).sort(), path).toEqual(Object.keys(e).sort());
    for (const key of Object.keys(e)) expectSameNumbers(a[key], e[key], `${path}.${key}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

/** Stops a server process and waits for it to exit. */
function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
