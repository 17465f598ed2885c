import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createAbTest, reportAbTest } from '../../analytics/abtest/abtest.js';
import { DAY_MS } from '../../demo/calendar.js';
import type { WorldSummary } from '../../demo/generate-world.js';
import { describeRun } from '../../engine/run-report.js';
import { listRuns } from '../../engine/run-snapshot.js';
import { runWorkspace, workspaceHash } from '../../engine/run-workspace.js';
import { durationWords } from '../../format/words.js';
import { clusterAccounts } from '../../ml/cluster.js';
import { verdictOf } from '../../ml/holdout-report.js';
import { parseTarget } from '../../ml/labels.js';
import { trainOnHistory } from '../../ml/train.js';
import { importSources } from '../../sources/import-sources.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/store.js';
import { loadWorkspace, WORKSPACE_FILE, type Workspace } from '../../workspace/load-workspace.js';
import { modelNames, type SavedClusters, saveModel } from '../../workspace/model-files.js';
import { saasWorkspaceYaml } from '../../workspace/template.js';
import type { DemoInput } from '../commands/demo.js';
import type { Output } from '../output.js';
import { createProgress } from '../progress.js';
import { generateWithProgress } from './generate.js';
import { renderImports } from './import.js';
import { renderRun } from './run.js';
import { describeStore, renderStats } from './status.js';

/** The world already in `dataDir`, if it was generated with the same scale and seed. */
function existingWorld(dataDir: string, scale: string, seed: number): WorldSummary | undefined {
  const manifest = join(dataDir, 'manifest.json');
  if (!existsSync(manifest)) return undefined;
  const world = JSON.parse(readFileSync(manifest, 'utf8')) as WorldSummary;
  return world.scale === scale && world.seed === seed ? world : undefined;
}

/**
 * `strata demo`: generates a world (or reuses the one already there), writes a workspace
 * whose sources are its files (unless one is there), imports them, runs the segments at
 * the world's end, and prints what is in the store and the segment table.
 */
export async function runDemo(options: DemoInput, output: Output) {
  const started = performance.now();
  const { scale, seed } = options;
  const dir = resolve(options.workspace);
  const dataDir = join(dir, 'data');
  let world = existingWorld(dataDir, scale, seed);
  if (world) output.say(`reusing the ${scale} world (seed ${seed}) in ${dataDir}`);
  else world = await generateWithProgress({ scale, seed, outDir: dataDir }, output);

  const sources = Object.fromEntries(
    Object.entries(world.files).map(([table, file]) => [table, join('data', file)]),
  );
  // An edited strata.yaml is the user's: only a missing one is written.
  if (!existsSync(join(dir, WORKSPACE_FILE)))
    writeFileSync(join(dir, WORKSPACE_FILE), saasWorkspaceYaml(sources, { funnels: true }));
  const workspace = loadWorkspace(dir);
  const store = await openStore(workspace);
  try {
    const progress = createProgress('import', !output.json);
    const imports = await importSources(store, workspace, {
      onProgress: (source, fraction) => progress.update(fraction, source),
    }).finally(() => progress.stop());
    const summary = await describeStore(store);
    // Segments are evaluated at the world's last moment, when its data ends; the first time,
    // also two months and one month before, so the dashboard has changes and transitions to
    // show, and the A/B test starts inside the data (see startAbTest).
    // Run again only when the data or the definition changed since the latest run at the end.
    const end = new Date(world.endDate);
    const runs = await listRuns(store);
    let abTest: Example | null = null;
    if (runs.length === 0) {
      const abStart = new Date(end.getTime() - AB_DAYS_BEFORE_END * DAY_MS);
      await runWorkspace(store, workspace, abStart);
      abTest = await startAbTest(store, workspace, abStart);
      await runWorkspace(store, workspace, new Date(end.getTime() - 30 * DAY_MS));
    }
    const latest = runs.at(-1);
    const unchanged =
      latest?.asOf === end.toISOString() &&
      latest.workspaceHash === workspaceHash(workspace) &&
      imports.every((i) => i.inserted === 0 && i.updated === 0);
    if (unchanged) output.say(`reusing run ${latest.runId}: neither the data nor strata.yaml changed`);
    const run = unchanged
      ? await describeRun(store, workspace, latest.runId, 0)
      : await runWorkspace(store, workspace, end);
    const extras = await addDashboardExamples(store, workspace, end, output);
    if (abTest) extras.push(await describeAbTest(store, workspace, abTest, end));
    const seconds = (performance.now() - started) / 1000;
    output.result({ workspace: dir, world, imports, ...summary, run, examples: extras, seconds }, () =>
      [
        `Strata demo workspace: ${dir}`,
        `world: scale ${world.scale}, seed ${world.seed}, ${world.startDate.slice(0, 10)} to ${world.endDate.slice(0, 10)}`,
        '',
        renderImports(imports),
        '',
        renderStats(summary.tables),
        '',
        renderRun(run),
        '',
        ...extras.map((e) => `${e.kind} ${e.name}: ${e.note}`),
        '',
        `store: ${summary.location} (schema v${summary.schemaVersion}); done in ${durationWords(seconds)}`,
        `next: strata segments show at_risk -w ${options.workspace}   |   edit ${join(options.workspace, WORKSPACE_FILE)}, then strata plan -w ${options.workspace}`,
      ].join('\n'),
    );
  } finally {
    await store.close();
  }
}

/** Days before the world's end the demo's A/B test starts: its outcomes fall inside the data. */
const AB_DAYS_BEFORE_END = 60;
/** The A/B test's outcome: a session within this many days of assignment (inside the data). */
const AB_OUTCOME = { event: 'session_start', withinDays: 30 } as const;

interface Example {
  readonly kind: string;
  readonly name: string;
  readonly note: string;
}

/**
 * The A/B test `save_offer`: the at-risk accounts of the run at `asOf` split half and half,
 * assigned as of that run's time rather than the wall clock, so that what they did after
 * assignment is in the data. Made with the demo's first runs, before the later ones, since
 * a test assigns the members of the latest run.
 */
async function startAbTest(store: Store, workspace: Workspace, asOf: Date): Promise<Example> {
  const created = await createAbTest(store, workspace, { test: 'save_offer', segment: 'at_risk' }, asOf);
  return {
    kind: 'A/B test',
    name: 'save_offer',
    note: `at_risk of ${asOf.toISOString().slice(0, 10)} split half and half (control ${created.control}, treatment ${created.treatment})`,
  };
}

/** The A/B test's note with its outcome as of `asOf`, and the command that shows it. */
async function describeAbTest(store: Store, workspace: Workspace, made: Example, asOf: Date) {
  const report = await reportAbTest(store, workspace, made.name, AB_OUTCOME, asOf);
  const share = (variant: string) =>
    `${(100 * (report.variants.find((v) => v.variant === variant)?.value ?? 0)).toFixed(1)}%`;
  return {
    ...made,
    note: `${made.note}; ${AB_OUTCOME.event} within ${AB_OUTCOME.withinDays} days: control ${share('control')}, treatment ${share('treatment')}, p = ${report.comparison.pValue.toPrecision(2)} (no offer was made in this synthetic world, so no difference is expected; strata ab report ${made.name} --event ${AB_OUTCOME.event} --within ${AB_OUTCOME.withinDays}d)`,
  };
}

/**
 * What the dashboard's pages need beyond runs and the A/B test, made once each (kept when
 * already there): a clustering by usage and revenue and a churn model trained on the history.
 */
async function addDashboardExamples(store: Store, workspace: Workspace, asOf: Date, output: Output) {
  const examples: Example[] = [];
  const saved = modelNames(workspace.dir);
  if (!saved.includes('usage')) {
    const report = await clusterAccounts(store, workspace, {
      metrics: ['sessions_30d', 'adoption', 'mrr'],
      asOf,
    });
    const { scorer, ...shown } = report;
    saveModel<SavedClusters>(workspace.dir, {
      name: 'usage',
      kind: 'clusters',
      scorer,
      training: { asOf: report.asOf, metrics: report.metrics, seed: 42, k: report.k },
      report: shown,
    });
    examples.push({
      kind: 'clustering',
      name: 'usage',
      note: `${report.k} clusters by ${report.metrics.join(', ')}`,
    });
  }
  if (!saved.includes('churn')) {
    const progress = createProgress('train churn model', !output.json);
    const trained = await trainOnHistory(store, workspace, {
      name: 'churn',
      algorithm: 'boosted_trees',
      seed: 42,
      target: parseTarget('churned', 90),
      snapshots: 6,
      everyDays: 30,
      onProgress: (f) => progress.update(f, 'training'),
    }).finally(() => progress.stop());
    const { rocAuc, rocAucInterval, brier, baselineBrier } = trained.report;
    const interval = rocAucInterval
      ? ` (95% interval ${rocAucInterval.low.toFixed(2)}-${rocAucInterval.high.toFixed(2)})`
      : '';
    const usable = verdictOf(trained.report).verdict === 'usable';
    examples.push({
      kind: 'model',
      name: 'churn',
      note: `holdout ROC AUC ${rocAuc === null ? '–' : rocAuc.toFixed(3)}${interval}, Brier ${brier.toFixed(4)} against ${baselineBrier.toFixed(4)} for the base rate alone${usable ? '' : ', not suggested for use'} (strata predict report churn)`,
    });
  }
  return examples;
}
