import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAbTest, exportAssignments, reportAbTest } from '../../src/analytics/abtest/abtest.js';
import { analyzeCohorts } from '../../src/analytics/cohorts/cohorts.js';
import { analyzeFunnel } from '../../src/analytics/funnels/funnel.js';
import { analyzeIcp } from '../../src/analytics/icp/icp.js';
import { segmentPerformance } from '../../src/analytics/performance/segment-performance.js';
import { analyzeQuality } from '../../src/analytics/quality/data-quality.js';
import { trailingRetention } from '../../src/analytics/retention/trailing-retention.js';
import { scoreRfm } from '../../src/analytics/rfm/rfm.js';
import { validateSegment } from '../../src/analytics/validation/validation-card.js';
import { evaluateWorkspace } from '../../src/engine/evaluate.js';
import { explainMembership } from '../../src/engine/explain-membership.js';
import { compareSnapshots, schemeFlows } from '../../src/engine/membership-diff.js';
import { listRuns, readRun } from '../../src/engine/run-snapshot.js';
import { accountHistory } from '../../src/engine/snapshots.js';
import { accountRows } from '../../src/identity/account-rows.js';
import { mapClusters } from '../../src/ml/cluster-map.js';
import { chooseFeatures, extractFeatures } from '../../src/ml/features.js';
import { labelRelation, parseTarget } from '../../src/ml/labels.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { sql, testSql } from '../helpers/sql.js';
import type { ParityCheck } from './parity-harness.js';
import { AS_OF, duckdbSegmentWorld, type SegmentWorld } from './segment-world.js';

export { AS_OF, importAndRun, type SegmentWorld } from './segment-world.js';

/**
 * The world in `dir` (segment-world.ts: imported into DuckDB at `dir/strata.duckdb` and run at
 * each time of AS_OF), with the hand-made models the model checks read.
 */
export async function segmentWorld(dir: string): Promise<SegmentWorld> {
  world = await duckdbSegmentWorld(dir);
  writeHandMadeModels(dir);
  return world;
}

/** The world of this test file (checks that need the workspace read it). */
let world: SegmentWorld;

/** What the segment engine must agree on. */
/** What every engine must answer as DuckDB does, for the world `world` (set by segmentWorld). */
export const SEGMENT_CHECKS: readonly ParityCheck[] = [
  ...AS_OF.map((_, i) => ({
    name: `run ${i + 1}: every account's segment flags, primary segments and metric values`,
    rows: async (store: Store) => {
      const rows = await store.query(testSql(`SELECT * FROM strata_run_${i + 1} ORDER BY account_id`));
      // A run's table holds its leaves' values only while its audit trail is written.
      const values = Object.keys(rows[0] ?? {}).filter((column) => column.startsWith('explain-value:'));
      if (values.length > 0) throw new Error(`run ${i + 1} kept leaf values: ${values.join(', ')}`);
      return rows;
    },
  })),
  {
    name: 'run sizes',
    rows: async (store) =>
      (await listRuns(store)).map((r) => ({ run: r.runId, asOf: r.asOf, sizes: r.sizes })),
  },
  {
    name: 'transitions: entered and exited per segment, moved per scheme',
    rows: async (store) => {
      const diff = await compareSnapshots(store, await readRun(store, 1), await readRun(store, 2));
      return [...diff.segments, ...Object.entries(diff.moved).map(([scheme, moved]) => ({ scheme, moved }))];
    },
  },
  {
    name: 'transitions: flows between primary segments',
    rows: async (store) => schemeFlows(store, await readRun(store, 1), await readRun(store, 2)),
  },
  {
    name: 'account history',
    rows: async (store) => {
      const [first] = await store.query<{ account_id: string }>(
        sql`SELECT account_id FROM strata_run_2 ORDER BY account_id LIMIT 1`,
      );
      return accountHistory(store, first?.account_id ?? '');
    },
  },
  {
    name: "audit trail: run 2's entries and exits, their causes and the leaves that changed",
    rows: async (store) => {
      const rows = await store.query(
        sql`SELECT run_id, account_id, segment, change, cause, path, holds_before, holds_after, value_before, value_after
         FROM strata_changes ORDER BY run_id, account_id, segment, path NULLS FIRST`,
      );
      // Not vacuous: the world's second run moves accounts, for reasons recorded leaf by leaf.
      if (!rows.some((r) => r.run_id === 2 && r.path !== null))
        throw new Error('no reasons recorded in run 2');
      // Each leaf's value as the new run computed it, read from the run's table while it held them.
      const values = rows.filter((r) => r.run_id === 2 && r.value_after !== null).map((r) => r.path);
      if (!values.some((path) => path !== null)) throw new Error('no leaf values recorded in run 2');
      return rows;
    },
  },
  {
    name: 'signup cohort labels (the signup_month and signup_quarter metrics)',
    rows: (store) =>
      store.query(
        testSql(`SELECT account_id, ${store.dialect.monthLabel('created_at', 'month')} AS month_label,
           ${store.dialect.monthLabel('created_at', 'quarter')} AS quarter_label FROM accounts ORDER BY account_id`),
      ),
  },
  // Analyses (issue #5) add their checks below, so every engine keeps DuckDB's answers.
  {
    name: 'RFM scores and cells as metrics of a workspace, with a percentile beside them',
    rows: async (store) => {
      const dir = join(world.dir, 'rfm-metrics');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'strata.yaml'),
        `metrics:
  cell: { rfm: cell }
  r: { rfm: r }
  fm: { rfm: fm }
  mrr_rank: { percentile: mrr }
segments:
  champions: { where: { metric: cell, in: [Champions, Loyal] } }
  top_mrr: { where: { top: 10%, by: mrr } }
`,
      );
      const evaluation = await evaluateWorkspace(store, loadWorkspace(dir), AS_OF[1] as Date);
      try {
        return await store.query(store.dialect.sql`SELECT * FROM ${evaluation} ORDER BY account_id`);
      } finally {
        await store.dropScratch(evaluation);
      }
    },
  },
  {
    // The demo world's api_call endpoints (text) and statuses (numbers), dashboards' widget
    // counts over any event, windowed and all time: distinct values counted alike on every engine.
    name: 'countDistinct metrics of event properties, and a segment on one',
    rows: async (store) => {
      const dir = join(world.dir, 'count-distinct');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'strata.yaml'),
        `metrics:
  endpoints_90d: { countDistinct: { event: api_call, property: endpoint }, within: 90d }
  statuses: { countDistinct: { event: api_call, property: status } }
  widget_sizes_30d: { countDistinct: { event: any, property: widgets, where: { feature: dashboards } }, within: 30d }
segments:
  broad_api: { where: { metric: endpoints_90d, gte: 3 } }
`,
      );
      const evaluation = await evaluateWorkspace(store, loadWorkspace(dir), AS_OF[1] as Date);
      try {
        return await store.query(store.dialect.sql`SELECT * FROM ${evaluation} ORDER BY account_id`);
      } finally {
        await store.dropScratch(evaluation);
      }
    },
  },
  {
    name: 'ICP report',
    rows: async (store) => {
      const report = await analyzeIcp(store, {
        asOf: AS_OF[1] as Date,
        minBase: 5,
        rows: await accountRows(store, world.workspace.config.identity),
      });
      return [report.overall, ...report.groups];
    },
  },
  {
    name: 'funnel by primary segment and by plan',
    rows: async (store) => {
      const funnel = {
        steps: ['signup', 'trial_started', 'trial_completed', 'subscription_paid'],
        withinDays: 30,
      };
      const asOf = AS_OF[1] as Date;
      const events = (await accountRows(store, world.workspace.config.identity)).events;
      return [
        await analyzeFunnel(store, funnel, { asOf, events, by: 'scheme:cs_tiers' }),
        await analyzeFunnel(store, funnel, { asOf, events, by: 'plan' }),
      ];
    },
  },
  {
    name: 'data quality: coverage overall and in a segment, freshness',
    rows: async (store) => {
      const report = await analyzeQuality(store, world.workspace, AS_OF[1] as Date);
      // The import times differ between stores by nature: compare what the data says.
      return [report.attributes, report.segments, report.freshness.map((f) => ({ ...f, lastImport: null }))];
    },
  },
  {
    name: 'validation cards',
    rows: async (store) =>
      Promise.all(
        ['at_risk', 'mm_healthcare', 'renewal_due'].map((id) => validateSegment(store, world.workspace, id)),
      ),
  },
  {
    name: 'segment performance: members and metric means per segment per run',
    rows: async (store) => (await segmentPerformance(store, world.workspace)).rows,
  },
  {
    name: 'A/B test: hashed split of a segment, conversion and metric reports',
    rows: async (store) => {
      const start = new Date('2026-10-01T00:00:00Z');
      // The reference store answers every comparison: create the test once.
      await createAbTest(
        store,
        world.workspace,
        { test: 'parity', segment: 'paying', ratio: 0.3 },
        start,
      ).catch((error: unknown) => {
        if ((error as { code?: string }).code !== 'test_exists') throw error;
      });
      const assignments = await store.query(
        sql`SELECT account_id, variant FROM strata_ab_assignments WHERE test = 'parity' ORDER BY account_id`,
      );
      const converted = await reportAbTest(
        store,
        world.workspace,
        'parity',
        { event: 'session_start', withinDays: 14 },
        AS_OF[1] as Date,
      );
      const metric = await reportAbTest(
        store,
        world.workspace,
        'parity',
        { metric: 'mrr' },
        AS_OF[1] as Date,
      );
      // The export, read back: the same rows whatever quoting the engine writes.
      const file = join(world.dir, `ab-${store.dialect.name}-${Math.random().toString(36).slice(2)}.csv`);
      await exportAssignments(store, 'parity', file);
      const exported = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.replaceAll('"', ''));
      return [
        ...assignments,
        { converted: converted.variants, comparison: converted.comparison },
        { metric: metric.variants },
        { exported },
      ];
    },
  },
  {
    name: 'cohorts by month: retention per period, survival, revenue to date, tests',
    rows: async (store) =>
      (
        await analyzeCohorts(store, {
          asOf: AS_OF[1] as Date,
          comparePeriod: 2,
          rows: await accountRows(store, world.workspace.config.identity),
        })
      ).cohorts.map((c) => ({
        ...c,
        projection: c.projection && { alpha: c.projection.alpha, beta: c.projection.beta },
      })),
  },
  {
    name: "RFM: every account's recency, frequency, monetary value, scores and cell",
    rows: async (store) => {
      const scores = await scoreRfm(store, world.workspace, AS_OF[1] as Date);
      try {
        return await store.query(store.dialect.sql`SELECT * FROM ${scores.table} ORDER BY account_id`);
      } finally {
        await store.dropScratch(scores.table);
      }
    },
  },
  // Models (issue #6): features and labels in the database, saved models compiled to SQL.
  {
    name: 'model features and churn labels at a snapshot (standard set, one-hot categories, workspace metrics)',
    rows: async (store) => {
      const at = AS_OF[0] as Date;
      const spec = await chooseFeatures(store, world.workspace, { currentTraitsAllowed: false });
      const rows = await accountRows(store, world.workspace.config.identity);
      const matrix = await extractFeatures(store, spec, at, {
        labels: labelRelation(store.dialect, parseTarget('churned', 30), at, rows),
        rows,
      });
      const p = spec.features.length;
      return matrix.accountIds.map((account, i) => ({
        account,
        label: matrix.y?.[i],
        ...Object.fromEntries(spec.features.map((f, j) => [f, matrix.x[i * p + j]])),
      }));
    },
  },
  {
    name: 'saved models and clusters as metrics: probabilities, ranks and nearest centres in SQL',
    rows: async (store) => {
      const dir = join(world.dir, 'saved-models');
      const evaluation = await evaluateWorkspace(store, loadWorkspace(dir), AS_OF[1] as Date);
      try {
        return await store.query(store.dialect.sql`SELECT * FROM ${evaluation} ORDER BY account_id`);
      } finally {
        await store.dropScratch(evaluation);
      }
    },
  },
  {
    name: "explanations of five accounts' memberships: every node, leaf value and primary segment",
    rows: async (store) => {
      const ids = await store.query<{ account_id: string }>(
        sql`SELECT account_id FROM accounts ORDER BY account_id LIMIT 5`,
      );
      const explained = [];
      for (const { account_id } of ids)
        explained.push(await explainMembership(store, world.workspace, account_id));
      return explained;
    },
  },
  {
    name: 'trailing retention: logo, net and gross revenue over 365 and 90 days',
    rows: async (store) => [
      await trailingRetention(store, AS_OF[1] as Date),
      await trailingRetention(store, AS_OF[1] as Date, 90),
    ],
  },
  {
    name: "a saved clustering's map: sizes, means, principal axes and the sampled points",
    rows: async (store) => {
      const map = await mapClusters(store, loadWorkspace(join(world.dir, 'saved-models')), 'usage', {
        asOf: AS_OF[1] as Date,
        points: 300,
      });
      return [{ ...map, points: undefined }, ...map.points];
    },
  },
];

/** Segments on saved models (written by hand into the world's folder before the checks run). */
const MODEL_WORKSPACE = `metrics:
  sessions_30d: { count: { event: session_start }, within: 30d }
  risk: { model: risk }
  trees: { model: trees }
segments:
  risky: { where: { metric: risk, gte: 0.5 } }
  top_trees: { where: { top: 10%, by: trees_probability } }
  group_1: { where: { metric: usage_cluster, eq: 1 } }
`;

/** Hand-made models over features that are missing for some accounts (NPS) and one-hot plans. */
export function writeHandMadeModels(worldDir: string): void {
  const dir = join(worldDir, 'saved-models');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'strata.yaml'), MODEL_WORKSPACE);
  const features = ['sessions_30d', 'nps_latest', 'plan=growth', 'mrr'];
  const metrics = {
    sessions_30d: { kind: 'count', filter: { event: 'session_start', where: {} }, withinDays: 30 },
    nps_latest: { kind: 'builtin', name: 'nps_latest' },
    'plan=growth': { kind: 'indicator', source: { trait: 'plan' }, value: 'growth' },
    mrr: { kind: 'trait', trait: 'mrr' },
  };
  const file = (name: string, body: object) => {
    mkdirSync(join(dir, 'models', name), { recursive: true });
    writeFileSync(
      join(dir, 'models', name, 'v1.json'),
      JSON.stringify({
        format: 'strata-model',
        formatVersion: 1,
        name,
        version: 1,
        createdAt: '2026-01-01T00:00:00Z',
        training: {},
        report: {},
        ...body,
      }),
    );
  };
  file('risk', {
    kind: 'predictor',
    scorer: {
      type: 'logistic',
      features,
      metrics,
      means: [3, 7.5, 0.4, 900],
      scales: [4, 2, 0.5, 1500],
      weights: [-0.8, -0.4, 0.3, -0.2],
      intercept: -1.5,
    },
  });
  file('trees', {
    kind: 'predictor',
    scorer: {
      type: 'boosted_trees',
      features,
      metrics,
      baseScore: -2,
      trees: [
        // sessions <= 2.5 ? (nps <= 6.5, missing right ? 0.9 : 0.1) : -0.4
        {
          feature: [0, 1, -1, -1, -1],
          threshold: [2.5, 6.5, 0, 0, 0],
          missingLeft: [false, false, false, false, false],
          left: [1, 2, 0, 0, 0],
          right: [4, 3, 0, 0, 0],
          value: [0, 0, 0.9, 0.1, -0.4],
        },
        // mrr <= 500, missing left ? 0.25 : -0.125
        {
          feature: [3, -1, -1],
          threshold: [500, 0, 0],
          missingLeft: [true, false, false],
          left: [1, 0, 0],
          right: [2, 0, 0],
          value: [0, 0.25, -0.125],
        },
      ],
    },
  });
  file('usage', {
    kind: 'clusters',
    scorer: {
      features: ['sessions_30d', 'mrr'],
      metrics,
      // sessions capped at 40 then ln(1 + x); mrr clamped to 20..5,000 (NULL stays NULL, at the mean).
      transforms: [
        { lower: null, upper: 40, log: true },
        { lower: 20, upper: 5000, log: false },
      ],
      means: [1, 900],
      scales: [1, 1500],
      centres: [
        [-0.5, -0.4],
        [1.5, 0.2],
        [0, 2],
      ],
    },
  });
}
