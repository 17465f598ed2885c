import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Document, type LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type ErrorLocation, StrataError } from '../errors.js';
import type { MetricNode } from '../language/ast.js';
import { type ResolvedLanguage, resolveLanguage } from '../language/resolve-language.js';
import { checkSource } from '../sources/check-source.js';
import { pathInWorkspace } from '../store/store-config.js';
import { checkReferences, checkSchedules } from './check-references.js';
import { implicitModelMetric, modelVersions, parseModelRef, savedModelMetric } from './model-files.js';
import { checkWebhookTargets } from './webhook-targets.js';
import { DEFAULT_RFM_CELLS, type WorkspaceFile, workspaceSchema } from './workspace-schema.js';
import { readYaml } from './yaml-document.js';

export const WORKSPACE_FILE = 'strata.yaml';

export interface Workspace extends ResolvedLanguage {
  /** Absolute path of the workspace folder. */
  readonly dir: string;
  /** Absolute path of strata.yaml. */
  readonly file: string;
  readonly config: WorkspaceFile;
  /** The text of strata.yaml as read (hashed into each run; quoted by `segments show`). */
  readonly text: string;
  /** File and line of a path inside strata.yaml, for errors found after loading. */
  locate(path: readonly (string | number)[]): ErrorLocation;
}

/** Resolves a path written in strata.yaml against the workspace folder. */
export function resolveInWorkspace(workspace: Workspace, path: string): string {
  return pathInWorkspace(workspace.dir, path);
}

/** Line (1-based) of the YAML node at `path`, or of its nearest ancestor that exists. */
function lineOf(document: Document.Parsed, counter: LineCounter, path: readonly PropertyKey[]) {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = document.getIn(path.slice(0, depth) as unknown[], true) as
      | { range?: [number, number, number] }
      | undefined;
    if (node?.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

function explain(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  }
  return issue.message;
}

type Locate = (path: readonly (string | number)[]) => ErrorLocation;

/** Options of `loadWorkspace`. */
export interface LoadOptions {
  /**
   * For training models: only the metrics matter, so segments, schemes, playbooks, triggers,
   * webhooks and schedules are not read and a metric whose saved model is missing is left out (a workspace that uses
   * churn_probability can train the churn model it is waiting for).
   */
  readonly metricsOnly?: boolean;
  /**
   * The text of strata.yaml to use instead of the file's: a definition version kept by
   * a run (re-explaining a past membership). Saved models still come from `dir`.
   */
  readonly text?: string;
}

/** Reads and validates `dir/strata.yaml`; every error names the file, line and path in the document. */
export function loadWorkspace(dir: string, options: LoadOptions = {}): Workspace {
  const absolute = resolve(dir);
  const file = join(absolute, WORKSPACE_FILE);
  if (options.text === undefined && !existsSync(file)) {
    throw new StrataError(
      'no_workspace',
      `no ${WORKSPACE_FILE} in ${absolute}; run 'strata init' there, or pass -w DIR`,
      { file },
    );
  }
  const text = options.text ?? readFileSync(file, 'utf8');
  const { document, counter, value: raw } = readYaml(text, file);
  const lineAt = (path: readonly PropertyKey[]) => lineOf(document, counter, path);
  const locate: Locate = (path) => {
    const line = lineAt(path);
    return { file, ...(line ? { line } : {}), path: path.join('.') };
  };
  const config = validate(raw, file, lineAt);
  if (options.metricsOnly) {
    config.segments = {};
    config.schemes = {};
    config.playbooks = {};
    config.triggers = {};
    config.webhooks = {};
    config.schedules = {};
    config.destinations = {};
  }
  const metrics = declaredMetrics(config, absolute, locate, options);
  const language = resolveLanguage(metrics, config.segments, locate, (name) =>
    implicitModelMetric(absolute, name),
  );
  checkReferences(config, locate);
  // A kept definition (options.text) is read to explain past runs and sends nothing.
  if (options.text === undefined) checkWebhookTargets(config.webhooks, locate);
  checkSchedules(config, locate);
  return { dir: absolute, file, config, text, locate, ...language };
}

/** The document checked by the zod schema, with sources naming known tables. */
function validate(
  raw: unknown,
  file: string,
  lineAt: (path: readonly PropertyKey[]) => number | undefined,
): WorkspaceFile {
  const parsed = workspaceSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) throw new StrataError('invalid_workspace', 'invalid workspace', { file });
    // An unknown key is pointed at itself, not at the mapping that holds it.
    const at = issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys.slice(0, 1)] : issue.path;
    const line = lineAt(at);
    throw new StrataError('invalid_workspace', explain(issue), {
      file,
      ...(line ? { line } : {}),
      path: issue.path.join('.'),
    });
  }
  for (const [name, source] of Object.entries(parsed.data.sources)) {
    const problem = checkSource(name, source);
    if (problem) {
      const at = ['sources', name, ...problem.path];
      const line = lineAt(at);
      throw new StrataError(problem.code, problem.message, {
        file,
        ...(line ? { line } : {}),
        path: at.join('.'),
      });
    }
  }
  return parsed.data;
}

/**
 * The metrics as declared, completed from outside the metric itself: a saved model read
 * from models/ (a missing or damaged file reported at its metric), an RFM metric given the
 * inputs and cells of the `rfm:` section (or its defaults).
 */
function declaredMetrics(
  config: WorkspaceFile,
  dir: string,
  locate: Locate,
  options: LoadOptions,
): Record<string, MetricNode> {
  const rfm = config.rfm ?? {};
  const saved = (name: string, node: Extract<MetricNode, { kind: 'model' | 'cluster' }>) => {
    try {
      return savedModelMetric(dir, node.ref, node.kind);
    } catch (error) {
      if (!(error instanceof StrataError)) throw error;
      throw new StrataError(error.code, error.message, locate(['metrics', name, node.kind]));
    }
  };
  const missingModel = (node: MetricNode) =>
    options.metricsOnly === true &&
    (node.kind === 'model' || node.kind === 'cluster') &&
    modelVersions(dir, parseModelRef(node.ref).name).length === 0;
  return Object.fromEntries(
    Object.entries(config.metrics)
      .filter(([, node]) => !missingModel(node))
      .map(([name, node]) => [
        name,
        node.kind === 'model' || node.kind === 'cluster'
          ? saved(name, node)
          : node.kind === 'rfm'
            ? {
                ...node,
                recency: rfm.recency ?? 'last_seen_days',
                frequency: rfm.frequency ?? 'sessions_30d',
                monetary: rfm.monetary ?? 'mrr',
                cells: rfm.cells ?? DEFAULT_RFM_CELLS,
              }
            : node,
      ]),
  );
}

/** The text of strata.yaml at `path` (e.g. a segment's definition as written), or undefined. */
export function sourceAt(workspace: Workspace, path: readonly (string | number)[]): string | undefined {
  const document = parseDocument(workspace.text);
  const key = path[path.length - 1];
  const parent = document.getIn(path.slice(0, -1) as unknown[], true) as
    | {
        items?: {
          key: { value?: unknown; range?: [number, number, number] };
          value: { range?: [number, number, number] };
        }[];
      }
    | undefined;
  const pair = parent?.items?.find((item) => item.key.value === key);
  const start = pair?.key.range?.[0];
  const end = pair?.value.range?.[1];
  return start !== undefined && end !== undefined ? workspace.text.slice(start, end).trimEnd() : undefined;
}
