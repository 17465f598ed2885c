import { createHash } from 'node:crypto';
import { StrataError } from '../errors.js';
import type { MetricNode } from '../language/ast.js';
import { conditionPaths } from '../language/condition-paths.js';
import { redactDefinition } from '../redact.js';
import type { Store } from '../store/store.js';
import { loadWorkspace, type Workspace } from '../workspace/load-workspace.js';
import { metricNode, withInputs } from '../workspace/metric-closure.js';

/**
 * Definition versions: the text of every strata.yaml a run applied, secrets redacted, kept
 * by its hash in `strata_definitions` (so a past run can be explained again by its own
 * definition), and a fingerprint per segment of what its membership is computed from (so
 * the audit trail can tell an edit from a change in the data).
 */

/**
 * A hash per segment of everything its membership is computed from: its condition tree,
 * its parent's and referenced segments' fingerprints, and every metric it reads (with
 * their inputs). Equal fingerprints in two runs mean a change of membership came from the
 * data, not from an edit.
 */
export function segmentFingerprints(workspace: Workspace): Map<string, string> {
  const byId = new Map(workspace.segments.map((s) => [s.id, s]));
  const found = new Map<string, string>();
  const fingerprint = (id: string): string => {
    const known = found.get(id);
    if (known !== undefined) return known;
    const segment = byId.get(id);
    if (!segment) return 'missing';
    const nodes = conditionPaths(segment.where).map(({ node }) => node);
    const metricNames = nodes.flatMap((n) =>
      n.kind === 'metric' || n.kind === 'metricChange' || n.kind === 'rank' ? [n.metric] : [],
    );
    const roots: Record<string, MetricNode> = {};
    for (const name of metricNames) roots[name] = metricNode(workspace, name, ['segments', id]);
    const metrics = withInputs(workspace, roots);
    const value = JSON.stringify({
      where: segment.where,
      parent: segment.parent ? fingerprint(segment.parent) : null,
      segments: nodes.flatMap((n) => (n.kind === 'segment' ? [fingerprint(n.segment)] : [])),
      metrics: Object.keys(metrics)
        .sort()
        .map((name) => [name, metrics[name]]),
    });
    const hash = createHash('sha256').update(value).digest('hex');
    found.set(id, hash);
    return hash;
  };
  for (const s of workspace.segments) fingerprint(s.id);
  return found;
}

/** Keeps the text of a definition version, once per hash, its secrets redacted (src/redact.ts). */
export async function keepDefinition(store: Store, hash: string, text: string): Promise<void> {
  const sql = store.dialect.sql;
  const [kept] = await store.query<{ n: number }>(
    sql`SELECT count(*) AS n FROM strata_definitions WHERE workspace_hash = ${hash}`,
  );
  if (kept?.n) return;
  await store.execute(
    sql`INSERT INTO strata_definitions (workspace_hash, text, created_at) VALUES (${hash}, ${redactDefinition(text)}, ${new Date()})`,
  );
}

/**
 * The text of strata.yaml as applied by runs of version `hash`, or null when it was not
 * kept; redacted again, as versions kept before redaction existed hold secrets verbatim.
 */
export async function readDefinition(store: Store, hash: string): Promise<string | null> {
  const [row] = await store.query<{ text: string }>(
    store.dialect.sql`SELECT text FROM strata_definitions WHERE workspace_hash = ${hash} LIMIT 1`,
  );
  return row ? redactDefinition(row.text) : null;
}

/**
 * The workspace of definition version `hash` (the current one when it is that version),
 * loaded from its kept text with the saved models of `current`'s folder. Null when the text
 * was not kept (runs before the audit trail); an error when it no longer loads.
 */
export async function definitionWorkspace(
  store: Store,
  current: Workspace,
  hash: string,
  currentHash: string,
): Promise<Workspace | null> {
  if (hash === currentHash) return current;
  const text = await readDefinition(store, hash);
  if (text === null) return null;
  try {
    return loadWorkspace(current.dir, { text });
  } catch (error) {
    if (!(error instanceof StrataError)) throw error;
    throw new StrataError(
      'old_definition',
      `definition version ${hash.slice(0, 12)} no longer loads: ${error.message}`,
      error.location,
    );
  }
}
