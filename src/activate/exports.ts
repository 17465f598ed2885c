import { exportAssignments } from '../analytics/abtest/abtest.js';
import { metricColumn, segmentColumn } from '../compile/compile-workspace.js';
import { formulaSafe } from '../dialect/formula-safe.js';
import type { Sql } from '../dialect/sql.js';
import { readRun, type StoredRun, schemeColumn } from '../engine/run-snapshot.js';
import { didYouMean, StrataError } from '../errors.js';
import type { MetricNode } from '../language/ast.js';
import { isTextMetric } from '../language/value-types.js';
import type { ExportFormat, Store } from '../store/store.js';

/**
 * Exports of a stored run, written by the engine (COPY / FORMAT), never row by row here:
 * - `memberships`: one row per account and segment it is in (run, as-of, account, segment);
 * - `metrics`: one row per account, its name, plan, MRR and every metric of the run;
 * - `crm`: one row per account with its segment tags, in a layout a CRM import accepts
 *   (`hubspot`: company domain and name, then "Strata Segments" as the `;`-separated values
 *   of a multiple-checkbox property; `salesforce`: account name and website, then custom
 *   fields `Strata_Segments__c` (a multi-select picklist, `;`-separated) and
 *   `Strata_Account_Id__c` to upsert on), plus the primary segment of each scheme;
 * - `ab`: an A/B test's assignments.
 */

export const EXPORTS = ['memberships', 'metrics', 'crm', 'ab'] as const;
export type ExportKind = (typeof EXPORTS)[number];
export const CRM_LAYOUTS = ['hubspot', 'salesforce'] as const;
export type CrmLayout = (typeof CRM_LAYOUTS)[number];

export interface ExportRequest {
  readonly what: ExportKind;
  readonly format: ExportFormat;
  readonly path: string;
  /** Only the members of this segment. */
  readonly segment?: string;
  readonly layout?: CrmLayout;
  readonly run?: number;
  /** The A/B test, for `ab`. */
  readonly test?: string;
}

/**
 * Writes an export. `metrics` (the workspace's) tells which metric columns hold text. In CSV,
 * every text column is formula-safe (src/dialect/formula-safe.ts): a cell starting with
 * `=`, `+`, `-`, `@`, a tab or a carriage return, and not a number, gets a leading `'`.
 */
export async function exportData(
  store: Store,
  request: ExportRequest,
  metrics: Readonly<Record<string, MetricNode>> = {},
) {
  if (request.what === 'ab') {
    if (!request.test) throw new StrataError('invalid_argument', 'export ab needs --test <name>');
    const rows = await exportAssignments(store, request.test, request.path, request.format);
    return { rows, path: request.path, runId: null };
  }
  const text = (expression: Sql) =>
    request.format === 'csv' ? formulaSafe(store.dialect, expression) : expression;
  const run = await readRun(store, request.run);
  if (request.segment !== undefined && !run.segments.includes(request.segment))
    throw new StrataError(
      'unknown_segment',
      `run ${run.runId} has no segment '${request.segment}'${didYouMean(request.segment, [...run.segments])}`,
    );
  const select =
    request.what === 'memberships'
      ? membershipsSql(store, run, text, request.segment)
      : request.what === 'metrics'
        ? metricsSql(store, run, text, (name) => isTextMetric(name, metrics), request.segment)
        : crmSql(store, run, text, request.layout ?? 'hubspot', request.segment);
  const rows = await store.exportFile(select, request.path, request.format);
  return { rows, path: request.path, runId: run.runId };
}

/** A text column as the export writes it (formula-safe in CSV). */
type Cell = (expression: Sql) => Sql;

const only = (store: Store, segment?: string) =>
  segment === undefined ? store.dialect.sql`1 = 1` : store.dialect.sql.id(segmentColumn(segment));

function membershipsSql(store: Store, run: StoredRun, text: Cell, segment?: string): Sql {
  const sql = store.dialect.sql;
  const segments = segment === undefined ? run.segments : [segment];
  if (segments.length === 0)
    return sql`SELECT ${run.runId} AS run_id, ${run.asOf} AS as_of, account_id, '' AS segment FROM ${run.table} WHERE 1 = 0`;
  const parts = segments.map(
    (id) =>
      sql`SELECT ${run.runId} AS run_id, ${run.asOf} AS as_of, account_id, ${id} AS segment FROM ${run.table} WHERE ${sql.id(segmentColumn(id))}`,
  );
  return sql`SELECT run_id, as_of, ${text(sql`account_id`)} AS account_id, ${text(sql`segment`)} AS segment
          FROM (${sql.join(parts, sql` UNION ALL `)}) m ORDER BY m.account_id, m.segment`;
}

function metricsSql(
  store: Store,
  run: StoredRun,
  text: Cell,
  isText: (metric: string) => boolean,
  segment?: string,
): Sql {
  const sql = store.dialect.sql;
  const q = (name: string) => sql.id(name);
  // Account columns a metric of the same name (mrr) does not already give.
  const traits = ['name', 'plan', 'mrr'].filter((column) => !run.metrics.includes(column));
  const columns = [
    ...traits.map((column) => (column === 'mrr' ? q(column) : sql`${text(q(column))} AS ${q(column)}`)),
    ...run.metrics.map((name) => {
      const column = q(metricColumn(name));
      return sql`${isText(name) ? text(column) : column} AS ${q(name)}`;
    }),
  ];
  return sql`SELECT ${text(sql`account_id`)} AS account_id, ${sql.join(columns)} FROM ${run.table} LEFT JOIN accounts USING (account_id)
          WHERE ${only(store, segment)} ORDER BY account_id`;
}

function crmSql(store: Store, run: StoredRun, text: Cell, layout: CrmLayout, segment?: string): Sql {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const tags = fn.joinPresent(
    run.segments.map((id) => sql`CASE WHEN ${q(segmentColumn(id))} THEN ${id} END`),
    sql.value(';'),
  );
  const primary = run.schemes.map((scheme) => ({ scheme, column: text(q(schemeColumn(scheme))) }));
  const columns =
    layout === 'hubspot'
      ? [
          sql`${text(sql`domain`)} AS ${q('Company Domain Name')}`,
          sql`${text(sql`name`)} AS ${q('Company name')}`,
          sql`${text(tags)} AS ${q('Strata Segments')}`,
          ...primary.map(({ scheme, column }) => sql`${column} AS ${q(`Strata ${scheme}`)}`),
          sql`${text(sql`account_id`)} AS ${q('Strata Account ID')}`,
        ]
      : [
          sql`${text(sql`account_id`)} AS ${q('Strata_Account_Id__c')}`,
          sql`${text(sql`name`)} AS ${q('Name')}`,
          sql`${text(sql`domain`)} AS ${q('Website')}`,
          sql`${text(tags)} AS ${q('Strata_Segments__c')}`,
          ...primary.map(
            ({ scheme, column }) => sql`${column} AS ${q(`Strata_${salesforceName(scheme)}__c`)}`,
          ),
        ];
  return sql`SELECT ${sql.join(columns)} FROM ${run.table} LEFT JOIN accounts USING (account_id)
          WHERE ${only(store, segment)} ORDER BY account_id`;
}

/** A Salesforce API name part: letters, digits and single underscores, starting with a letter. */
function salesforceName(text: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/__+/g, '_');
  return /^[A-Za-z]/.test(cleaned) ? cleaned : `S_${cleaned}`;
}
