import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import { type Document, type LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { didYouMean, type ErrorLocation, StrataError } from '../errors.js';
import type { MetricNode } from '../language/ast.js';
import { type ResolvedLanguage, resolveLanguage } from '../language/resolve-language.js';
import { TABLE_NAMES } from '../model/tables.js';
import { hasOwnKey } from '../own-key.js';
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
  return isAbsolute(path) ? path : join(workspace.dir, path);
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

/** Reads and validates `dir/strata.yaml`; every error names the file, line and path in the document. */
export function loadWorkspace(
  dir: string,
  options: {
    /**
     * For training models: only the metrics matter, so segments, schemes and playbooks are
     * not read and a metric whose saved model is missing is left out (a workspace that uses
     * churn_probability can train the churn model it is waiting for).
     */
    readonly metricsOnly?: boolean;
    /**
     * The text of strata.yaml to use instead of the file's: a definition version kept by
     * a run (re-explaining a past membership). Saved models still come from `dir`.
     */
    readonly text?: string;
  } = {},
): Workspace {
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
  const parsed = workspaceSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) throw new StrataError('invalid_workspace', 'invalid workspace', { file });
    // An unknown key is pointed at itself, not at the mapping that holds it.
    const at = issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys.slice(0, 1)] : issue.path;
    const line = lineOf(document, counter, at);
    throw new StrataError('invalid_workspace', explain(issue), {
      file,
      ...(line ? { line } : {}),
      path: issue.path.join('.'),
    });
  }
  for (const table of Object.keys(parsed.data.sources)) {
    if (!(TABLE_NAMES as string[]).includes(table)) {
      const line = lineOf(document, counter, ['sources', table]);
      throw new StrataError(
        'unknown_table',
        `unknown table '${table}'${didYouMean(table, TABLE_NAMES)} (tables: ${TABLE_NAMES.join(', ')})`,
        { file, ...(line ? { line } : {}), path: `sources.${table}` },
      );
    }
  }
  const locate = (path: readonly (string | number)[]): ErrorLocation => {
    const line = lineOf(document, counter, path);
    return { file, ...(line ? { line } : {}), path: path.join('.') };
  };
  // RFM metrics take their inputs and cells from the `rfm:` section (or its defaults).
  const rfm = parsed.data.rfm ?? {};
  // Saved models are read from models/ (a missing or damaged file is reported at its metric).
  const saved = (name: string, node: Extract<MetricNode, { kind: 'model' | 'cluster' }>) => {
    try {
      return savedModelMetric(absolute, node.ref, node.kind);
    } catch (error) {
      if (!(error instanceof StrataError)) throw error;
      throw new StrataError(error.code, error.message, locate(['metrics', name, node.kind]));
    }
  };
  const missingModel = (node: MetricNode) =>
    options.metricsOnly === true &&
    (node.kind === 'model' || node.kind === 'cluster') &&
    modelVersions(absolute, parseModelRef(node.ref).name).length === 0;
  const metrics = Object.fromEntries(
    Object.entries(parsed.data.metrics)
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
  if (options.metricsOnly) {
    parsed.data.segments = {};
    parsed.data.schemes = {};
    parsed.data.playbooks = {};
  }
  const language = resolveLanguage(metrics, parsed.data.segments, locate, (name) =>
    implicitModelMetric(absolute, name),
  );
  const segmentIds = Object.keys(parsed.data.segments);
  const checkSegment = (id: string, path: (string | number)[]) => {
    if (!hasOwnKey(parsed.data.segments, id)) {
      throw new StrataError('unknown_segment', `unknown segment '${id}'${didYouMean(id, segmentIds)}`, {
        ...locate(path),
        path: path.join('.'),
      });
    }
  };
  for (const [scheme, { order }] of Object.entries(parsed.data.schemes)) {
    order.forEach((id, i) => {
      checkSegment(id, ['schemes', scheme, 'order', i]);
    });
  }
  for (const id of Object.keys(parsed.data.playbooks ?? {})) checkSegment(id, ['playbooks', id]);
  if (options.metricsOnly) {
    parsed.data.triggers = {};
    parsed.data.webhooks = {};
    parsed.data.schedules = {};
  }
  for (const [name, trigger] of Object.entries(parsed.data.triggers))
    trigger.segments.forEach((id, i) => {
      checkSegment(id, ['triggers', name, 'segments', i]);
    });
  const checkName = (kind: 'triggers' | 'schedules', name: string, path: (string | number)[]) => {
    const known = Object.keys(parsed.data[kind]);
    if (!known.includes(name))
      throw new StrataError(
        `unknown_${kind.slice(0, -1)}`,
        `unknown ${kind.slice(0, -1)} '${name}'${didYouMean(name, known)}`,
        {
          ...locate(path),
          path: path.join('.'),
        },
      );
  };
  for (const [name, webhook] of Object.entries(parsed.data.webhooks)) {
    webhook.triggers.forEach((trigger, i) => {
      checkName('triggers', trigger, ['webhooks', name, 'triggers', i]);
    });
    webhook.schedules.forEach((schedule, i) => {
      checkName('schedules', schedule, ['webhooks', name, 'schedules', i]);
    });
  }
  // A kept definition (options.text) is read to explain past runs and sends nothing.
  if (options.text === undefined) checkWebhookTargets(parsed.data.webhooks, locate);
  for (const [name, schedule] of Object.entries(parsed.data.schedules))
    try {
      CronExpressionParser.parse(schedule.cron, { tz: 'UTC' });
    } catch (error) {
      throw new StrataError(
        'invalid_cron',
        `schedule '${name}': cron "${schedule.cron}": ${(error as Error).message}`,
        {
          ...locate(['schedules', name, 'cron']),
          path: `schedules.${name}.cron`,
        },
      );
    }
  return { dir: absolute, file, config: parsed.data, text, locate, ...language };
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
