import { metricColumn, segmentColumn } from '../../compile/compile-workspace.js';
import type { Sql } from '../../dialect/sql.js';
import { type StoredRun, schemeColumn } from '../../engine/run-snapshot.js';
import { didYouMean, StrataError } from '../../errors.js';
import { isTextMetric } from '../../language/value-types.js';
import { TABLES } from '../../model/tables.js';
import { ownValue } from '../../own-key.js';
import type { Store } from '../../store/store.js';
import {
  type Destination,
  type DestinationValue,
  matchBy,
  writesPeople,
} from '../../workspace/destination-schema.js';
import type { Workspace } from '../../workspace/load-workspace.js';
import { rankActions } from '../playbooks.js';

/**
 * What a destination's CRM records should hold, as one query over a stored run (the
 * engine's rows, never read one by one here): per record its Strata key, the CRM id it
 * names (a column or trait), the domain or email to find it by otherwise, and one column
 * `v<i>` per mapped property. Contacts are users, each with its account's values.
 */

/** How each mapped property's value is typed when it is compared and sent. */
export type ValueKind = 'text' | 'number' | 'flag';

export interface MappedField {
  readonly property: string;
  readonly value: DestinationValue;
  readonly kind: ValueKind;
}

/** The destination's properties in strata.yaml order, each with its kind. */
export function mappedFields(workspace: Workspace, destination: Destination): MappedField[] {
  return Object.entries(destination.fields).map(([property, value]) => ({
    property,
    value,
    kind:
      typeof value === 'string'
        ? 'text'
        : 'segment' in value
          ? 'flag'
          : 'metric' in value && !isTextMetric(value.metric, workspace.metrics)
            ? 'number'
            : 'text',
  }));
}

/** The run must hold what the fields name: a segment or metric added since needs a run. */
function checkRun(run: StoredRun, fields: readonly MappedField[], name: string): void {
  for (const { property, value } of fields) {
    if (typeof value === 'string') continue;
    const [kind, id, known] =
      'segment' in value
        ? ['segment', value.segment, run.segments]
        : 'scheme' in value
          ? ['scheme', value.scheme, run.schemes]
          : ['metric', value.metric, run.metrics];
    if (!known.includes(id))
      throw new StrataError(
        'not_in_run',
        `destination '${name}' field ${property}: run ${run.runId} has no ${kind} '${id}'${didYouMean(id, [...known])}; run strata run first`,
      );
  }
}

/** The SQL of one mapped value over the run's row `r` (and the account's `a`). */
function valueSql(store: Store, workspace: Workspace, run: StoredRun, value: DestinationValue): Sql {
  const { sql, fn } = store.dialect;
  const flag = (segment: string) => sql`r.${sql.id(segmentColumn(segment))}`;
  if (value === 'account_id') return sql`r.account_id`;
  if (value === 'segments')
    return fn.joinPresent(
      run.segments.map((id) => sql`CASE WHEN ${flag(id)} THEN ${id} END`),
      sql.value(';'),
    );
  if (value === 'next_action') {
    // The primary next action by the one rule (rankActions): the first playbook segment, in
    // the rule's order over all of them, that the account is in.
    const ranked = rankActions(
      run.segments.filter((id) => ownValue(workspace.config.playbooks, id) !== undefined),
      workspace.config,
    );
    if (ranked.length === 0) return sql`CASE WHEN 1 = 0 THEN '' END`;
    const cases = ranked.map(({ segment }) => {
      const playbook = ownValue(workspace.config.playbooks, segment);
      const what = playbook?.message ?? playbook?.goal ?? 'check in';
      return sql`WHEN ${flag(segment)} THEN ${`${segment}: ${what} (${playbook?.owner ?? 'owner'})`}`;
    });
    return sql`CASE ${sql.join(cases, sql` `)} END`;
  }
  if ('segment' in value) return sql`CASE WHEN ${flag(value.segment)} THEN 1 ELSE 0 END`;
  if ('scheme' in value) return sql`r.${sql.id(schemeColumn(value.scheme))}`;
  return sql`r.${sql.id(metricColumn(value.metric))}`;
}

/**
 * The query of every record the destination should hold: `record` (the account id, or the
 * user id for contacts), `crm_id` (from match.id, '' when none), `match_key` (the domain or
 * email to search by, '' when none or match.by is none), then `v0`..`vN`.
 */
export function desiredSql(
  store: Store,
  workspace: Workspace,
  run: StoredRun,
  name: string,
  destination: Destination,
): Sql {
  const { sql, fn } = store.dialect;
  const fields = mappedFields(workspace, destination);
  checkRun(run, fields, name);
  const people = writesPeople(destination);
  const holder = people ? 'u' : 'a';
  const columns = new Set(TABLES[people ? 'users' : 'accounts'].columns.map((c) => c.name));
  const idColumn = destination.match.id;
  const crmId =
    idColumn === undefined
      ? sql`''`
      : columns.has(idColumn)
        ? sql`coalesce(${fn.castText(sql`${sql.id(holder)}.${sql.id(idColumn)}`)}, '')`
        : sql`coalesce(${fn.jsonText(sql`${sql.id(holder)}.traits`, idColumn)}, '')`;
  const by = matchBy(destination);
  // Lower case and trimmed in the state file's DuckDB (sync-state.ts), whatever the store's engine.
  const matchKey = by === 'none' ? sql`''` : sql`coalesce(${people ? sql`u.email` : sql`a.domain`}, '')`;
  const values = fields.map(
    ({ value }, i) => sql`${valueSql(store, workspace, run, value)} AS ${sql.id(`v${i}`)}`,
  );
  const from = people
    ? sql`users u JOIN ${run.table} r ON r.account_id = u.account_id LEFT JOIN accounts a ON a.account_id = u.account_id`
    : sql`${run.table} r LEFT JOIN accounts a ON a.account_id = r.account_id`;
  return sql`SELECT ${people ? sql`u.user_id` : sql`r.account_id`} AS record, ${crmId} AS crm_id, ${matchKey} AS match_key,
    ${sql.join(values)} FROM ${from}`;
}
