import { didYouMean, nearestName, StrataError } from '../errors.js';
import type { ConditionNode, EventFilter, MetricNode } from '../language/ast.js';
import { TABLES } from '../model/tables.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import type { Warning } from './warnings.js';

interface Use {
  readonly name: string;
  readonly path: (string | number)[];
}

const ACCOUNT_COLUMNS = new Set(TABLES.accounts.columns.map((c) => c.name));

/** Every event and trait name the workspace uses, with where it is used. */
function namesUsed(workspace: Workspace): { events: Use[]; traits: Use[] } {
  const events: Use[] = [];
  const traits: Use[] = [];
  const event = (filter: EventFilter, path: (string | number)[]) => {
    if (filter.event !== 'any') events.push({ name: filter.event, path });
  };
  const metric = (node: MetricNode, path: (string | number)[]) => {
    if (
      node.kind === 'count' ||
      node.kind === 'recency' ||
      node.kind === 'aggregate' ||
      node.kind === 'countDistinct'
    )
      event(node.filter, path);
    if (node.kind === 'distinctEvents') for (const name of node.events) events.push({ name, path });
    if (node.kind === 'trait' || node.kind === 'traitChanges') traits.push({ name: node.trait, path });
  };
  const condition = (node: ConditionNode, path: (string | number)[]): void => {
    if (node.kind === 'performed' || node.kind === 'seen') event(node.filter, path);
    if (node.kind === 'trait') traits.push({ name: node.trait, path });
    if (node.kind === 'all' || node.kind === 'any') for (const c of node.conditions) condition(c, path);
    if (node.kind === 'not') condition(node.condition, path);
  };
  for (const [name, node] of Object.entries(workspace.config.metrics)) metric(node, ['metrics', name]);
  for (const segment of workspace.segments) condition(segment.where, ['segments', segment.id, 'where']);
  return { events, traits };
}

/**
 * The names of `names` that a cheap probe finds in the data: per name, one row of the events
 * (`kind` event), or of the trait history, else of the accounts' JSON traits (`kind` trait),
 * with LIMIT 1, so a name that occurs stops its scan at once. Listing every distinct event
 * instead cost a run a tenth of a second at 10M events. Never a false find: a name found is
 * one the full lists have.
 */
async function probeNames(
  store: Store,
  names: readonly string[],
  kind: 'event' | 'trait',
): Promise<Set<string>> {
  const { sql } = store.dialect;
  const [table, column] = kind === 'event' ? ['events', 'event'] : ['trait_history', 'trait'];
  const wanted = [...new Set(names)];
  if (wanted.length === 0) return new Set();
  // The column itself, not the name as a constant: ClickHouse 18.16 refuses a constant
  // column in a UNION ALL over a Distributed table.
  const probes = wanted.map(
    (name) =>
      sql`SELECT * FROM (SELECT ${sql.id(column)} AS name FROM ${sql.id(table)} WHERE ${sql.id(column)} = ${name} LIMIT 1) ${sql.id('probe')}`,
  );
  const rows = await store.query<{ name: string }>(sql.join(probes, sql` UNION ALL `));
  const found = new Set(rows.map((r) => r.name));
  if (kind === 'event') return found;
  for (const name of wanted.filter((n) => !found.has(n))) {
    const json = store.dialect.fn.jsonText(sql`traits`, name);
    const [row] = await store.query(sql`SELECT account_id FROM accounts WHERE ${json} IS NOT NULL LIMIT 1`);
    if (row) found.add(name);
  }
  return found;
}

/**
 * Checks the event and trait names a workspace uses against the data before any segment
 * SQL runs: a name that is absent but close to one present is a typo and an error ("did
 * you mean"); a name absent with no near match is a warning (an event not tracked yet).
 * Skipped for a store with no events or accounts yet. The names every run uses are found
 * by a probe (`probeNames`); the full lists are read only when one is not.
 */
export async function checkNames(store: Store, workspace: Workspace): Promise<Warning[]> {
  const used = namesUsed(workspace);
  const foundEvents = await probeNames(
    store,
    used.events.map((u) => u.name),
    'event',
  );
  const foundTraits = await probeNames(
    store,
    used.traits.map((u) => u.name).filter((name) => !ACCOUNT_COLUMNS.has(name)),
    'trait',
  );
  const events = used.events.filter((u) => !foundEvents.has(u.name));
  const traits = used.traits.filter((u) => !ACCOUNT_COLUMNS.has(u.name) && !foundTraits.has(u.name));
  if (events.length === 0 && traits.length === 0) return [];
  const { sql, fn } = store.dialect;
  const knownEvents =
    events.length === 0
      ? []
      : (await store.query<{ event: string }>(sql`SELECT DISTINCT event FROM events`)).map((r) => r.event);
  const knownTraits =
    traits.length === 0
      ? []
      : [
          ...ACCOUNT_COLUMNS,
          ...(await store.query<{ trait: string }>(sql`SELECT DISTINCT trait FROM trait_history`)).map(
            (r) => r.trait,
          ),
          ...(await store.query<{ key: string }>(fn.distinctJsonKeys(sql`accounts`, sql`traits`))).map(
            (r) => r.key,
          ),
        ];
  const [accounts] =
    traits.length === 0 ? [] : await store.query<{ n: number }>(sql`SELECT count(*) AS n FROM accounts`);
  const warnings: Warning[] = [];
  const check = (uses: Use[], known: string[], kind: 'event' | 'trait') => {
    if (known.length === 0 || (kind === 'trait' && !accounts?.n)) return;
    for (const use of uses) {
      if (known.includes(use.name)) continue;
      const near = nearestName(use.name, known);
      if (near) {
        throw new StrataError(
          `unknown_${kind}`,
          `unknown ${kind} '${use.name}' - did you mean '${near}'?`,
          workspace.locate(use.path),
        );
      }
      warnings.push({
        code: 'unknown_name',
        level: 'warning',
        message: `${kind} '${use.name}' (${use.path.join('.')}) does not occur in the data yet`,
      });
    }
  };
  check(events, knownEvents, 'event');
  check(traits, knownTraits, 'trait');
  return warnings;
}

/**
 * Refuses event names given on the command line (funnel steps, an adoption label, a value
 * event) that no stored event carries: such a name only ever counts 0, which reads as a
 * finding rather than the typo or wrong case it usually is. Skipped while there are no events.
 */
export async function requireEvents(store: Store, names: readonly string[], option: string): Promise<void> {
  const found = await probeNames(store, names, 'event');
  if (names.every((name) => found.has(name))) return;
  const known = (
    await store.query<{ event: string }>(store.dialect.sql`SELECT DISTINCT event FROM events`)
  ).map((r) => r.event);
  if (known.length === 0) return;
  for (const name of names) {
    if (known.includes(name)) continue;
    throw new StrataError(
      'unknown_event',
      `${option}: no stored event is named '${name}'${didYouMean(name, known)}`,
    );
  }
}
