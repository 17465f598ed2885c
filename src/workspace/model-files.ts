import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { didYouMean, StrataError } from '../errors.js';
import type { ClusterScorer, MetricNode, ModelScorer } from '../language/ast.js';
import { hasOwnKey } from '../own-key.js';

/**
 * Saved models: versioned JSON files in the workspace's `models/` folder, one folder per
 * model (`models/churn/v1.json`, `v2.json`, ...), meant to be checked into git beside
 * strata.yaml. A file holds what scoring needs (the scorer: features as metric
 * definitions and the fitted parameters) plus the training record and the holdout report.
 * Files are written once and never changed; training again writes the next version.
 */

export const MODEL_FORMAT = 'strata-model';
export const MODEL_FORMAT_VERSION = 1;
export const MODELS_DIR = 'models';

interface SavedFileBase {
  readonly format: typeof MODEL_FORMAT;
  readonly formatVersion: number;
  readonly name: string;
  readonly version: number;
  readonly createdAt: string;
  /** How the model was trained: target, snapshots or table, split, seed, settings. */
  readonly training: Readonly<Record<string, unknown>>;
  /** The report printed by `strata predict report` / `strata cluster`. */
  readonly report: Readonly<Record<string, unknown>>;
}
export interface SavedPredictor extends SavedFileBase {
  readonly kind: 'predictor';
  readonly scorer: ModelScorer;
}
export interface SavedClusters extends SavedFileBase {
  readonly kind: 'clusters';
  readonly scorer: ClusterScorer;
}
export type SavedModel = SavedPredictor | SavedClusters;

const numbers = z.array(z.number());
const featureSchema = {
  features: z.array(z.string().min(1)),
  metrics: z.record(z.string(), z.looseObject({ kind: z.string() })),
};
const treeSchema = z.object({
  feature: z.array(z.number().int()),
  threshold: numbers,
  missingLeft: z.array(z.boolean()),
  left: z.array(z.number().int()),
  right: z.array(z.number().int()),
  value: numbers,
});
const fileSchema = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('predictor'),
    scorer: z.discriminatedUnion('type', [
      z.object({
        type: z.literal('logistic'),
        ...featureSchema,
        means: numbers,
        scales: numbers,
        weights: numbers,
        intercept: z.number(),
      }),
      z.object({
        type: z.literal('boosted_trees'),
        ...featureSchema,
        baseScore: z.number(),
        trees: z.array(treeSchema),
      }),
    ]),
  }),
  z.looseObject({
    kind: z.literal('clusters'),
    scorer: z.object({
      ...featureSchema,
      transforms: z
        .array(z.object({ lower: z.number().nullable(), upper: z.number().nullable(), log: z.boolean() }))
        .optional(),
      means: numbers,
      scales: numbers,
      centres: z.array(numbers),
    }),
  }),
]);

const modelFolder = (workspaceDir: string, name: string) => join(workspaceDir, MODELS_DIR, name);

/** Saved versions of a model, oldest first (empty when there are none). */
export function modelVersions(workspaceDir: string, name: string): number[] {
  const folder = modelFolder(workspaceDir, name);
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .map((file) => /^v(\d+)\.json$/.exec(file)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Names of the saved models of a workspace. */
export function modelNames(workspaceDir: string): string[] {
  const folder = join(workspaceDir, MODELS_DIR);
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && modelVersions(workspaceDir, entry.name).length > 0)
    .map((entry) => entry.name)
    .sort();
}

/** Splits `churn@3` into the name and the pinned version (latest when absent). */
export function parseModelRef(ref: string): { name: string; version: number | null } {
  const match = /^([A-Za-z0-9_-]+)(?:@(\d+))?$/.exec(ref);
  if (!match?.[1]) {
    throw new StrataError(
      'invalid_argument',
      `'${ref}' is not a model name (letters, digits, _ and -; '@3' pins a version)`,
    );
  }
  return { name: match[1], version: match[2] ? Number(match[2]) : null };
}

/** Reads a saved model (the latest version unless the reference pins one), checking its format. */
export function readModel(workspaceDir: string, ref: string): SavedModel {
  const { name, version } = parseModelRef(ref);
  const versions = modelVersions(workspaceDir, name);
  if (versions.length === 0) {
    const known = modelNames(workspaceDir);
    throw new StrataError(
      'unknown_model',
      `no saved model '${name}' in ${join(workspaceDir, MODELS_DIR)}${didYouMean(name, known)}; train one with 'strata predict train' or 'strata cluster --save'`,
    );
  }
  const chosen = version ?? (versions[versions.length - 1] as number);
  if (!versions.includes(chosen)) {
    throw new StrataError(
      'unknown_model',
      `model '${name}' has no version ${chosen} (versions: ${versions.join(', ')})`,
    );
  }
  const file = join(modelFolder(workspaceDir, name), `v${chosen}.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StrataError('invalid_model', `not a JSON model file: ${(error as Error).message}`, { file });
  }
  const header = raw as Partial<SavedFileBase> | null;
  if (header?.format !== MODEL_FORMAT)
    throw new StrataError('invalid_model', `not a Strata model file`, { file });
  if (typeof header.formatVersion !== 'number' || header.formatVersion > MODEL_FORMAT_VERSION) {
    throw new StrataError(
      'invalid_model',
      `written by a newer Strata (model format ${header.formatVersion}); this Strata reads up to ${MODEL_FORMAT_VERSION}`,
      { file },
    );
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StrataError(
      'invalid_model',
      `${issue?.message ?? 'invalid model'} at ${issue?.path.join('.')}`,
      {
        file,
        ...(issue ? { path: issue.path.join('.') } : {}),
      },
    );
  }
  const model = raw as SavedModel;
  const scorer = model.scorer;
  for (const feature of scorer.features) {
    if (!hasOwnKey(scorer.metrics, feature))
      throw new StrataError('invalid_model', `feature '${feature}' has no definition`, { file });
  }
  return model;
}

/** Writes the next version of a model atomically (temporary file, then rename) and returns it. */
export function saveModel<T extends SavedModel>(
  workspaceDir: string,
  model: Omit<T, 'format' | 'formatVersion' | 'version' | 'createdAt'>,
): T & { readonly file: string } {
  parseModelRef(model.name);
  const folder = modelFolder(workspaceDir, model.name);
  mkdirSync(folder, { recursive: true });
  const versions = modelVersions(workspaceDir, model.name);
  const version = (versions[versions.length - 1] ?? 0) + 1;
  const saved = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    version,
    createdAt: new Date().toISOString(),
    ...model,
  } as unknown as T;
  const file = join(folder, `v${version}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(saved, null, 1)}\n`);
  renameSync(`${file}.tmp`, file);
  return { ...saved, file };
}

/**
 * The metric a saved model gives: `{ model: churn }` (a probability) or `{ cluster: usage }`
 * (a cluster number). The kind written must match the file's.
 */
export function savedModelMetric(workspaceDir: string, ref: string, kind: 'model' | 'cluster'): MetricNode {
  const saved = readModel(workspaceDir, ref);
  if (kind === 'model' && saved.kind === 'predictor') return { kind: 'model', ref, scorer: saved.scorer };
  if (kind === 'cluster' && saved.kind === 'clusters') return { kind: 'cluster', ref, scorer: saved.scorer };
  throw new StrataError(
    'invalid_model',
    `'${ref}' is a saved ${saved.kind === 'predictor' ? 'prediction model: use { model: ' : 'clustering: use { cluster: '}${ref} }`,
  );
}

/**
 * Metrics available without a declaration: `<model>_probability` for each saved prediction
 * model (churn_probability, expansion_probability) and `<clustering>_cluster` for each saved
 * clustering. Undefined for any other name.
 */
export function implicitModelMetric(workspaceDir: string, name: string): MetricNode | undefined {
  const match = /^(.+)_(probability|cluster)$/.exec(name);
  if (!match?.[1] || modelVersions(workspaceDir, match[1]).length === 0) return undefined;
  const saved = readModel(workspaceDir, match[1]);
  if (match[2] === 'probability' && saved.kind === 'predictor')
    return { kind: 'model', ref: match[1], scorer: saved.scorer };
  if (match[2] === 'cluster' && saved.kind === 'clusters')
    return { kind: 'cluster', ref: match[1], scorer: saved.scorer };
  return undefined;
}
